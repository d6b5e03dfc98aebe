/**
 * Bundles page.ts for the browser with esbuild (workspace packages from their TypeScript
 * sources through the "source" condition), in memory. Each adapter becomes a chunk of its own,
 * loaded only by the page that runs it.
 */
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

/** The bundle's files by URL path ("/page.js", "/chunk-….js"). */
export interface PageBundle {
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Set when `@nnc/backend-webgl` did not bundle: the nnc-webgl cells fail with this reason. */
  readonly webglProblem?: string;
}

const ENTRY = fileURLToPath(new URL("./page.ts", import.meta.url));
const WEBGL_PACKAGE = "@nnc/backend-webgl";

/**
 * Bundles the page. If nnc's WebGL backend does not bundle (missing or broken), it is replaced by
 * a stub whose `webgl()` throws the build error, so the peers still run and the nnc-webgl cells
 * say why they failed.
 */
export async function bundlePage(): Promise<PageBundle> {
  try {
    return { files: await bundle([]) };
  } catch (error) {
    const problem = buildProblem(error);
    if (!problem.includes(WEBGL_PACKAGE) && !problem.includes("backend-webgl")) throw error;
    return { files: await bundle([stubWebgl(problem)]), webglProblem: problem };
  }
}

async function bundle(plugins: Plugin[]): Promise<Map<string, Uint8Array>> {
  const result = await build({
    entryPoints: { page: ENTRY },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["source"],
    // Node-harness-only peers reachable through lazy imports the page never takes.
    external: ["@tensorflow/tfjs-backend-wasm", "onnxruntime-web"],
    define: { "process.env.NODE_ENV": '"production"' },
    outdir: "/bundle",
    write: false,
    logLevel: "silent",
    plugins,
  });
  return new Map(result.outputFiles.map((f) => [f.path.slice("/bundle".length), f.contents]));
}

/** The first error of a failed esbuild build, with its file. */
function buildProblem(error: unknown): string {
  const errors = (error as { errors?: Array<{ text: string; location?: { file: string } | null }> })
    .errors;
  const first = errors?.[0];
  if (!first) return error instanceof Error ? error.message : String(error);
  return first.location ? `${first.location.file}: ${first.text}` : first.text;
}

function stubWebgl(problem: string): Plugin {
  const source =
    "export function webgl() { throw new Error(" +
    JSON.stringify(`@nnc/backend-webgl did not bundle: ${problem}`) +
    "); }";
  return {
    name: "stub-backend-webgl",
    setup(b) {
      b.onResolve({ filter: /^@nnc\/backend-webgl$/ }, () => ({
        path: WEBGL_PACKAGE,
        namespace: "stub",
      }));
      b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({ contents: source, loader: "js" }));
    },
  };
}

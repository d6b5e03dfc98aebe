import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { formatLocation, Graph, isNncError, type SourceLocation } from "@nnc/core";
import { build, type Plugin } from "esbuild";
import { CliError } from "./cli-error.js";
import { codeFrame } from "./code-frame.js";

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** Passed to a default-export function as `{ batch }`. */
  readonly batch?: number;
}

/**
 * Loads a model file (TypeScript or JavaScript) and returns the Graph its default export
 * builds. The file is bundled with esbuild in memory, with every `@nnc/*` import pointed at the
 * CLI's own copy of the package (so a model needs no package.json or node_modules of its own,
 * and its Graph is an instance of the same class the compiler checks against), then imported
 * from a temporary file.
 */
export async function loadModel(file: string, options: LoadModelOptions = {}): Promise<Graph> {
  const path = resolve(file);
  if (!existsSync(path)) throw new CliError("user", `model file not found: ${file}`);
  if (!statSync(path).isFile()) throw new CliError("user", `model path is not a file: ${file}`);
  const exported = await importModel(path, file);
  let value: unknown = exported;
  if (typeof exported === "function") {
    try {
      value = await (options.batch === undefined ? exported() : exported({ batch: options.batch }));
    } catch (error) {
      throw modelThrew(error, path, file);
    }
  }
  if (value instanceof Graph) return value;
  throw new CliError(
    "user",
    `${file}: the default export must be a Graph or a function returning one, ${
      typeof exported === "function" ? "but the function returned" : "but it is"
    } ${describeValue(value)}`,
  );
}

async function importModel(path: string, file: string): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), "nnc-model-"));
  const outfile = join(dir, `${basename(path).replace(/\.[^.]*$/, "")}.bundle.mjs`);
  try {
    let code: string;
    try {
      const result = await build({
        entryPoints: [path],
        bundle: true,
        format: "esm",
        platform: "node",
        target: "node20",
        // Inline source maps: stack traces and NncError locations then point at the model file.
        sourcemap: "inline",
        outfile,
        write: false,
        logLevel: "silent",
        plugins: [nncPackages()],
      });
      code = result.outputFiles[0]!.text;
    } catch (error) {
      throw new CliError("user", `cannot load ${file}:\n${buildErrorText(error)}`);
    }
    await writeFile(outfile, code);
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
    } catch (error) {
      throw modelThrew(error, path, file);
    }
    if (!("default" in module) || module.default === undefined) {
      throw new CliError(
        "user",
        `${file} has no default export: export default a Graph or a function returning one`,
      );
    }
    return module.default;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Resolves `@nnc/*` to the packages this CLI runs with, and leaves them out of the bundle. */
function nncPackages(): Plugin {
  return {
    name: "nnc-packages",
    setup(build) {
      build.onResolve({ filter: /^@nnc\// }, (args) => {
        let url: string;
        try {
          url = import.meta.resolve(args.path);
        } catch {
          return {
            errors: [{ text: `${args.path} is not a package this nnc provides` }],
          };
        }
        return { path: url, external: true };
      });
    },
  };
}

function buildErrorText(error: unknown): string {
  const errors = (
    error as {
      errors?: {
        text: string;
        location?: { file: string; line: number; column: number; lineText: string } | null;
      }[];
    }
  ).errors;
  if (!errors?.length) return error instanceof Error ? error.message : String(error);
  return errors
    .map((e) => {
      if (!e.location) return `  ${e.text}`;
      const loc = { file: e.location.file, line: e.location.line, column: e.location.column + 1 };
      const frame = codeFrame(loc);
      return [`  ${e.text}`, `  at ${formatLocation(loc)}`, ...(frame ? ["", frame] : [])].join(
        "\n",
      );
    })
    .join("\n");
}

/** A model that threw while loading or building: NncErrors pass through, others get the model's frames. */
function modelThrew(error: unknown, path: string, file: string): Error {
  if (isNncError(error) || error instanceof CliError) return error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const frames = modelFrames(error, path);
  const first = frames[0];
  const frame = first ? codeFrame(first) : "";
  return new CliError(
    "user",
    [
      `the model in ${file} threw: ${message}`,
      ...frames.map((f) => `  at ${formatLocation(f)}${f.fn ? ` (${f.fn})` : ""}`),
      ...(frame ? ["", frame] : []),
    ].join("\n"),
  );
}

/** A stack frame inside the model file, with the function's name when the stack has one. */
interface ModelFrame extends SourceLocation {
  readonly fn: string | undefined;
}

/** The stack frames of `error` inside the model file (source-mapped), innermost first. */
function modelFrames(error: unknown, path: string): ModelFrame[] {
  const stack = error instanceof Error ? (error.stack ?? "") : "";
  const frames: ModelFrame[] = [];
  for (const line of stack.split("\n").slice(1)) {
    const match = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!match) continue;
    let where = match[1]!;
    if (where.startsWith("file://")) where = decodeURIComponent(new URL(where).pathname);
    if (resolve(where) !== path) continue;
    const fn = /^at (.+?) \(/.exec(line.trim())?.[1];
    frames.push({
      file: relativeToCwd(path),
      line: Number(match[2]),
      column: Number(match[3]),
      fn,
    });
  }
  return frames;
}

function relativeToCwd(path: string): string {
  const cwd = process.cwd();
  return path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") {
    const ctor = (value as object).constructor?.name;
    return ctor && ctor !== "Object" ? `an instance of ${ctor}` : "a plain object";
  }
  if (typeof value === "string") return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return `a ${typeof value} (${String(value)})`;
}

import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const TSX_CLI = createRequire(import.meta.url).resolve("tsx/cli");
const TSX_ESM = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;
const BIN = fileURLToPath(new URL("./bin.ts", import.meta.url));

/** The repository's examples directory. */
export const EXAMPLES = fileURLToPath(new URL("../../../examples/", import.meta.url));

/** What one run of the CLI printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `nnc ...args` from its TypeScript sources in a child process. */
export function nnc(args: readonly string[], cwd: string): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TSX_CLI, "--conditions=source", BIN, ...args],
      { cwd, env: { ...process.env, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * A fresh directory outside the repository (no package.json or node_modules above it) holding
 * `files`, by name.
 */
export function scratchDir(files: Readonly<Record<string, string | Uint8Array>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "nnc-cli-test-"));
  scratchDirs.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const scratchDirs: string[] = [];

/** Removes every directory {@link scratchDir} made (call in afterAll). */
export function removeScratchDirs(): void {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A scratch directory (outside the repository) where `nnc-backend-float64` and `@nnc/core`
 * resolve, as for a user who installed them: its node_modules link to the repository's
 * packages, and its package.json makes the `.js` files below it ES modules.
 */
export function pluginScratchDir(): string {
  const dir = scratchDir({ "package.json": '{ "type": "module" }\n' });
  mkdirSync(join(dir, "node_modules/@nnc"), { recursive: true });
  symlinkSync(join(EXAMPLES, "third-party-backend"), join(dir, "node_modules/nnc-backend-float64"));
  symlinkSync(join(EXAMPLES, "../packages/core"), join(dir, "node_modules/@nnc/core"));
  return dir;
}

/**
 * Imports `<dir>/model.js` in a fresh Node process, loads it (weights from the file beside it)
 * and runs it on `feeds`; returns every output as an array. `typescript` lets the process load
 * the linked workspace packages from their TypeScript sources (a plugin module imports them);
 * without it the process gets nothing but PATH, as a user's would.
 */
export function runModelInFreshNode(
  dir: string,
  feeds: Readonly<Record<string, readonly number[]>>,
  options: { readonly typescript?: boolean } = {},
): Promise<Record<string, number[]>> {
  writeFileSync(join(dir, "feeds.json"), JSON.stringify(feeds));
  const script = [
    'import { readFileSync } from "node:fs";',
    'const model = await import(new URL("./model.js", "file://" + process.cwd() + "/").href);',
    "const loaded = await model.load();",
    'const outputs = loaded.run(JSON.parse(readFileSync("feeds.json", "utf8")));',
    "const result = {};",
    "for (const [name, values] of Object.entries(outputs)) result[name] = Array.from(values);",
    "process.stdout.write(JSON.stringify(result));",
  ].join("\n");
  const flags = options.typescript ? ["--import", TSX_ESM, "--conditions=source"] : [];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...flags, "--input-type=module", "-e", script],
      { cwd: dir, env: { PATH: process.env.PATH ?? "" }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`model.js failed in ${dir}: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout) as Record<string, number[]>);
      },
    );
  });
}

import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const TSX_CLI = createRequire(import.meta.url).resolve("tsx/cli");
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

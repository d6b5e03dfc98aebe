import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { CliError } from "./cli-error.js";

/** Files to write, by path relative to the output directory. */
export type OutputFiles = ReadonlyMap<string, string | Uint8Array>;

/**
 * Writes `files` into `outDir` atomically: everything goes into a fresh temporary directory
 * next to the target (same file system, so the final rename is atomic), which then replaces
 * the target. An error at any point removes the temporary directory and leaves a previous
 * output untouched, so a failed compile never leaves partial files. Only an empty directory or
 * a previous nnc output (one with a report.json) is replaced.
 */
export async function writeOutputAtomically(outDir: string, files: OutputFiles): Promise<void> {
  const target = resolve(outDir);
  checkReplaceable(outDir, target);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const staging = await mkdtemp(join(parent, `.${basename(target)}.tmp-`));
  let backup: string | undefined;
  try {
    for (const [name, content] of files) {
      const path = join(staging, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    }
    // rename() cannot replace a non-empty directory: move the old output aside first.
    if (existsSync(target)) {
      backup = `${staging}.old`;
      await rename(target, backup);
    }
    await rename(staging, target);
  } catch (error) {
    if (backup !== undefined && !existsSync(target)) await rename(backup, target).catch(() => {});
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  if (backup !== undefined) await rm(backup, { recursive: true, force: true });
}

/**
 * The whole output directory is replaced, so it must be one nnc wrote (it has a report.json)
 * or empty: `--out .` must never wipe a project.
 */
function checkReplaceable(outDir: string, target: string): void {
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) {
    throw new CliError("user", `--out ${outDir} exists and is not a directory`);
  }
  const entries = readdirSync(target);
  if (entries.length > 0 && !entries.includes("report.json")) {
    throw new CliError(
      "user",
      `--out ${outDir} is a non-empty directory nnc did not write (it has no report.json); nnc replaces its output directory as a whole, so choose a new or empty one`,
    );
  }
}

/** A file-system-safe directory name for a model: `[A-Za-z0-9._-]`, never `.` or `..`. */
export function safeDirectoryName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 100);
  return /^\.*$/.test(cleaned) ? "model" : cleaned;
}

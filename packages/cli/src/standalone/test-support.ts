import { execFileSync } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { StandaloneFiles } from "./write-standalone-files.js";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));

const created: string[] = [];

/** Removes the directories {@link writeOutsideRepo} made (call it in `afterAll`). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Writes the files into a new directory under the system temp directory, outside the
 * repository, so nothing there can resolve nnc's packages. Returns the directory.
 */
export function writeOutsideRepo(
  files: StandaloneFiles,
  extra: Record<string, string> = {},
): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "nnc-standalone-")));
  if (dir.startsWith(realpathSync(REPO)))
    throw new Error(`temp dir ${dir} is inside the repository`);
  created.push(dir);
  for (const [name, content] of Object.entries({ ...files, ...extra })) {
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/**
 * Runs `body` as an ES module in a fresh Node process in `dir`, with `model` bound to the
 * imported model.js and `data` to the JSON value given; returns what it passes to `print`.
 */
export function runInFreshNode(dir: string, body: string, data: unknown = null): unknown {
  writeFileSync(join(dir, "data.json"), JSON.stringify(data));
  const script = [
    'import { readFileSync } from "node:fs";',
    'const model = await import(new URL("./model.js", "file://" + process.cwd() + "/").href);',
    'const data = JSON.parse(readFileSync("data.json", "utf8"));',
    "const toJson = (v) => ArrayBuffer.isView(v) ? Array.from(v) : v;",
    "const print = (v) => process.stdout.write(JSON.stringify(v, (_k, x) => toJson(x)));",
    body,
  ].join("\n");
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "" },
  });
  return JSON.parse(out);
}

/** Seeded uniform values in [-1, 1). */
export function randomValues(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    // xorshift32
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 2 ** 32) * 2 - 1;
  });
}

/** Largest |a - b| / (1 + |b|) over two arrays of the same length. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!)));
  return worst;
}

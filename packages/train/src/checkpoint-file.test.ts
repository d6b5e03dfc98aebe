import { spawn } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isNncError, writeSafetensors } from "@nnc/core";
import { afterAll, describe, expect, it } from "vitest";
import { type Checkpoint, encodeCheckpoint } from "./checkpoint.js";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint-file.js";
import { crashCheckpoint } from "./test-checkpoint-writer.js";

const scratch = mkdtempSync(join(tmpdir(), "nnc-checkpoint-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The error `promise` rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(isNncError(error)).toBe(true);
    return error as { code?: string; message: string };
  }
  throw new Error("expected a rejection");
}

/** Byte-for-byte equality of two float arrays (so -0 and NaN payloads count). */
function sameBytes(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

function expectSameCheckpoint(actual: Checkpoint, expected: Checkpoint): void {
  expect(actual.state).toEqual(expected.state);
  expect([...actual.tensors.keys()]).toEqual([...expected.tensors.keys()]);
  for (const [name, tensor] of expected.tensors) {
    const got = actual.tensors.get(name)!;
    expect(got.shape, name).toEqual(tensor.shape);
    expect(sameBytes(got.data, tensor.data), name).toBe(true);
  }
}

const small: Checkpoint = {
  tensors: new Map([
    ["fc.weight", { shape: [2, 2], data: Float32Array.of(1, -2, 0.5, -0) }],
    ["opt/step", { shape: [], data: Float32Array.of(3) }],
  ]),
  state: { epoch: 2, step: 3, history: { loss: [0.9, 0.4] } },
};

describe("saveCheckpoint / loadCheckpoint", () => {
  it("round-trips through a file, creating missing parent directories", async () => {
    const path = join(scratch, "round", "trip", "run 1", "last.safetensors");
    await saveCheckpoint(path, small);
    expectSameCheckpoint(await loadCheckpoint(path), small);
    // Only the checkpoint: the temporary file was renamed onto it.
    expect(readdirSync(join(scratch, "round", "trip", "run 1"))).toEqual(["last.safetensors"]);
  });

  it("replaces an existing checkpoint", async () => {
    const path = join(scratch, "replace.safetensors");
    await saveCheckpoint(path, small);
    const next: Checkpoint = {
      tensors: new Map([["fc.weight", { shape: [1], data: Float32Array.of(7) }]]),
      state: { epoch: 3 },
    };
    await saveCheckpoint(path, next);
    expectSameCheckpoint(await loadCheckpoint(path), next);
  });

  it("leaves the previous checkpoint alone when the new one cannot be encoded", async () => {
    const path = join(scratch, "keep.safetensors");
    await saveCheckpoint(path, small);
    const before = readFileSync(path);
    const error = await rejection(saveCheckpoint(path, { tensors: new Map(), state: 10n }));
    expect(error.code).toBe("NNC5003");
    expect(readFileSync(path).equals(before)).toBe(true);
    const unborn = join(scratch, "never", "made.safetensors");
    await rejection(saveCheckpoint(unborn, { tensors: new Map(), state: () => 1 }));
    expect(readdirSync(scratch)).not.toContain("never");
  });

  it("names the path when there is no checkpoint or it cannot be read", async () => {
    const missing = join(scratch, "nowhere", "ckpt.safetensors");
    const error = await rejection(loadCheckpoint(missing));
    expect(error.code).toBe("NNC5003");
    expect(error.message).toBe(`error NNC5003: no checkpoint at ${missing}`);
    const directory = join(scratch, "a-directory");
    mkdirSync(directory);
    const unreadable = await rejection(loadCheckpoint(directory));
    expect(unreadable.code).toBe("NNC5003");
    expect(unreadable.message).toBe(
      `error NNC5003: cannot read the checkpoint at ${directory} (EISDIR)`,
    );
  });

  it("reports a checkpoint that cannot be written, keeping the previous one", async () => {
    const blocker = join(scratch, "a-file");
    writeFileSync(blocker, "not a directory");
    // The parent "directory" is a file: mkdir fails with ENOTDIR or EEXIST.
    const inside = join(blocker, "ckpt.safetensors");
    const error = await rejection(saveCheckpoint(inside, small));
    expect(error.code).toBe("NNC5004");
    expect(error.message).toMatch(
      /^error NNC5004: cannot write the checkpoint at .*a-file\/ckpt\.safetensors \((ENOTDIR|EEXIST)\)/,
    );
    expect(readFileSync(blocker, "utf8")).toBe("not a directory");
  });

  it("names the path when the file is not a checkpoint", async () => {
    const corrupt = join(scratch, "corrupt.safetensors");
    writeFileSync(corrupt, Uint8Array.of(1, 2, 3));
    const malformed = await rejection(loadCheckpoint(corrupt));
    expect(malformed.code).toBe("NNC5001");
    expect(malformed.message).toBe(
      `error NNC5001: ${corrupt}: safetensors: file of 3 bytes is too short for the 8-byte header length`,
    );
    const weights = join(scratch, "weights.safetensors");
    writeFileSync(weights, writeSafetensors(new Map(), { format: "nnc", model: "mlp" }));
    const foreign = await rejection(loadCheckpoint(weights));
    expect(foreign.code).toBe("NNC5003");
    expect(foreign.message).toContain(`${weights}: not an nnc checkpoint`);
  });
});

const WRITER = fileURLToPath(new URL("./test-checkpoint-writer.ts", import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
/** A: 10M floats (40 MB); B: 12.5M floats (50 MB). */
const FLOATS = 10_000_000;

/** When to kill the writer: a delay after its first save, or after a write is seen under way. */
type Moment = { readonly afterFirstSaveMs: number } | { readonly whileWritingMs: number };

interface Crash {
  readonly signal: NodeJS.Signals | null;
  readonly saves: number;
  readonly stderr: string;
}

/**
 * Runs the writer child on `path` and SIGKILLs it at `moment` (counted from its first finished
 * save). A write is under way when a temporary file exists beside `path` or `path` has a size
 * other than the `complete` ones. The child runs the real `saveCheckpoint`: TypeScript through
 * tsx, workspace packages from their sources.
 */
function crashWriter(path: string, moment: Moment, complete: ReadonlySet<number>): Promise<Crash> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--conditions=source", "--import", "tsx", WRITER, path, String(FLOATS)],
      // From the package directory, where `--import tsx` resolves.
      { cwd: PACKAGE_DIR, stdio: ["ignore", "pipe", "pipe"] },
    );
    const kill = (delayMs: number) => setTimeout(() => child.kill("SIGKILL"), delayMs);
    let saves = 0;
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on("data", (chunk: Buffer) => {
      const first = saves === 0;
      saves += chunk.toString().split("saved ").length - 1;
      if (!first || saves === 0) return;
      if ("afterFirstSaveMs" in moment) {
        kill(moment.afterFirstSaveMs);
        return;
      }
      const deadline = Date.now() + 3000;
      const poll = setInterval(() => {
        const writing = readdirSync(dirname(path)).length > 1 || !complete.has(statSync(path).size);
        if (writing || Date.now() > deadline) {
          clearInterval(poll);
          kill(moment.whileWritingMs);
        }
      }, 1);
    });
    child.on("error", reject);
    child.on("exit", (_code, signal) => resolve({ signal, saves, stderr }));
  });
}

describe("saveCheckpoint under a real crash", () => {
  it("leaves exactly the previous or the new checkpoint when SIGKILLed mid-loop", async () => {
    const expected = { A: crashCheckpoint(0, FLOATS), B: crashCheckpoint(1, FLOATS) };
    const complete = new Set([expected.A, expected.B].map((c) => encodeCheckpoint(c).byteLength));
    // A save takes ~0.1–0.3 s: encoding, then writing and fsyncing the temporary file.
    const moments: Moment[] = [
      { afterFirstSaveMs: 0 },
      { whileWritingMs: 0 },
      { afterFirstSaveMs: 90 },
      { whileWritingMs: 20 },
      { afterFirstSaveMs: 200 },
      { whileWritingMs: 50 },
    ];
    const paths = moments.map((_, i) => join(scratch, `crash-${i}`, "ckpt.safetensors"));
    const crashes = await Promise.all(moments.map((m, i) => crashWriter(paths[i]!, m, complete)));
    let killedMidWrite = 0;
    for (const [i, crash] of crashes.entries()) {
      expect(crash, crash.stderr).toMatchObject({ signal: "SIGKILL" });
      expect(crash.saves).toBeGreaterThan(0);
      const loaded = await loadCheckpoint(paths[i]!);
      const which = (loaded.state as { which: "A" | "B" }).which;
      expect(["A", "B"]).toContain(which);
      expectSameCheckpoint(loaded, expected[which]);
      // A kill between creating the temporary file and renaming it leaves that file behind.
      if (readdirSync(dirname(paths[i]!)).length > 1) killedMidWrite++;
    }
    // Otherwise the test proved nothing: no kill landed inside a write.
    expect(killedMidWrite).toBeGreaterThan(0);
  }, 60_000);
});

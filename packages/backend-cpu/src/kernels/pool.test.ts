import type { OpName, Padding2d, Pair, TensorType } from "@nnc/core";
import { describe, expect, it } from "vitest";
import {
  emitAvgPool2d,
  emitAvgPool2dBackward,
  emitGatherSpatial,
  emitMaxPool2d,
  emitMaxPool2dArgmax,
  emitScatterAddSpatial,
} from "./pool.js";
import { checkOp, expectClose, runOp, validSamples } from "./test-harness.js";

const EMITTERS = {
  max_pool2d: emitMaxPool2d,
  avg_pool2d: emitAvgPool2d,
  avg_pool2d_backward: emitAvgPool2dBackward,
  max_pool2d_argmax: emitMaxPool2dArgmax,
  gather_spatial: emitGatherSpatial,
  scatter_add_spatial: emitScatterAddSpatial,
};
const f32 = (...shape: number[]): TensorType => ({ dtype: "float32", shape });
const i32 = (...shape: number[]): TensorType => ({ dtype: "int32", shape });

const OPS = Object.keys(EMITTERS) as (keyof typeof EMITTERS)[];

describe.each(OPS)("%s", (op) => {
  it.each(validSamples(op, 20).map((s, i) => [i, s] as const))(
    "matches the reference on OP_SAMPLES valid sample %i",
    (_, { sample, seed }) => {
      checkOp(op, sample, EMITTERS, seed);
    },
  );
});

/** Pooling windows: unrolled (unpadded, ≤ 16 taps) and clamped (padded or larger). */
const WINDOWS: [Pair, Pair, Padding2d][] = [
  [
    [2, 2],
    [2, 2],
    [
      [0, 0],
      [0, 0],
    ],
  ],
  [
    [3, 3],
    [2, 2],
    [
      [0, 0],
      [0, 0],
    ],
  ],
  [
    [3, 2],
    [1, 3],
    [
      [0, 0],
      [0, 0],
    ],
  ],
  [
    [5, 4],
    [2, 1],
    [
      [0, 0],
      [0, 0],
    ],
  ],
  [
    [3, 3],
    [2, 2],
    [
      [1, 1],
      [1, 1],
    ],
  ],
  [
    [2, 3],
    [1, 2],
    [
      [1, 0],
      [0, 2],
    ],
  ],
  [
    [4, 4],
    [3, 3],
    [
      [3, 1],
      [2, 3],
    ],
  ],
];

function pooled(size: number, [before, after]: Pair, kernel: number, stride: number): number {
  return Math.floor((size + before + after - kernel) / stride) + 1;
}

describe.each(WINDOWS)("window %j, stride %j, padding %j", (kernel, strides, padding) => {
  const [n, c, h, w] = [2, 3, 11, 10];
  const pool = { kernel, strides, padding };
  const oh = pooled(h, padding[0], kernel[0], strides[0]);
  const ow = pooled(w, padding[1], kernel[1], strides[1]);
  const cases: [OpName, TensorType[], Record<string, unknown>][] = [
    ["max_pool2d", [f32(n, c, h, w)], pool],
    ["max_pool2d_argmax", [f32(n, c, h, w)], pool],
    ["avg_pool2d", [f32(n, c, h, w)], { ...pool, countIncludePad: false }],
    ["avg_pool2d", [f32(n, c, h, w)], { ...pool, countIncludePad: true }],
    [
      "avg_pool2d_backward",
      [f32(n, c, oh, ow)],
      { ...pool, countIncludePad: false, inputShape: [h, w] },
    ],
    [
      "avg_pool2d_backward",
      [f32(n, c, oh, ow)],
      { ...pool, countIncludePad: true, inputShape: [h, w] },
    ],
  ];
  it.each(cases)("%s", (op, inputs, attrs) => {
    checkOp(op, { inputs, attrs }, EMITTERS, 7);
  });
});

describe("max_pool2d and its argmax on ties, NaN and −∞", () => {
  // One 4×4 plane: 2×2 windows (unrolled) and 3×3 windows padded by 1 (clamped).
  const nan = Number.NaN;
  const inf = Number.POSITIVE_INFINITY;
  const plane = [
    [1, 1, nan, 2],
    [0, 1, 3, nan],
    [-inf, -inf, 5, 5],
    [-inf, -inf, 5, 4],
  ].flat();
  const unrolled = {
    kernel: [2, 2],
    strides: [2, 2],
    padding: [
      [0, 0],
      [0, 0],
    ],
  };
  const clamped = {
    kernel: [3, 3],
    strides: [1, 1],
    padding: [
      [1, 1],
      [1, 1],
    ],
  };

  it("follows core's scan exactly: first maximum, last NaN, first of all −∞", () => {
    const run = (op: OpName, attrs: Record<string, unknown>) =>
      runOp(op, [f32(1, 1, 4, 4)], attrs, [plane], EMITTERS);
    const argmax = run("max_pool2d_argmax", unrolled);
    // windows: {1,1,0,1} → first 1 (index 0); {nan,2,3,nan} → last NaN (7);
    // {−∞ ×4} → the first (8); {5,5,5,4} → the first 5 (10)
    expect([...argmax.actual]).toEqual([0, 7, 8, 10]);
    expect([...argmax.actual]).toEqual(Array.from(argmax.expected));
    const max = run("max_pool2d", unrolled);
    expectClose(max.actual, [1, nan, -inf, 5], { rtol: 0, atol: 0 });
    for (const op of ["max_pool2d", "max_pool2d_argmax"] as const) {
      const { actual, expected } = run(op, clamped);
      expectClose(actual, expected, { rtol: 0, atol: 0 });
    }
    // e.g. (0, 0) covers {1, 1, 0, 1} → 0; (2, 2) holds one NaN, at 7; (3, 0) is all −∞ → 8
    expect([...run("max_pool2d_argmax", clamped).actual]).toEqual([
      0, 2, 7, 7, 0, 2, 7, 7, 5, 10, 7, 7, 8, 10, 10, 10,
    ]);
  });
});

describe("gather_spatial and scatter_add_spatial", () => {
  it("read 0 and drop outside each plane; scatter accumulates repeats", () => {
    const indices = [0, 5, -1, 6, 5, 5, 2, 100];
    const gather = runOp(
      "gather_spatial",
      [f32(1, 2, 2, 3), i32(1, 2, 2, 2)],
      {},
      [[1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60], indices],
      EMITTERS,
    );
    expect([...gather.actual]).toEqual([1, 6, 0, 0, 60, 60, 30, 0]);
    const scatter = runOp(
      "scatter_add_spatial",
      [f32(1, 2, 2, 2), i32(1, 2, 2, 2)],
      { inputShape: [2, 3] },
      [[1, 2, 3, 4, 5, 6, 7, 8], indices],
      EMITTERS,
    );
    expect([...scatter.actual]).toEqual([1, 0, 0, 0, 0, 2, 0, 0, 7, 0, 0, 11]);
  });
});

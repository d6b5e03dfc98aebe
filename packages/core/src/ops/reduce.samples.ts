import type { DType } from "../dtype.js";
import type { InvalidOpSample, OpSample, SampleFamily } from "../op-samples.js";
import type { Rng } from "../random.js";
import type { TensorType } from "../shape.js";
import type { ReduceOp } from "./reduce.js";

/** A random shape of `rank` with extents in [1, maxExtent]. */
export function randomShape(rng: Rng, rank: number, maxExtent = 4): number[] {
  return Array.from({ length: rank }, () => 1 + rng.int(maxExtent));
}

/** A random subset of the axes of `rank`, some written as negative axes, in random order. */
function randomAxes(rng: Rng, rank: number): number[] {
  const axes = Array.from({ length: rank }, (_, i) => i).filter(() => rng.next() < 0.5);
  const written = axes.map((a) => (rng.next() < 0.5 ? a - rank : a));
  return written.sort(() => rng.next() - 0.5);
}

const f32 = (...shape: number[]): TensorType => ({ dtype: "float32", shape });
const i32 = (...shape: number[]): TensorType => ({ dtype: "int32", shape });

function validReduce(dtypes: readonly DType[], range?: readonly [number, number]) {
  return (rng: Rng): OpSample[] => {
    const ranges = range ? [range] : undefined;
    const pick = (): DType => dtypes[rng.int(dtypes.length)]!;
    return [
      // Ranks 0 to 4 with a random subset of axes (rank 0 has only the identity).
      ...[0, 1, 3, 4].map((rank) => ({
        inputs: [{ dtype: pick(), shape: randomShape(rng, rank) }],
        attrs: { axes: randomAxes(rng, rank), keepDims: rng.next() < 0.5 },
        ranges,
      })),
      // All axes, kept (int32 whenever the op takes it); and no axes (the identity reduction).
      {
        inputs: [{ dtype: dtypes.at(-1)!, shape: [3, 5] }],
        attrs: { axes: [0, -1], keepDims: true },
        ranges,
      },
      { inputs: [{ dtype: pick(), shape: [2, 3] }], attrs: { axes: [], keepDims: false }, ranges },
    ];
  };
}

function invalidReduce(floatOnly: boolean): InvalidOpSample[] {
  return [
    {
      inputs: [f32(2, 3)],
      attrs: { axes: [2], keepDims: false },
      code: "NNC2004",
      why: "axis 2 of a rank-2 operand",
    },
    {
      inputs: [f32(2, 3)],
      attrs: { axes: [-3], keepDims: false },
      code: "NNC2004",
      why: "axis -3 of a rank-2 operand",
    },
    {
      inputs: [f32(2, 3)],
      attrs: { axes: [1, -1], keepDims: false },
      code: "NNC1002",
      why: "axis 1 named twice",
    },
    {
      inputs: [f32(2, 3)],
      attrs: { axes: [0.5], keepDims: false },
      code: "NNC1002",
      why: "a fractional axis",
    },
    { inputs: [f32(2, 3)], attrs: { axes: [0] }, code: "NNC1002", why: "keepDims missing" },
    {
      inputs: [f32(2, 3)],
      attrs: { axes: [0], keepDims: false, keepdims: true },
      code: "NNC1002",
      why: "an unknown attribute",
    },
    {
      inputs: [{ dtype: "bool", shape: [2] }],
      attrs: { axes: [0], keepDims: false },
      code: "NNC2002",
      why: "a bool operand",
    },
    ...(floatOnly
      ? [
          {
            inputs: [i32(2, 3)],
            attrs: { axes: [0], keepDims: false },
            code: "NNC2002",
            why: "an int32 operand",
          } as const,
        ]
      : []),
  ];
}

const emptyIntExtent: InvalidOpSample = {
  inputs: [i32(2, 0)],
  attrs: { axes: [1], keepDims: false },
  code: "NNC2008",
  why: "int32 over an empty extent has no identity",
};

/** Generic test material for the reductions. */
export const reduceSamples: SampleFamily<ReduceOp> = {
  sum: {
    valid: (rng) => [
      ...validReduce(["float32", "int32"])(rng),
      // An empty extent sums to 0.
      { inputs: [f32(3, 0)], attrs: { axes: [1], keepDims: false } },
    ],
    invalid: invalidReduce(false),
  },
  mean: { valid: validReduce(["float32"]), invalid: invalidReduce(true) },
  max: {
    valid: validReduce(["float32", "int32"]),
    invalid: [...invalidReduce(false), emptyIntExtent],
  },
  min: {
    valid: validReduce(["float32", "int32"]),
    invalid: [...invalidReduce(false), emptyIntExtent],
  },
  // Wide logits: a naive exp would overflow float32 beyond 88.
  log_sum_exp: { valid: validReduce(["float32"], [-100, 100]), invalid: invalidReduce(true) },
  argmax: {
    valid: (rng) => [
      ...[1, 2, 3, 4].map((rank) => {
        const axis = rng.int(rank);
        return {
          inputs: [
            {
              dtype: rng.next() < 0.5 ? "float32" : "int32",
              shape: randomShape(rng, rank),
            } as const,
          ],
          attrs: { axis: rng.next() < 0.5 ? axis - rank : axis, keepDims: rng.next() < 0.5 },
        };
      }),
      // Small integers make ties likely: the first maximum must win on every backend.
      { inputs: [i32(4, 6)], attrs: { axis: 1, keepDims: true }, ranges: [[0, 3]] },
    ],
    invalid: [
      {
        inputs: [f32(2, 3)],
        attrs: { axis: 2, keepDims: false },
        code: "NNC2004",
        why: "axis 2 of a rank-2 operand",
      },
      {
        inputs: [f32()],
        attrs: { axis: 0, keepDims: false },
        code: "NNC2004",
        why: "a scalar has no axis",
      },
      {
        inputs: [f32(2, 3)],
        attrs: { axis: [1], keepDims: false },
        code: "NNC1002",
        why: "a list for axis",
      },
      {
        inputs: [f32(2, 0)],
        attrs: { axis: 1, keepDims: false },
        code: "NNC2008",
        why: "an empty extent",
      },
      {
        inputs: [{ dtype: "bool", shape: [2] }],
        attrs: { axis: 0, keepDims: false },
        code: "NNC2002",
        why: "a bool operand",
      },
    ],
  },
};

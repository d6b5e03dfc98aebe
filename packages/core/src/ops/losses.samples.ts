import type { InvalidOpSample, OpSample, SampleFamily } from "../op-samples.js";
import type { Rng } from "../random.js";
import type { Shape, TensorType } from "../shape.js";
import type { LossOp } from "./losses.js";

const f32 = (shape: Shape): TensorType => ({ dtype: "float32", shape });
const i32 = (shape: Shape): TensorType => ({ dtype: "int32", shape });
const bool = (shape: Shape): TensorType => ({ dtype: "bool", shape });

const REDUCTIONS = ["mean", "sum", "none"] as const;

/** A random shape of `rank` with extents in [1, max]. */
function randomShape(rng: Rng, rank: number, max = 5): number[] {
  return Array.from({ length: rank }, () => 1 + rng.int(max));
}

/** Same-shape losses over ranks 0–4, every reduction at least once. */
function pairSamples(rng: Rng, targetRange: readonly [number, number] | undefined): OpSample[] {
  return [0, 1, 2, 3, 4].map((rank, i) => {
    const shape = randomShape(rng, rank, rank === 4 ? 3 : 5);
    return {
      inputs: [f32(shape), f32(shape)],
      attrs: { reduction: REDUCTIONS[i % 3]! },
      ranges: [undefined, targetRange],
    };
  });
}

/** Invalid uses shared by the same-shape losses (`roles` as the shape message names them). */
function pairInvalid(): InvalidOpSample[] {
  return [
    {
      inputs: [f32([2, 3]), f32([2, 4])],
      attrs: { reduction: "mean" },
      code: "NNC2001",
      why: "shapes differ",
    },
    {
      inputs: [f32([2, 3]), f32([3])],
      attrs: { reduction: "mean" },
      code: "NNC2001",
      why: "broadcastable but not equal",
    },
    {
      inputs: [f32([2]), i32([2])],
      attrs: { reduction: "sum" },
      code: "NNC2002",
      why: "int32 second operand",
    },
    {
      inputs: [f32([2]), f32([2])],
      attrs: { reduction: "avg" },
      code: "NNC1002",
      why: "unknown reduction",
    },
    { inputs: [f32([2]), f32([2])], attrs: {}, code: "NNC1002", why: "missing reduction" },
  ];
}

/** Generic test material for the loss family. */
export const lossSamples: SampleFamily<LossOp> = {
  mse: { valid: (rng) => pairSamples(rng, undefined), invalid: pairInvalid() },
  binary_cross_entropy: {
    valid: (rng) => [
      ...pairSamples(rng, [0, 1]),
      // Saturated logits: the stable form must stay finite.
      {
        inputs: [f32([4, 3]), f32([4, 3])],
        attrs: { reduction: "none" },
        ranges: [
          [-1000, 1000],
          [0, 1],
        ],
      },
    ],
    invalid: pairInvalid(),
  },
  softmax_cross_entropy: {
    valid: (rng) => {
      const [n, c] = [1 + rng.int(6), 1 + rng.int(8)];
      const [m, d] = [1 + rng.int(6), 2 + rng.int(8)];
      return [
        {
          inputs: [f32([n, c]), i32([n])],
          attrs: { reduction: "mean" },
          ranges: [undefined, [0, c]],
        },
        {
          inputs: [f32([m, d]), i32([m])],
          attrs: { reduction: "none" },
          ranges: [
            [-1000, 1000],
            [0, d],
          ],
        },
        {
          inputs: [f32([n, c]), f32([n, c])],
          attrs: { reduction: "sum" },
          ranges: [undefined, [0, 1]],
        },
        {
          inputs: [f32([m, d]), f32([m, d])],
          attrs: { reduction: "none" },
          ranges: [undefined, [0, 1]],
        },
        {
          inputs: [f32([1, 1]), i32([1])],
          attrs: { reduction: "sum" },
          ranges: [undefined, [0, 1]],
        },
      ];
    },
    invalid: [
      {
        inputs: [f32([4, 3]), i32([5])],
        attrs: { reduction: "mean" },
        code: "NNC2001",
        why: "batch sizes differ",
      },
      {
        inputs: [f32([4, 3]), f32([4, 2])],
        attrs: { reduction: "mean" },
        code: "NNC2001",
        why: "probability labels of the wrong shape",
      },
      {
        inputs: [f32([4, 3]), i32([4, 1])],
        attrs: { reduction: "mean" },
        code: "NNC2008",
        why: "int32 labels of rank 2",
      },
      {
        inputs: [f32([4]), i32([4])],
        attrs: { reduction: "mean" },
        code: "NNC2008",
        why: "rank-1 logits",
      },
      {
        inputs: [f32([2, 3, 4]), i32([2])],
        attrs: { reduction: "mean" },
        code: "NNC2008",
        why: "rank-3 logits",
      },
      {
        inputs: [f32([4, 0]), i32([4])],
        attrs: { reduction: "mean" },
        code: "NNC2008",
        why: "no classes",
      },
      {
        inputs: [f32([4, 3]), bool([4])],
        attrs: { reduction: "mean" },
        code: "NNC2002",
        why: "bool labels",
      },
      {
        inputs: [i32([4, 3]), i32([4])],
        attrs: { reduction: "mean" },
        code: "NNC2002",
        why: "int32 logits",
      },
      {
        inputs: [f32([4, 3]), i32([4])],
        attrs: { reduction: "max" },
        code: "NNC1002",
        why: "unknown reduction",
      },
      {
        inputs: [f32([4, 3]), i32([4])],
        attrs: { reduction: "mean", axis: 1 },
        code: "NNC1002",
        why: "unknown attribute",
      },
    ],
  },
};

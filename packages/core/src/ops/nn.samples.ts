import type { SampleFamily } from "../op-samples.js";
import type { Rng } from "../random.js";
import type { Shape, TensorType } from "../shape.js";
import type { NnOp } from "./nn.js";

const f32 = (shape: Shape): TensorType => ({ dtype: "float32", shape });
const i32 = (shape: Shape): TensorType => ({ dtype: "int32", shape });

/** A random shape of `rank` with extents in [1, max]. */
function randomShape(rng: Rng, rank: number, max = 5): number[] {
  return Array.from({ length: rank }, () => 1 + rng.int(max));
}

function batchNormSample(rng: Rng, rank: number, training: boolean, epsilon: number) {
  const x = randomShape(rng, rank, 4);
  const c = [x[1]!];
  const stats = training ? [] : [f32(c), f32(c)];
  const ranges = [undefined, [0.5, 2], [-1, 1], [-1, 1], [0.1, 2]] as const;
  return {
    inputs: [f32(x), f32(c), f32(c), ...stats],
    attrs: { epsilon, training },
    // Inference variances must be positive.
    ranges: ranges.slice(0, 3 + stats.length),
  };
}

function axisSamples(rng: Rng) {
  return [
    { inputs: [f32([1 + rng.int(7)])], attrs: { axis: 0 } },
    { inputs: [f32(randomShape(rng, 2))], attrs: { axis: -1 } },
    { inputs: [f32(randomShape(rng, 2))], attrs: { axis: 0 } },
    { inputs: [f32(randomShape(rng, 3))], attrs: { axis: 1 } },
    { inputs: [f32(randomShape(rng, 4, 4))], attrs: { axis: -3 } },
    // Large logits: the stable formulation must not overflow.
    { inputs: [f32([3, 4])], attrs: { axis: 1 }, ranges: [[-1000, 1000]] as const },
  ];
}

const axisInvalid = [
  { inputs: [f32([2, 3])], attrs: { axis: 2 }, code: "NNC2004", why: "axis past the last" },
  { inputs: [f32([2, 3])], attrs: { axis: -3 }, code: "NNC2004", why: "negative axis too small" },
  { inputs: [f32([])], attrs: { axis: 0 }, code: "NNC2004", why: "scalar has no axis" },
  { inputs: [f32([2, 3])], attrs: { axis: 0.5 }, code: "NNC1002", why: "fractional axis" },
  { inputs: [f32([2, 3])], attrs: {}, code: "NNC1002", why: "missing axis" },
  { inputs: [i32([2, 3])], attrs: { axis: 1 }, code: "NNC2002", why: "int32 input" },
] as const;

/** Generic test material for the nn family. */
export const nnSamples: SampleFamily<NnOp> = {
  batch_norm: {
    valid: (rng) => [
      batchNormSample(rng, 2, true, 1e-5),
      batchNormSample(rng, 4, true, 1e-3),
      batchNormSample(rng, 3, true, 0.1),
      batchNormSample(rng, 2, false, 1e-5),
      batchNormSample(rng, 4, false, 1e-3),
    ],
    invalid: [
      {
        inputs: [f32([2, 3, 4, 4]), f32([4]), f32([3])],
        attrs: { epsilon: 1e-5, training: true },
        code: "NNC2006",
        why: "scale of the wrong size",
      },
      {
        inputs: [f32([2, 3]), f32([3]), f32([3]), f32([3]), f32([3, 1])],
        attrs: { epsilon: 1e-5, training: false },
        code: "NNC2006",
        why: "variance of the wrong rank",
      },
      {
        inputs: [f32([2, 3]), f32([3]), f32([3]), f32([3]), f32([3])],
        attrs: { epsilon: 1e-5, training: true },
        code: "NNC1003",
        why: "training with statistics",
      },
      {
        inputs: [f32([2, 3]), f32([3]), f32([3])],
        attrs: { epsilon: 1e-5, training: false },
        code: "NNC1003",
        why: "inference without statistics",
      },
      {
        inputs: [f32([2, 3]), f32([3]), f32([3]), f32([3])],
        attrs: { epsilon: 1e-5, training: false },
        code: "NNC1003",
        why: "inference with only the mean",
      },
      {
        inputs: [f32([3]), f32([3]), f32([3])],
        attrs: { epsilon: 1e-5, training: true },
        code: "NNC2008",
        why: "rank-1 input has no channel axis",
      },
      {
        inputs: [f32([2, 3]), f32([3]), f32([3])],
        attrs: { epsilon: 0, training: true },
        code: "NNC1002",
        why: "epsilon 0",
      },
      {
        inputs: [f32([2, 3]), f32([3]), f32([3])],
        attrs: { epsilon: 1e-5, training: "yes" },
        code: "NNC1002",
        why: "training not a boolean",
      },
      {
        inputs: [f32([2, 3]), f32([3]), f32([3])],
        attrs: { epsilon: 1e-5, training: true, momentum: 0.9 },
        code: "NNC1002",
        why: "unknown attribute",
      },
      {
        inputs: [i32([2, 3]), f32([3]), f32([3])],
        attrs: { epsilon: 1e-5, training: true },
        code: "NNC2002",
        why: "int32 input",
      },
    ],
  },
  softmax: { valid: axisSamples, invalid: axisInvalid },
  log_softmax: { valid: axisSamples, invalid: axisInvalid },
  dropout: {
    valid: (rng) => [
      { inputs: [f32([])], attrs: { rate: 0.5, seed: rng.int(1000) } },
      { inputs: [f32(randomShape(rng, 1, 9))], attrs: { rate: 0, seed: 0 } },
      { inputs: [f32(randomShape(rng, 2))], attrs: { rate: 0.1, seed: rng.int(1000) } },
      { inputs: [f32(randomShape(rng, 3))], attrs: { rate: 0.5, seed: 7 } },
      { inputs: [f32(randomShape(rng, 4, 4))], attrs: { rate: 0.9, seed: 0xffffffff } },
      // Salted: the salt is read as an integer (a step counter); negative salts wrap mod 2³².
      {
        inputs: [f32(randomShape(rng, 2, 9)), f32([])],
        attrs: { rate: 0.3, seed: rng.int(1000) },
        ranges: [undefined, [0, 1000]],
      },
      {
        inputs: [f32(randomShape(rng, 3)), f32([])],
        attrs: { rate: 0.5, seed: 0 },
        ranges: [undefined, [-50, 50]],
      },
      { inputs: [f32([]), f32([])], attrs: { rate: 0.5, seed: 0xffffffff } },
    ],
    invalid: [
      { inputs: [f32([4])], attrs: { rate: 1, seed: 0 }, code: "NNC1002", why: "rate 1" },
      { inputs: [f32([4])], attrs: { rate: -0.1, seed: 0 }, code: "NNC1002", why: "negative rate" },
      {
        inputs: [f32([4])],
        attrs: { rate: 0.5, seed: 1.5 },
        code: "NNC1002",
        why: "fractional seed",
      },
      { inputs: [f32([4])], attrs: { rate: 0.5, seed: -1 }, code: "NNC1002", why: "negative seed" },
      {
        inputs: [f32([4])],
        attrs: { rate: 0.5, seed: 2 ** 32 },
        code: "NNC1002",
        why: "seed ≥ 2³²",
      },
      { inputs: [f32([4])], attrs: { rate: 0.5 }, code: "NNC1002", why: "missing seed" },
      { inputs: [i32([4])], attrs: { rate: 0.5, seed: 0 }, code: "NNC2002", why: "int32 input" },
      {
        inputs: [f32([4]), i32([])],
        attrs: { rate: 0.5, seed: 0 },
        code: "NNC2002",
        why: "int32 salt",
      },
      {
        inputs: [f32([4]), f32([1])],
        attrs: { rate: 0.5, seed: 0 },
        code: "NNC2008",
        why: "salt not a scalar",
      },
      {
        inputs: [f32([4]), f32([]), f32([])],
        attrs: { rate: 0.5, seed: 0 },
        code: "NNC1003",
        why: "three operands",
      },
    ],
  },
};

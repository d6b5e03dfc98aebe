import { attrBool, attrInt, attrNumber, checkKeys } from "../attr-check.js";
import type { DType } from "../dtype.js";
import type { OpAttrMap } from "../op-attrs.js";
import { defineOp, type OpFamily, type RefTensor, type RuleContext } from "../op-def.js";
import { createRng, saltSeed } from "../random.js";
import { formatShape, type Shape, sizeOf, type TensorType, tryNormalizeAxis } from "../shape.js";
import type { Value } from "../value.js";
import { onlyOperand } from "./ad-util.js";
import { refTensor } from "./ref-util.js";

// Network building blocks: batch normalisation, softmax and dropout. Everything but dropout is
// a composite whose decomposition uses only reductions, elementwise ops and reshapes.

/** The ops of the nn family. */
export type NnOp = "batch_norm" | "softmax" | "log_softmax" | "dropout";

/** Fails unless every operand is float32 (these ops compute in floating point only). */
export function requireFloat32(
  inputs: readonly TensorType[],
  roles: readonly string[],
  ctx: RuleContext,
): DType {
  inputs.forEach((t, i) => {
    if (t.dtype !== "float32") ctx.fail("NNC2002", `${roles[i]} must be float32, got ${t.dtype}`);
  });
  return "float32";
}

// ---- batch_norm ---------------------------------------------------------------------------------

type BatchNormAttrs = OpAttrMap["batch_norm"];

const BATCH_NORM_OPERANDS = ["input", "scale", "offset", "mean", "variance"] as const;

/** Elements per (example, channel) slice of an input with channels on axis 1. */
function channelInner(shape: Shape): number {
  return sizeOf(shape.slice(2));
}

/** Per-channel mean and biased variance over every axis except 1 (two passes, for accuracy). */
function batchStatistics(x: RefTensor): { mean: Float64Array; variance: Float64Array } {
  const c = x.shape[1]!;
  const inner = channelInner(x.shape);
  const count = x.data.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let f = 0; f < x.data.length; f++) mean[Math.floor(f / inner) % c]! += x.data[f]!;
  for (let k = 0; k < c; k++) mean[k]! /= count;
  for (let f = 0; f < x.data.length; f++) {
    const k = Math.floor(f / inner) % c;
    const d = x.data[f]! - mean[k]!;
    variance[k]! += d * d;
  }
  for (let k = 0; k < c; k++) variance[k]! /= count;
  return { mean, variance };
}

/**
 * Batch normalisation over axis 1 of an input of rank ≥ 2 (NCHW or `[N, C]`):
 * y = (x − μ)/√(σ² + ε)·γ + β. In training μ and σ² are the batch statistics (biased variance)
 * and there are three operands; in inference they are the fourth and fifth operands.
 */
export const batchNorm = defineOp<BatchNormAttrs>({
  name: "batch_norm",
  doc: "Batch normalisation over axis 1: batch statistics in training, given ones in inference.",
  category: "nn",
  kind: "composite",
  operands: BATCH_NORM_OPERANDS,
  optionalOperands: 2,
  validateAttrs(raw, ctx) {
    checkKeys(raw, ["epsilon", "training"], ctx);
    return {
      epsilon: attrNumber(raw, "epsilon", ctx, { minExclusive: 0 }),
      training: attrBool(raw, "training", ctx),
    };
  },
  inferShape(inputs, attrs, ctx) {
    const expected = attrs.training ? 3 : 5;
    if (inputs.length !== expected) {
      ctx.fail(
        "NNC1003",
        attrs.training
          ? `training mode takes 3 operands (input, scale, offset), got ${inputs.length}`
          : `inference mode takes 5 operands (input, scale, offset, mean, variance), got ${inputs.length}`,
      );
    }
    const x = inputs[0]!.shape;
    if (x.length < 2) {
      ctx.fail(
        "NNC2008",
        `input must have rank ≥ 2 with channels on axis 1, got ${formatShape(x)}`,
      );
    }
    const c = x[1]!;
    for (let i = 1; i < inputs.length; i++) {
      const s = inputs[i]!.shape;
      if (s.length !== 1 || s[0] !== c) {
        ctx.fail(
          "NNC2006",
          `${BATCH_NORM_OPERANDS[i]} must have shape [C] = [${c}] (input axis 1), got ${formatShape(s)}`,
        );
      }
    }
    return [...x];
  },
  inferDtype: (inputs, _attrs, ctx) => requireFloat32(inputs, BATCH_NORM_OPERANDS, ctx),
  evaluate(inputs, { epsilon, training }) {
    const [x, scale, offset] = inputs as [RefTensor, RefTensor, RefTensor];
    const { mean, variance } = training
      ? batchStatistics(x)
      : { mean: inputs[3]!.data, variance: inputs[4]!.data };
    const c = x.shape[1]!;
    const inner = channelInner(x.shape);
    const out = new Float64Array(x.data.length);
    for (let f = 0; f < out.length; f++) {
      const k = Math.floor(f / inner) % c;
      out[f] =
        ((x.data[f]! - mean[k]!) / Math.sqrt(variance[k]! + epsilon)) * scale.data[k]! +
        offset.data[k]!;
    }
    return refTensor(x.shape, out);
  },
  decompose(g, inputs, { epsilon, training }) {
    const [x, scale, offset] = inputs as [Value, Value, Value];
    const c = x.shape[1]!;
    // [C] statistics broadcast against NCHW only once reshaped to [1, C, 1, 1].
    const perChannel = (v: Value) =>
      g.reshape(
        v,
        x.shape.map((_, i) => (i === 1 ? c : 1)),
      );
    if (training) {
      const axes = x.shape.flatMap((_, i) => (i === 1 ? [] : [i]));
      const centered = g.sub(x, g.mean(x, axes, { keepDims: true }));
      const variance = g.mean(g.square(centered), axes, { keepDims: true });
      const normalized = g.mul(centered, g.rsqrt(g.add(variance, epsilon)));
      return g.add(g.mul(normalized, perChannel(scale)), perChannel(offset));
    }
    const [mean, variance] = [inputs[3]!, inputs[4]!];
    // Fold γ/√(σ² + ε) into one [C] factor before broadcasting: one multiply per element.
    const factor = g.mul(scale, g.rsqrt(g.add(variance, epsilon)));
    return g.add(g.mul(g.sub(x, perChannel(mean)), perChannel(factor)), perChannel(offset));
  },
});

// ---- softmax, log_softmax ------------------------------------------------------------------------

type AxisAttrs = { readonly axis: number };

function validateAxisAttrs(raw: Readonly<Record<string, unknown>>, ctx: RuleContext): AxisAttrs {
  checkKeys(raw, ["axis"], ctx);
  const axis = attrInt(raw, "axis", ctx);
  const rank = ctx.inputs[0]?.shape.length ?? 0;
  const normalized = tryNormalizeAxis(axis, rank);
  if (normalized === undefined) {
    ctx.fail("NNC2004", `axis ${axis} is out of range for rank ${rank}`);
  }
  return { axis: normalized };
}

/**
 * Calls `fn` on each 1-D lane of `x` along `axis` with a reader and writer for that lane, so
 * along-axis kernels are written once as a loop over `n` values.
 */
function forEachLane(
  x: RefTensor,
  axis: number,
  fn: (read: (k: number) => number, write: (k: number, v: number) => void, n: number) => void,
  out: Float64Array,
): void {
  const n = x.shape[axis]!;
  const inner = sizeOf(x.shape.slice(axis + 1));
  const outer = sizeOf(x.shape.slice(0, axis));
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      fn(
        (k) => x.data[base + k * inner]!,
        (k, v) => {
          out[base + k * inner] = v;
        },
        n,
      );
    }
  }
}

/** log Σ exp over one lane, with the maximum subtracted first so no exp overflows. */
function laneLogSumExp(read: (k: number) => number, n: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < n; k++) max = Math.max(max, read(k));
  let sum = 0;
  for (let k = 0; k < n; k++) sum += Math.exp(read(k) - max);
  return max + Math.log(sum);
}

function softmaxFamilyOp<N extends "softmax" | "log_softmax">(name: N, log: boolean) {
  return defineOp<OpAttrMap[N]>({
    name,
    doc: log
      ? "log softmax along one axis: x − log Σ eˣ, computed stably."
      : "Softmax along one axis: eˣ / Σ eˣ, computed stably.",
    category: "nn",
    kind: "composite",
    operands: ["input"],
    validateAttrs: validateAxisAttrs,
    inferShape: ([x]) => [...x!.shape],
    inferDtype: (inputs, _attrs, ctx) => requireFloat32(inputs, ["input"], ctx),
    evaluate([x], { axis }) {
      const out = new Float64Array(x!.data.length);
      forEachLane(
        x!,
        axis,
        (read, write, n) => {
          const lse = laneLogSumExp(read, n);
          for (let k = 0; k < n; k++) write(k, log ? read(k) - lse : Math.exp(read(k) - lse));
        },
        out,
      );
      return refTensor(x!.shape, out);
    },
    decompose(g, [x], { axis }) {
      // log_sum_exp's own decomposition stops the gradient at its maximum.
      if (log) return g.sub(x!, g.logSumExp(x!, axis, { keepDims: true }));
      // Subtracting the maximum keeps every exponent ≤ 0: no overflow, and the sum is ≥ 1. It
      // cancels in the ratio, so differentiation holds it constant instead of differentiating max.
      const e = g.exp(g.sub(x!, g.stopGradient(g.max(x!, axis, { keepDims: true }))));
      return g.div(e, g.sum(e, axis, { keepDims: true }));
    },
  });
}

/** Softmax along `axis`: eˣ / Σ eˣ with the maximum subtracted first (float32). */
export const softmax = softmaxFamilyOp("softmax", false);

/** log softmax along `axis`: x − logsumexp(x), exact for logits of any magnitude (float32). */
export const logSoftmax = softmaxFamilyOp("log_softmax", true);

// ---- dropout -----------------------------------------------------------------------------------

/**
 * The dropout mask: the one definition every backend must reproduce bit for bit. All arithmetic
 * is on unsigned 32-bit integers (modulo 2³²); `fmix32` is MurmurHash3's finaliser
 * (`h ^= h >>> 16; h *= 0x85ebca6b; h ^= h >>> 13; h *= 0xc2b2ae35; h ^= h >>> 16`).
 * 1. The stream seed `s` is `seed` without a salt (the stream of a fixed mask), and with one
 *    `saltSeed(seed, salt)` = `fmix32(seed ^ fmix32(k + 0x9e3779b9))`, where `k` is the salt
 *    truncated toward zero modulo 2³² (ECMAScript ToUint32; NaN and ±∞ give 0). Equal salts give
 *    equal masks; salts that differ modulo 2³² give independent ones.
 * 2. `createRng(s)`: sfc32 with words `a, b, c, d` = `fmix32(s + j·0x9e3779b9)` for j = 1..4
 *    (splitmix32's first four outputs). A draw is `t = a + b + d`, then `d += 1`,
 *    `a = b ^ (b >>> 9)`, `b = 9·c`, `c = rotl(c, 21) + t`; its value is `t / 2³²`.
 * 3. The first 12 draws are discarded; element `i` (row-major) is kept (1) when the next draw's
 *    value is ≥ `rate`, so with probability 1 − rate.
 */
export function dropoutMask(count: number, rate: number, seed: number, salt?: number): Uint8Array {
  const rng = createRng(salt === undefined ? seed : saltSeed(seed, salt));
  const mask = new Uint8Array(count);
  for (let i = 0; i < count; i++) mask[i] = rng.next() >= rate ? 1 : 0;
  return mask;
}

/**
 * Inverted dropout: zeroes each element with probability `rate` and scales the kept ones by
 * 1/(1 − rate), so the expectation is unchanged; rate 0 is the identity. The mask is a
 * deterministic function of `seed` and of the optional float32 scalar operand `salt` (see
 * {@link dropoutMask}): a training step passes its step count as the salt to draw a fresh mask
 * every step, reproducibly. Linear in `input`; the salt is not differentiated.
 */
export const dropout = defineOp<OpAttrMap["dropout"]>({
  name: "dropout",
  doc: "Zeroes elements with probability rate and scales the rest by 1/(1 − rate); seeded, optionally salted.",
  category: "nn",
  kind: "primitive",
  operands: ["input", "salt"],
  optionalOperands: 1,
  validateAttrs(raw, ctx) {
    checkKeys(raw, ["rate", "seed"], ctx);
    const rate = attrNumber(raw, "rate", ctx, { min: 0, maxExclusive: 1 });
    // Seeds are 32-bit: larger ones would silently alias smaller ones in createRng.
    const seed = attrInt(raw, "seed", ctx, 0);
    attrNumber(raw, "seed", ctx, { max: 0xffffffff });
    return { rate, seed };
  },
  inferShape: ([x, salt], _attrs, ctx) => {
    if (salt && salt.shape.length !== 0) {
      ctx.fail("NNC2008", `salt must be a scalar, got shape ${formatShape(salt.shape)}`);
    }
    return [...x!.shape];
  },
  inferDtype: (inputs, _attrs, ctx) => requireFloat32(inputs, ["input", "salt"], ctx),
  evaluate([x, salt], { rate, seed }) {
    const mask = dropoutMask(x!.data.length, rate, seed, salt?.data[0]);
    const keepScale = 1 / (1 - rate);
    const out = new Float64Array(x!.data.length);
    for (let i = 0; i < out.length; i++) out[i] = mask[i] ? x!.data[i]! * keepScale : 0;
    return refTensor(x!.shape, out);
  },
  // The same mask (same seed and salt) on the tangent: a diagonal map, so its own transpose. The
  // mask is piecewise constant in the salt, so the salt's tangent is never asked for.
  jvp: ({ g, primals: [, salt], attrs, tangent }) => {
    const t = tangent(0);
    return t && g.apply("dropout", salt ? [t, salt] : [t], attrs);
  },
  linearity: { kind: "joint", operands: [0] },
  transpose: (args) => {
    const salt = args.residuals[1];
    return onlyOperand(
      args,
      0,
      args.g.apply("dropout", salt ? [args.ct, salt] : [args.ct], args.attrs),
    );
  },
});

/** The nn family's records, keyed by op name. */
export const nnOps: OpFamily<NnOp> = {
  batch_norm: batchNorm,
  softmax,
  log_softmax: logSoftmax,
  dropout,
};

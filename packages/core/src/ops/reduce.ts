import { attrBool, attrInt, attrIntList, checkKeys } from "../attr-check.js";
import type { DType } from "../dtype.js";
import type { GraphBuilder } from "../graph-builder.js";
import type { ReduceAttrs } from "../op-attrs.js";
import {
  defineOp,
  type JvpArgs,
  type OpDef,
  type OpFamily,
  type RefTensor,
  type RuleContext,
} from "../op-def.js";
import { type Shape, sizeOf, type TensorType } from "../shape.js";
import type { Value } from "../value.js";
import { ravel, refTensor, unravel } from "./ref-util.js";

/** The reductions: sum, mean, max, min, log_sum_exp and argmax. */
export type ReduceOp = "sum" | "mean" | "max" | "min" | "log_sum_exp" | "argmax";

type Raw = Readonly<Record<string, unknown>>;

/**
 * Normalises a list of axes against `rank`: negative axes count from the end, the result is
 * sorted. An axis outside [-rank, rank) fails with NNC2004, an axis named twice with NNC1002.
 * `what` qualifies the rank in messages (`"the output rank"` for expand_dims).
 */
export function normalizeAxes(
  raw: Raw,
  key: string,
  rank: number,
  ctx: RuleContext,
  what = "rank",
): number[] {
  const axes = attrIntList(raw, key, ctx);
  const seen = new Set<number>();
  for (const axis of axes) {
    const a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) ctx.fail("NNC2004", `axis ${axis} is out of range for ${what} ${rank}`);
    if (seen.has(a)) {
      ctx.fail("NNC1002", `attribute "${key}" names axis ${a} twice, got ${JSON.stringify(axes)}`);
    }
    seen.add(a);
  }
  return [...seen].sort((x, y) => x - y);
}

/** Normalises one axis against `rank` (negative counts from the end), or fails with NNC2004. */
export function normalizeAxis(raw: Raw, key: string, rank: number, ctx: RuleContext): number {
  const axis = attrInt(raw, key, ctx);
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) ctx.fail("NNC2004", `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** The shape left after reducing `axes`: dropped, or kept as size 1 with `keepDims`. */
export function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  return keepDims
    ? shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : shape.filter((_, i) => !axes.includes(i));
}

/**
 * For every element of `x`, the flat index of the output element it reduces into. Reduced axes
 * are kept as size 1 here; dropping them does not change row-major indices.
 */
function reductionGroups(shape: Shape, axes: readonly number[]): Int32Array {
  const kept = reducedShape(shape, axes, true);
  const groups = new Int32Array(sizeOf(shape));
  for (let flat = 0; flat < groups.length; flat++) {
    const coords = unravel(flat, shape);
    for (const axis of axes) coords[axis] = 0;
    groups[flat] = ravel(coords, kept);
  }
  return groups;
}

/** Folds every group of `x` with `step` from `init`. */
function fold(
  x: RefTensor,
  attrs: ReduceAttrs,
  init: number,
  step: (acc: number, v: number) => number,
): RefTensor {
  const shape = reducedShape(x.shape, attrs.axes, attrs.keepDims);
  const out = new Float64Array(sizeOf(shape)).fill(init);
  const groups = reductionGroups(x.shape, attrs.axes);
  for (let i = 0; i < x.data.length; i++) out[groups[i]!] = step(out[groups[i]!]!, x.data[i]!);
  return refTensor(shape, out);
}

function validateReduceAttrs(raw: Raw, ctx: RuleContext): ReduceAttrs {
  checkKeys(raw, ["axes", "keepDims"], ctx);
  return {
    axes: normalizeAxes(raw, "axes", ctx.inputs[0]!.shape.length, ctx),
    keepDims: attrBool(raw, "keepDims", ctx),
  };
}

function acceptDtypes(accepted: readonly DType[]) {
  return (inputs: readonly TensorType[], _attrs: unknown, ctx: RuleContext): DType => {
    const dtype = inputs[0]!.dtype;
    if (!accepted.includes(dtype)) {
      const verb = accepted.length === 1 ? "needs" : "accepts";
      ctx.fail("NNC2002", `${verb} ${accepted.join(" or ")}, got ${dtype}`);
    }
    return dtype;
  };
}

/**
 * A reduction record from its fold; `init` is what an empty extent reduces to. int32 has no
 * infinities, so max/min of int32 over an empty extent are rejected (as NumPy does for all).
 */
function defineFold(
  name: "sum" | "max" | "min",
  doc: string,
  init: number,
  step: (acc: number, v: number) => number,
): OpDef<ReduceAttrs> {
  return defineOp<ReduceAttrs>({
    name,
    doc,
    category: "reduction",
    kind: "primitive",
    operands: ["x"],
    validateAttrs: validateReduceAttrs,
    inferShape: ([x], attrs, ctx) => {
      if (!Number.isFinite(init) && x!.dtype === "int32") {
        const empty = attrs.axes.find((a) => x!.shape[a] === 0);
        if (empty !== undefined) {
          ctx.fail(
            "NNC2008",
            `axis ${empty} has extent 0 and int32 has no ${init < 0 ? "−∞" : "+∞"} to return`,
          );
        }
      }
      return reducedShape(x!.shape, attrs.axes, attrs.keepDims);
    },
    inferDtype: acceptDtypes(["float32", "int32"]),
    evaluate: ([x], attrs) => fold(x!, attrs, init, step),
  });
}

// Math.max / Math.min propagate NaN, as NumPy's max and min do.
const sum: OpDef<ReduceAttrs> = {
  ...defineFold("sum", "Sum over the given axes.", 0, (acc, v) => acc + v),
  jvp: ({ g, attrs, tangent }) => {
    const t = tangent(0);
    return t && g.apply("sum", [t], attrs);
  },
  linearity: { kind: "joint", operands: [0] },
  // The adjoint of summing is broadcasting back over the summed axes.
  transpose: ({ g, ct, attrs, types }) => {
    const shape = types[0]!.shape;
    const kept = attrs.keepDims ? ct : g.reshape(ct, reducedShape(shape, attrs.axes, true));
    return [kept.shape.join() === shape.join() ? kept : g.broadcastTo(kept, shape)];
  },
};
const max: OpDef<ReduceAttrs> = {
  ...defineFold(
    "max",
    "Maximum over the given axes (−∞ over an empty extent; NaN propagates).",
    Number.NEGATIVE_INFINITY,
    Math.max,
  ),
  jvp: extremumJvp,
};
const min: OpDef<ReduceAttrs> = {
  ...defineFold(
    "min",
    "Minimum over the given axes (+∞ over an empty extent; NaN propagates).",
    Number.POSITIVE_INFINITY,
    Math.min,
  ),
  jvp: extremumJvp,
};

/**
 * JVP of max/min over axes: the mean of the tangent over the positions that attain the extremum
 * (ties share it, as in JAX), i.e. Σ t · [x = m] / count.
 */
function extremumJvp({ g, primals: [x], out, attrs, tangent }: JvpArgs<ReduceAttrs>): Value | null {
  const t = tangent(0);
  if (!t) return null;
  const extremum = attrs.keepDims ? out : g.reshape(out, reducedShape(x!.shape, attrs.axes, true));
  // select, not cast(eq): the indicator is piecewise constant, so higher derivatives see zero.
  const hits = g.select(g.eq(x!, extremum), 1, 0);
  const weights = g.div(hits, g.sum(hits, attrs.axes, { keepDims: true }));
  return g.apply("sum", [g.mul(t, weights)], attrs);
}

function reducedCount(shape: Shape, axes: readonly number[]): number {
  return sizeOf(axes.map((a) => shape[a]!));
}

const mean = defineOp<ReduceAttrs>({
  name: "mean",
  doc: "Arithmetic mean over the given axes (NaN over an empty extent).",
  category: "reduction",
  kind: "composite",
  operands: ["x"],
  validateAttrs: validateReduceAttrs,
  inferShape: ([x], attrs) => reducedShape(x!.shape, attrs.axes, attrs.keepDims),
  inferDtype: acceptDtypes(["float32"]),
  evaluate: ([x], attrs) => {
    const n = reducedCount(x!.shape, attrs.axes);
    const total = fold(x!, attrs, 0, (acc, v) => acc + v);
    return refTensor(
      total.shape,
      total.data.map((s) => s / n),
    );
  },
  decompose: (g, [x], attrs) => {
    const n = reducedCount(x!.shape, attrs.axes);
    return g.mul(g.sum(x!, attrs.axes, { keepDims: attrs.keepDims }), 1 / n);
  },
});

const logSumExp = defineOp<ReduceAttrs>({
  name: "log_sum_exp",
  doc: "log Σ exp(x) over the given axes, computed stably (−∞ over an empty extent).",
  category: "reduction",
  kind: "composite",
  operands: ["x"],
  validateAttrs: validateReduceAttrs,
  inferShape: ([x], attrs) => reducedShape(x!.shape, attrs.axes, attrs.keepDims),
  inferDtype: acceptDtypes(["float32"]),
  evaluate: ([x], attrs) => {
    const peak = fold(x!, attrs, Number.NEGATIVE_INFINITY, Math.max);
    const groups = reductionGroups(x!.shape, attrs.axes);
    const total = new Float64Array(peak.data.length);
    // log Σ eˣ = m + log Σ e^(x − m) with m the maximum: every term is ≤ 1 and one is exactly 1,
    // so nothing overflows and the sum never underflows to 0.
    for (let i = 0; i < x!.data.length; i++) {
      total[groups[i]!]! += Math.exp(x!.data[i]! - peak.data[groups[i]!]!);
    }
    // A non-finite maximum is the answer itself: −∞ when every term is −∞ (or there are none),
    // +∞ when one is +∞, NaN when one is NaN. Subtracting it would give ∞ − ∞ = NaN.
    const out = peak.data.map((m, o) => (Number.isFinite(m) ? m + Math.log(total[o]!) : m));
    return refTensor(peak.shape, out);
  },
  decompose: (g, [x], attrs) => decomposeLogSumExp(g, x!, attrs),
});

function decomposeLogSumExp(g: GraphBuilder, x: Value, attrs: ReduceAttrs): Value {
  const keep = { keepDims: true };
  // The shift only guards against overflow and cancels in the result (its derivative is 0), so
  // differentiation treats it as a constant rather than differentiate max (as jax.nn.logsumexp).
  const peak = g.stopGradient(g.max(x, attrs.axes, keep));
  // Shift by the maximum only where it is finite (m − m is 0 exactly then, NaN for ±∞): an
  // infinite shift would turn x − m into ∞ − ∞. With a shift of 0 the sum of exponentials gives
  // the right ±∞ by itself.
  const finite = g.eq(g.sub(peak, peak), 0);
  const shift = g.select(finite, peak, 0);
  const result = g.add(g.log(g.sum(g.exp(g.sub(x, shift)), attrs.axes, keep)), shift);
  return attrs.keepDims ? result : g.reshape(result, reducedShape(x.shape, attrs.axes, false));
}

/** argmax's canonical attributes. */
type ArgmaxAttrs = { readonly axis: number; readonly keepDims: boolean };

const argmax = defineOp<ArgmaxAttrs>({
  name: "argmax",
  doc: "Index (int32) of the first maximum along one axis; a NaN counts as the maximum.",
  category: "reduction",
  kind: "primitive",
  operands: ["x"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, ["axis", "keepDims"], ctx);
    return {
      axis: normalizeAxis(raw, "axis", ctx.inputs[0]!.shape.length, ctx),
      keepDims: attrBool(raw, "keepDims", ctx),
    };
  },
  inferShape: ([x], attrs, ctx) => {
    // No index answers "where is the maximum of nothing" (NumPy raises too).
    if (x!.shape[attrs.axis] === 0) {
      ctx.fail("NNC2008", `axis ${attrs.axis} has extent 0: there is no index to return`);
    }
    return reducedShape(x!.shape, [attrs.axis], attrs.keepDims);
  },
  inferDtype: (inputs, attrs, ctx) => {
    acceptDtypes(["float32", "int32"])(inputs, attrs, ctx);
    return "int32";
  },
  evaluate: ([x], attrs) => {
    const axes = [attrs.axis];
    const shape = reducedShape(x!.shape, axes, attrs.keepDims);
    const best = new Float64Array(sizeOf(shape)).fill(Number.NEGATIVE_INFINITY);
    const index = new Float64Array(best.length).fill(-1);
    const groups = reductionGroups(x!.shape, axes);
    for (let i = 0; i < x!.data.length; i++) {
      const o = groups[i]!;
      const v = x!.data[i]!;
      // Strict > keeps the first of equal maxima; a NaN wins once and is never displaced,
      // matching max (which returns NaN) and NumPy's argmax.
      const better = !Number.isNaN(best[o]!) && (v > best[o]! || Number.isNaN(v));
      if (index[o] === -1 || better) {
        best[o] = v;
        index[o] = unravel(i, x!.shape)[attrs.axis]!;
      }
    }
    return refTensor(shape, index);
  },
});

/** The reduction records. */
export const reduceOps: OpFamily<ReduceOp> = {
  sum,
  mean,
  max,
  min,
  log_sum_exp: logSumExp,
  argmax,
};

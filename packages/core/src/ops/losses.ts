import { attrEnum, checkKeys } from "../attr-check.js";
import type { DType } from "../dtype.js";
import type { GraphBuilder } from "../graph-builder.js";
import type { LossAttrs } from "../op-attrs.js";
import { defineOp, type OpFamily, type RefTensor, type RuleContext } from "../op-def.js";
import { formatShape, type Shape, shapesEqual, sizeOf, type TensorType } from "../shape.js";
import type { Value } from "../value.js";
import { requireFloat32 } from "./nn.js";
import { refTensor } from "./ref-util.js";

// Losses. Axis 0 is the batch: each example's loss is averaged over its other axes (a rank-0 or
// rank-1 operand has one value per example), then `reduction` combines the examples: "none"
// keeps shape `[N]` (the operand's leading axis; `[]` for a rank-0 operand), "mean" and "sum"
// give a scalar. Every loss is a composite of elementwise ops and reductions.

/** The ops of the loss family. */
export type LossOp = "mse" | "softmax_cross_entropy" | "binary_cross_entropy";

const REDUCTIONS = ["mean", "sum", "none"] as const;

function validateLossAttrs(raw: Readonly<Record<string, unknown>>, ctx: RuleContext): LossAttrs {
  checkKeys(raw, ["reduction"], ctx);
  return { reduction: attrEnum(raw, "reduction", REDUCTIONS, ctx) };
}

/** The loss's shape: one value per example for "none", a scalar otherwise. */
function lossShape(operand: Shape, { reduction }: LossAttrs): number[] {
  return reduction === "none" ? operand.slice(0, 1) : [];
}

/** Fails unless the two operands have identical shapes. */
function requireSameShape(inputs: readonly TensorType[], roles: string, ctx: RuleContext): void {
  const [a, b] = [inputs[0]!.shape, inputs[1]!.shape];
  if (!shapesEqual(a, b)) {
    ctx.fail("NNC2001", `${roles} shapes differ (${formatShape(a)} vs ${formatShape(b)})`);
  }
}

/** Mean of elementwise values over every non-batch axis: one value per example. */
function meanPerExample(values: Float64Array, shape: Shape): Float64Array {
  const examples = shape.length === 0 ? 1 : shape[0]!;
  const count = sizeOf(shape.slice(1));
  const out = new Float64Array(examples);
  for (let n = 0; n < examples; n++) {
    let sum = 0;
    for (let j = 0; j < count; j++) sum += values[n * count + j]!;
    out[n] = sum / count;
  }
  return out;
}

/** Applies the reduction to per-example losses (reference side). */
function reduceExamples(perExample: Float64Array, operand: Shape, attrs: LossAttrs): RefTensor {
  const shape = lossShape(operand, attrs);
  if (attrs.reduction === "none") return refTensor(shape, perExample);
  let sum = 0;
  for (const v of perExample) sum += v;
  return refTensor(
    shape,
    Float64Array.of(attrs.reduction === "sum" ? sum : sum / perExample.length),
  );
}

/** Mean over every non-batch axis (graph side). */
function meanOverExample(g: GraphBuilder, v: Value): Value {
  return v.rank < 2
    ? v
    : g.mean(
        v,
        v.shape.slice(1).map((_, i) => i + 1),
      );
}

/** Applies the reduction to per-example losses (graph side). */
function reduceExamplesGraph(g: GraphBuilder, perExample: Value, { reduction }: LossAttrs): Value {
  if (reduction === "none" || perExample.rank === 0) return perExample;
  return reduction === "sum" ? g.sum(perExample) : g.mean(perExample);
}

// ---- mse ---------------------------------------------------------------------------------------

/** Mean squared error: per example the mean of (prediction − target)² over the non-batch axes. */
export const mse = defineOp<LossAttrs>({
  name: "mse",
  doc: "Mean squared error, averaged over each example's non-batch axes, then reduced.",
  category: "loss",
  kind: "composite",
  operands: ["prediction", "target"],
  validateAttrs: validateLossAttrs,
  inferShape(inputs, attrs, ctx) {
    requireSameShape(inputs, "prediction and target", ctx);
    return lossShape(inputs[0]!.shape, attrs);
  },
  inferDtype: (inputs, _attrs, ctx) => requireFloat32(inputs, ["prediction", "target"], ctx),
  evaluate([p, t], attrs) {
    const squared = p!.data.map((v, i) => (v - t!.data[i]!) ** 2);
    return reduceExamples(meanPerExample(squared, p!.shape), p!.shape, attrs);
  },
  decompose(g, [p, t], attrs) {
    return reduceExamplesGraph(g, meanOverExample(g, g.square(g.sub(p!, t!))), attrs);
  },
});

// ---- softmax_cross_entropy ---------------------------------------------------------------------

// The labels' dtype decides how their shape is read, so it is checked before the shape.
function checkLabelDtype(dtype: DType, ctx: RuleContext): void {
  if (dtype !== "int32" && dtype !== "float32") {
    ctx.fail(
      "NNC2002",
      `labels must be int32 class indices or float32 probabilities, got ${dtype}`,
    );
  }
}

/**
 * Softmax cross-entropy from logits `[N, C]`: per example −Σ labels·log_softmax(logits), with
 * labels either int32 class indices `[N]` or float32 probabilities `[N, C]`. Computed through
 * log-sum-exp, so exact for logits of any magnitude. An int32 label outside [0, C) selects no
 * class: its one-hot row is all zeros, so the example's loss is logsumexp(logits) (and its
 * gradient the softmax, pushing every logit down) — never a read out of bounds.
 */
export const softmaxCrossEntropy = defineOp<LossAttrs>({
  name: "softmax_cross_entropy",
  doc: "Softmax cross-entropy from logits [N, C] and int32 labels [N] or probabilities [N, C].",
  category: "loss",
  kind: "composite",
  operands: ["logits", "labels"],
  validateAttrs: validateLossAttrs,
  inferShape(inputs, attrs, ctx) {
    const [logits, labels] = [inputs[0]!.shape, inputs[1]!];
    if (logits.length !== 2 || logits[1] === 0) {
      ctx.fail("NNC2008", `logits must have shape [N, C] with C ≥ 1, got ${formatShape(logits)}`);
    }
    checkLabelDtype(labels.dtype, ctx);
    if (labels.dtype === "int32") {
      if (labels.shape.length !== 1) {
        ctx.fail(
          "NNC2008",
          `int32 labels must be class indices of shape [N], got ${formatShape(labels.shape)}`,
        );
      }
      if (labels.shape[0] !== logits[0]) {
        ctx.fail(
          "NNC2001",
          `batch sizes differ (logits ${logits[0]} vs labels ${labels.shape[0]})`,
        );
      }
    } else if (!shapesEqual(labels.shape, logits)) {
      ctx.fail(
        "NNC2001",
        `probability labels must have the logits' shape ${formatShape(logits)}, got ${formatShape(labels.shape)}`,
      );
    }
    return lossShape(logits, attrs);
  },
  inferDtype(inputs, _attrs, ctx) {
    checkLabelDtype(inputs[1]!.dtype, ctx);
    return requireFloat32(inputs.slice(0, 1), ["logits"], ctx);
  },
  evaluate([logits, labels], attrs) {
    const [n, c] = [logits!.shape[0]!, logits!.shape[1]!];
    const indices = labels!.shape.length === 1;
    const perExample = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const row = logits!.data.subarray(i * c, (i + 1) * c);
      // logsumexp with the maximum subtracted first: exact at ±1000.
      let max = Number.NEGATIVE_INFINITY;
      for (const v of row) max = Math.max(max, v);
      let sum = 0;
      for (const v of row) sum += Math.exp(v - max);
      const lse = max + Math.log(sum);
      if (indices) {
        const label = labels!.data[i]!;
        perExample[i] = lse - (label >= 0 && label < c ? row[label]! : 0);
      } else {
        // −Σ p·(x − lse) = Σ p·(lse − x); each term is exact even when x − lse is −2000.
        let loss = 0;
        for (let k = 0; k < c; k++) loss += labels!.data[i * c + k]! * (lse - row[k]!);
        perExample[i] = loss;
      }
    }
    return reduceExamples(perExample, logits!.shape, attrs);
  },
  decompose(g, [logits, labels], attrs) {
    const c = logits!.shape[1]!;
    let perExample: Value;
    if (labels!.dtype === "int32") {
      // lse − x[label]; one_hot gives an all-zero row for an out-of-range label.
      const picked = g.sum(g.mul(g.oneHot(labels!, c), logits!), 1);
      perExample = g.sub(g.logSumExp(logits!, 1), picked);
    } else {
      perExample = g.neg(g.sum(g.mul(labels!, g.logSoftmax(logits!, 1)), 1));
    }
    return reduceExamplesGraph(g, perExample, attrs);
  },
});

// ---- binary_cross_entropy ----------------------------------------------------------------------

/** −t·log σ(x) − (1 − t)·log(1 − σ(x)), rewritten so no term overflows or cancels badly. */
function binaryCrossEntropyFromLogit(x: number, t: number): number {
  return Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
}

/**
 * Binary cross-entropy from logits: per element max(x, 0) − x·t + log(1 + e^−|x|) (equal to
 * −t log σ(x) − (1 − t) log(1 − σ(x)), stable at ±1000), per example the mean over the
 * non-batch axes. Targets may be any reals in [0, 1] (soft labels), where the loss equals
 * KL(t‖σ(x)) + H(t).
 */
export const binaryCrossEntropy = defineOp<LossAttrs>({
  name: "binary_cross_entropy",
  doc: "Binary cross-entropy from logits and targets in [0, 1], averaged per example, then reduced.",
  category: "loss",
  kind: "composite",
  operands: ["logits", "targets"],
  validateAttrs: validateLossAttrs,
  inferShape(inputs, attrs, ctx) {
    requireSameShape(inputs, "logits and targets", ctx);
    return lossShape(inputs[0]!.shape, attrs);
  },
  inferDtype: (inputs, _attrs, ctx) => requireFloat32(inputs, ["logits", "targets"], ctx),
  evaluate([x, t], attrs) {
    const elementwise = x!.data.map((v, i) => binaryCrossEntropyFromLogit(v, t!.data[i]!));
    return reduceExamples(meanPerExample(elementwise, x!.shape), x!.shape, attrs);
  },
  decompose(g, [x, t], attrs) {
    // softplus(−|x|) = log(1 + e^−|x|) with an argument ≤ 0, so it never overflows.
    const elementwise = g.add(g.sub(g.maximum(x!, 0), g.mul(x!, t!)), g.softplus(g.neg(g.abs(x!))));
    return reduceExamplesGraph(g, meanOverExample(g, elementwise), attrs);
  },
});

/** The loss family's records, keyed by op name. */
export const lossOps: OpFamily<LossOp> = {
  mse,
  softmax_cross_entropy: softmaxCrossEntropy,
  binary_cross_entropy: binaryCrossEntropy,
};

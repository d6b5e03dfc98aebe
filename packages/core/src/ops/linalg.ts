import { noAttrs } from "../attr-check.js";
import type { DType } from "../dtype.js";
import type { GraphBuilder } from "../graph-builder.js";
import type { NoAttrs } from "../op-attrs.js";
import { defineOp, type OpFamily, type RefTensor, type RuleContext } from "../op-def.js";
import { formatShape, type Shape, sizeOf, type TensorType, tryBroadcastShapes } from "../shape.js";
import type { Value } from "../value.js";
import { multilinearJvp, unbroadcast } from "./ad-util.js";
import { broadcastIndices, refTensor } from "./ref-util.js";

/** Swaps the last two axes (a matrix transpose over any batch axes). */
function swapLastAxes(g: GraphBuilder, x: Value): Value {
  const perm = x.shape.map((_, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1]!, perm[x.rank - 2]!];
  return g.transpose(x, perm);
}

/** The linear-algebra ops. */
export type LinalgOp = "matmul" | "dense";

/** Output shape of a (batched) matrix product, or an NNC2008/2003/2001 failure. */
function matmulShape(a: Shape, b: Shape, ctx: RuleContext): number[] {
  if (a.length < 2 || b.length < 2) {
    ctx.fail(
      "NNC2008",
      `operands must be matrices (rank ≥ 2), got ${formatShape(a)} and ${formatShape(b)}; expand_dims a vector first`,
    );
  }
  const k = a[a.length - 1]!;
  const kB = b[b.length - 2]!;
  if (k !== kB) ctx.fail("NNC2003", `contracting dimensions differ (${k} vs ${kB})`);
  const batchA = a.slice(0, -2);
  const batchB = b.slice(0, -2);
  const batch = tryBroadcastShapes(batchA, batchB);
  if (!batch) {
    ctx.fail(
      "NNC2001",
      `batch axes ${formatShape(batchA)} and ${formatShape(batchB)} cannot be broadcast`,
    );
  }
  return [...batch, a[a.length - 2]!, b[b.length - 1]!];
}

/** The common dtype of operands that must all share one numeric dtype. */
function sameNumericDtype(
  inputs: readonly TensorType[],
  roles: readonly string[],
  ctx: RuleContext,
): DType {
  const dtype = inputs[0]!.dtype;
  if (dtype === "bool") ctx.fail("NNC2002", `${roles[0]} must be float32 or int32, got bool`);
  inputs.forEach((t, i) => {
    if (t.dtype !== dtype) {
      ctx.fail(
        "NNC2002",
        `operands must share one dtype, got ${roles[0]} ${dtype} and ${roles[i]} ${t.dtype}`,
      );
    }
  });
  return dtype;
}

/**
 * Reference batched matrix product: for each broadcast batch index, an `[m, k] · [k, n]` product
 * accumulated in float64.
 */
function matmulRef(a: RefTensor, b: RefTensor): RefTensor {
  const m = a.shape[a.shape.length - 2]!;
  const k = a.shape[a.shape.length - 1]!;
  const n = b.shape[b.shape.length - 1]!;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = tryBroadcastShapes(batchA, batchB)!;
  const [mapA, mapB] = broadcastIndices([batchA, batchB], batch);
  const out = new Float64Array(sizeOf(batch) * m * n);
  for (let t = 0; t < sizeOf(batch); t++) {
    const offA = mapA![t]! * m * k;
    const offB = mapB![t]! * k * n;
    const offOut = t * m * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc += a.data[offA + i * k + p]! * b.data[offB + p * n + j]!;
        out[offOut + i * n + j] = acc;
      }
    }
  }
  return refTensor([...batch, m, n], out);
}

/** Matrix product over the last two axes; leading (batch) axes broadcast NumPy-style. */
const matmul = defineOp<NoAttrs>({
  name: "matmul",
  doc: "Matrix product over the last two axes; leading batch axes broadcast.",
  category: "linalg",
  kind: "primitive",
  operands: ["lhs", "rhs"],
  validateAttrs: noAttrs,
  inferShape: ([a, b], _attrs, ctx) => matmulShape(a!.shape, b!.shape, ctx),
  inferDtype: (inputs, _attrs, ctx) => sameNumericDtype(inputs, ["lhs", "rhs"], ctx),
  evaluate: ([a, b]) => matmulRef(a!, b!),
  jvp: (args) => multilinearJvp(args, [0, 1], ([a, b]) => args.g.matmul(a!, b!)),
  linearity: { kind: "separate", operands: [0, 1] },
  // C = A·B: Ā = C̄·Bᵀ and B̄ = Aᵀ·C̄, summed over any broadcast batch axes.
  transpose: ({ g, ct, types, residuals: [a, b], linear }) => [
    linear[0] ? unbroadcast(g, g.matmul(ct, swapLastAxes(g, b!)), types[0]!.shape) : null,
    linear[1] ? unbroadcast(g, g.matmul(swapLastAxes(g, a!), ct), types[1]!.shape) : null,
  ],
});

/**
 * A fully connected layer `x · w (+ b)` for x `[..., in]` (rank ≥ 2), w `[in, out]`, b `[out]`;
 * a composite of matmul and add.
 */
const dense = defineOp<NoAttrs>({
  name: "dense",
  doc: "Fully connected layer x · w + b for x [..., in], w [in, out] and an optional bias [out].",
  category: "linalg",
  kind: "composite",
  operands: ["input", "weight", "bias"],
  optionalOperands: 1,
  validateAttrs: noAttrs,
  inferShape: ([x, w, b], _attrs, ctx) => {
    if (x!.shape.length < 2) {
      ctx.fail("NNC2008", `input must be [..., in] with rank ≥ 2, got ${formatShape(x!.shape)}`);
    }
    if (w!.shape.length !== 2) {
      ctx.fail("NNC2008", `weight must be a matrix [in, out], got ${formatShape(w!.shape)}`);
    }
    const shape = matmulShape(x!.shape, w!.shape, ctx);
    const units = w!.shape[1]!;
    if (b && b.shape.length !== 1) {
      ctx.fail(
        "NNC2008",
        `bias must be a vector of shape [${units}] (one per output), got ${formatShape(b.shape)}`,
      );
    }
    if (b && b.shape[0] !== units) {
      ctx.fail(
        "NNC2001",
        `bias of shape ${formatShape(b.shape)} does not match the ${units} outputs`,
      );
    }
    return shape;
  },
  inferDtype: (inputs, _attrs, ctx) => sameNumericDtype(inputs, ["input", "weight", "bias"], ctx),
  evaluate: ([x, w, b]) => {
    const y = matmulRef(x!, w!);
    if (!b) return y;
    const units = b.data.length;
    const data = y.data.map((v, i) => v + b.data[i % units]!);
    return refTensor(y.shape, data);
  },
  decompose: (g, [x, w, b]) => {
    const y = g.matmul(x!, w!);
    return b ? g.add(y, b) : y;
  },
});

/** The records of the linear-algebra ops. */
export const linalgOps: OpFamily<LinalgOp> = { matmul, dense };

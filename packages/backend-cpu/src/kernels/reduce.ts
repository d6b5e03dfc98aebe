import { type Node, type ReduceAttrs, type Shape, sizeOf, stridesOf } from "@nnc/core";
import type { EmitContext, NodeEmitter } from "../emit-context.js";
import { collapseAxes, element, LoopNest, literal, locals } from "./loop-nest.js";

// Reductions over any set of axes. The input is always read in row-major order (contiguous);
// what changes is where the running value lives. Reduced axes that are innermost accumulate in
// a local variable, stored once per output element (a row sum). Reduced axes outside a kept
// axis accumulate a whole row of outputs at a time (a column sum: out[j] += x[i, j]), in a
// float64 scratch the size of the output, so float32 sums are accumulated in float64 either way.

/** The reductions with a fold: their identity and step. */
type FoldOp = "sum" | "max" | "min";

interface Fold {
  /** What an empty extent reduces to. */
  readonly init: number;
  /** The step `acc ⊕ v` as an expression. */
  combine(acc: string, v: string, dtype: Node["type"]["dtype"]): string;
}

const FOLDS: { readonly [P in FoldOp]: Fold } = {
  // int32 sums wrap like the reference's Int32Array conversion of its exact float64 sum.
  sum: {
    init: 0,
    combine: (acc, v, dtype) => (dtype === "int32" ? `(${acc} + ${v}) | 0` : `${acc} + ${v}`),
  },
  // Math.max / Math.min propagate NaN, as the reference does.
  max: { init: Number.NEGATIVE_INFINITY, combine: (acc, v) => `Math.max(${acc}, ${v})` },
  min: { init: Number.POSITIVE_INFINITY, combine: (acc, v) => `Math.min(${acc}, ${v})` },
};

/** True for the reductions that can absorb an elementwise prologue. */
export function isFoldOp(op: string): op is FoldOp {
  return op === "sum" || op === "max" || op === "min";
}

/**
 * Strides of a reduction's output over its input's iteration space: the kept axes' row-major
 * strides in the output, 0 along reduced axes (keepDims does not change the memory layout).
 */
export function reductionOutputStrides(input: Shape, axes: readonly number[]): number[] {
  const kept = input.map((d, k) => (axes.includes(k) ? 1 : d));
  const strides = stridesOf(kept);
  return input.map((_, k) => (axes.includes(k) ? 0 : strides[k]!));
}

/** A reduction over an empty input: every output element is the identity. */
export function emitEmptyReduction(ctx: EmitContext, node: Node): string {
  const out = ctx.ref(node.id);
  const n = sizeOf(node.type.shape);
  if (n === 0) return "";
  const init = FOLDS[node.op as FoldOp].init;
  return `${out.view}.fill(${literal(init)}, ${out.base}, ${out.base + n});`;
}

/**
 * Adds reduction `node` to a loop nest over its input's iteration space: `value` (an expression
 * valid at the innermost level) is folded into the output, whose strides are pattern
 * `outPattern` of the nest.
 */
export function attachReduction(
  ctx: EmitContext,
  nest: LoopNest,
  node: Node,
  value: string,
  outPattern: number,
): void {
  const fold = FOLDS[node.op as FoldOp];
  const { dtype } = node.type;
  const out = ctx.ref(node.id);
  const strides = nest.patterns[outPattern]!;
  const inner = nest.inner;
  // Levels suffix..inner are reduced: they accumulate in a local.
  let suffix = inner + 1;
  while (suffix > 0 && strides[suffix - 1] === 0) suffix--;
  const outerReduced = strides.slice(0, suffix).some((s) => s === 0);
  const acc = suffix <= inner ? ctx.local("acc") : undefined;
  if (acc) {
    nest.head(suffix - 1).push(`let ${acc} = ${literal(fold.init)};`);
    nest.head(inner).push(`${acc} = ${fold.combine(acc, value, dtype)};`);
  }
  if (!outerReduced) {
    // Each output element is complete after the suffix loops: store it once.
    const level = acc ? suffix - 1 : inner;
    nest.tail(level).push(`${element(out, nest.offset(outPattern, level))} = ${acc ?? value};`);
    return;
  }
  const n = sizeOf(node.type.shape);
  const scratch = ctx.helper(`nncAcc${n}`, `const nncAcc${n} = new Float64Array(${n});`);
  nest.head(-1).unshift(`${scratch}.fill(${literal(fold.init)});`);
  const level = acc ? suffix - 1 : inner;
  const target = `${scratch}[${nest.offset(outPattern, level)}]`;
  const place = acc ? nest.tail(level) : nest.head(level);
  place.push(`${target} = ${fold.combine(target, acc ?? value, dtype)};`);
  const i = ctx.local("i");
  nest
    .tail(-1)
    .push(`for (let ${i} = 0; ${i} < ${n}; ${i}++) ${element(out, i)} = ${scratch}[${i}];`);
}

/** sum, max or min of one operand over `attrs.axes`. */
function emitFold(ctx: EmitContext, node: Node): string {
  const input = ctx.program.graph.node(node.inputs[0]!);
  const shape = input.type.shape;
  if (sizeOf(shape) === 0) return emitEmptyReduction(ctx, node);
  const { axes } = node.attrs as unknown as ReduceAttrs;
  const nest = new LoopNest(
    ctx,
    collapseAxes(shape, [stridesOf(shape), reductionOutputStrides(shape, axes)]),
  );
  const x = ctx.local("x");
  nest
    .head(nest.inner)
    .push(`const ${x} = ${element(ctx.ref(input.id), nest.offset(0, nest.inner))};`);
  attachReduction(ctx, nest, node, x, 1);
  return nest.render();
}

/** Sum over axes (float32 accumulated in float64; int32 wrapping). */
export const emitSum: NodeEmitter = emitFold;
/** Maximum over axes; NaN propagates. */
export const emitMax: NodeEmitter = emitFold;
/** Minimum over axes; NaN propagates. */
export const emitMin: NodeEmitter = emitFold;

/**
 * Index of the first maximum along one axis; a NaN counts as the maximum (the first NaN wins).
 * Each lane `[outer, ·, inner]` is scanned from its first element.
 */
export const emitArgmax: NodeEmitter = (ctx, node) => {
  const input = ctx.program.graph.node(node.inputs[0]!);
  const shape = input.type.shape;
  const { axis } = node.attrs as { axis: number };
  const outer = sizeOf(shape.slice(0, axis));
  const n = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  if (outer * inner === 0) return "";
  const x = ctx.ref(input.id);
  const out = ctx.ref(node.id);
  const float = input.type.dtype === "float32";
  const [o, i, k, start, best, arg, v] = locals(ctx, "o", "i", "k", "s", "best", "arg", "v");
  // `best === best` is false once best is NaN: nothing displaces a NaN.
  const better = float
    ? `${best} === ${best} && (${v} > ${best} || ${v} !== ${v})`
    : `${v} > ${best}`;
  const lane = [
    `let ${best} = ${x.view}[${start}];`,
    `let ${arg} = 0;`,
    `for (let ${k} = 1; ${k} < ${n}; ${k}++) {`,
    `  const ${v} = ${x.view}[${start} + ${inner === 1 ? k : `${k} * ${inner}`}];`,
    `  if (${better}) {`,
    `    ${best} = ${v};`,
    `    ${arg} = ${k};`,
    "  }",
    "}",
  ];
  const laneStart = (index: string, laneStride: number) =>
    `const ${start} = ${x.base} + ${index}${laneStride === 1 ? "" : ` * ${laneStride}`};`;
  if (inner === 1) {
    return [
      `for (let ${o} = 0; ${o} < ${outer}; ${o}++) {`,
      `  ${laneStart(o, n)}`,
      ...lane.map((l) => `  ${l}`),
      `  ${element(out, o)} = ${arg};`,
      "}",
    ].join("\n");
  }
  return [
    `for (let ${o} = 0; ${o} < ${outer}; ${o}++) {`,
    `  for (let ${i} = 0; ${i} < ${inner}; ${i}++) {`,
    `    const ${start} = ${x.base} + ${o} * ${n * inner} + ${i};`,
    ...lane.map((l) => `    ${l}`),
    `    ${element(out, `${o} * ${inner} + ${i}`)} = ${arg};`,
    "  }",
    "}",
  ].join("\n");
};

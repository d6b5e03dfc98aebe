import { type ReduceAttrs, sizeOf, stridesOf } from "@nnc/core";
import type { GlslEmitter } from "../emit-context.js";
import { affineIndex, floatLiteral, glslType, plus, times } from "../index-math.js";

// Reductions: each output element loops over the reduced axes of its input (a prologue's
// elementwise chain is the operand's node function, so it is computed inside the loop). Sums
// accumulate in float32 (within the conformance suite's per-term bound); max and min
// propagate NaN as Math.max does; int32 sums wrap.

type Fold = "sum" | "max" | "min";

function emitFold(fold: Fold): GlslEmitter {
  return (ctx, node) => {
    const input = ctx.program.graph.node(node.inputs[0]!);
    const shape = input.type.shape;
    const { axes } = node.attrs as unknown as ReduceAttrs;
    const strides = stridesOf(shape);
    const keptShape = shape.filter((_, k) => !axes.includes(k));
    const keptStrides = strides.filter((_, k) => !axes.includes(k));
    const reducedShape = shape.filter((_, k) => axes.includes(k));
    const reducedStrides = strides.filter((_, k) => axes.includes(k));
    const count = sizeOf(reducedShape);
    const type = glslType(node.type.dtype);
    const int = type === "int";
    const base = ctx.local("base");
    const acc = ctx.local("acc");
    const r = ctx.local("r");
    const v = ctx.local("v");
    const lines = [`int ${base} = ${affineIndex("i", keptShape, keptStrides)};`];
    const at = (index: string) =>
      ctx.read(input.id, plus(base, affineIndex(index, reducedShape, reducedStrides)));
    if (fold === "sum") {
      lines.push(`${type} ${acc} = ${int ? "0" : "0.0"};`);
      if (count > 0) {
        lines.push(`for (int ${r} = 0; ${r} < ${count}; ${r}++) ${acc} += ${at(r)};`);
      }
      lines.push(`return ${acc};`);
      return lines.join("\n");
    }
    if (count === 0) {
      // The reference folds from ∓∞; stored as int32 that is 0.
      const init = int ? "0" : floatLiteral(fold === "max" ? -Infinity : Infinity);
      return `return ${init};`;
    }
    const pick = fold === "max" ? "max" : "min";
    lines.push(`${type} ${acc} = ${at("0")};`);
    lines.push(`for (int ${r} = 1; ${r} < ${count}; ${r}++) {`);
    lines.push(`  ${type} ${v} = ${at(r)};`);
    lines.push(
      int
        ? `  ${acc} = ${pick}(${acc}, ${v});`
        : `  ${acc} = isnan(${v}) || isnan(${acc}) ? ${v} + ${acc} : ${pick}(${acc}, ${v});`,
    );
    lines.push("}");
    lines.push(`return ${acc};`);
    return lines.join("\n");
  };
}

/** Sum over axes (float32 accumulation; int32 wraps). */
export const emitSum: GlslEmitter = emitFold("sum");
/** Maximum over axes; NaN propagates. */
export const emitMax: GlslEmitter = emitFold("max");
/** Minimum over axes; NaN propagates. */
export const emitMin: GlslEmitter = emitFold("min");

/** Index of the first maximum along one axis; a NaN counts as the maximum (the first NaN wins). */
export const emitArgmax: GlslEmitter = (ctx, node) => {
  const input = ctx.program.graph.node(node.inputs[0]!);
  const shape = input.type.shape;
  const { axis } = node.attrs as { axis: number };
  const n = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  if (n === 0) return "return 0;";
  const type = glslType(input.type.dtype);
  const [start, best, arg, k, v] = ["s", "best", "arg", "k", "v"].map((p) => ctx.local(p)) as [
    string,
    string,
    string,
    string,
    string,
  ];
  const better =
    type === "float" ? `!isnan(${best}) && (${v} > ${best} || isnan(${v}))` : `${v} > ${best}`;
  const startExpr = plus(
    times(inner === 1 ? "i" : `i / ${inner}`, n * inner),
    inner === 1 ? "0" : `i % ${inner}`,
  );
  return [
    `int ${start} = ${startExpr};`,
    `${type} ${best} = ${ctx.read(input.id, start)};`,
    `int ${arg} = 0;`,
    `for (int ${k} = 1; ${k} < ${n}; ${k}++) {`,
    `  ${type} ${v} = ${ctx.read(input.id, plus(start, times(k, inner)))};`,
    `  if (${better}) { ${best} = ${v}; ${arg} = ${k}; }`,
    "}",
    `return ${arg};`,
  ].join("\n");
};

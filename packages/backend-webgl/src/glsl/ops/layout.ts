import { type OpAttrMap, type PadAttrs, type SliceAttrs, sizeOf, stridesOf } from "@nnc/core";
import type { GlslEmitter } from "../emit-context.js";
import { affineIndex, broadcastStrides, typedLiteral, unravel } from "../index-math.js";

// Layout ops move elements: each output element reads one input element through an index map
// (reshape: the same index; transpose: permuted strides; broadcast_to: zero strides; slice:
// scaled strides from an offset), or picks a constant (pad, one_hot) or an operand (concat).

/** reshape: the same elements in the same order. */
export const emitReshape: GlslEmitter = (ctx, node) => `return ${ctx.read(node.inputs[0]!, "i")};`;

/** transpose: the input read through permuted strides. */
export const emitTranspose: GlslEmitter = (ctx, node) => {
  const input = ctx.program.graph.node(node.inputs[0]!);
  const { perm } = node.attrs as unknown as OpAttrMap["transpose"];
  const strides = stridesOf(input.type.shape);
  const index = affineIndex(
    "i",
    node.type.shape,
    perm.map((p) => strides[p]!),
  );
  return `return ${ctx.read(input.id, index)};`;
};

/** broadcast_to: the input read with stride 0 along broadcast axes. */
export const emitBroadcastTo: GlslEmitter = (ctx, node) => {
  const input = ctx.program.graph.node(node.inputs[0]!);
  const index = affineIndex(
    "i",
    node.type.shape,
    broadcastStrides(input.type.shape, node.type.shape),
  );
  return `return ${ctx.read(input.id, index)};`;
};

/** slice: the input read from `start` with strides scaled by `step`. */
export const emitSlice: GlslEmitter = (ctx, node) => {
  const input = ctx.program.graph.node(node.inputs[0]!);
  const { start, step } = node.attrs as unknown as SliceAttrs;
  const strides = stridesOf(input.type.shape);
  const offset = start.reduce((sum, s, k) => sum + s * strides[k]!, 0);
  const index = affineIndex(
    "i",
    node.type.shape,
    strides.map((s, k) => s * step[k]!),
    offset,
  );
  return `return ${ctx.read(input.id, index)};`;
};

/**
 * pad: output coordinate c along an axis comes from input coordinate (c − before) / (1 +
 * interior) when that is a whole number in range, else it is the padding value.
 */
export const emitPad: GlslEmitter = (ctx, node) => {
  const input = ctx.program.graph.node(node.inputs[0]!);
  const { pads, value, interior } = node.attrs as unknown as PadAttrs;
  const shape = node.type.shape;
  const inShape = input.type.shape;
  const fill = typedLiteral(value, node.type.dtype);
  if (sizeOf(inShape) === 0) return `return ${fill};`;
  const names = shape.map(() => ctx.local("c"));
  const lines = unravel("i", shape, names);
  const inStrides = stridesOf(inShape);
  const terms: string[] = [];
  shape.forEach((_, k) => {
    const c = names[k]!;
    const before = pads[k]![0];
    const gap = 1 + (interior?.[k] ?? 0);
    const shifted = before === 0 ? c : `${c} - ${before}`;
    lines.push(`int ${c}s = ${shifted};`);
    const checks = [`${c}s < 0`];
    if (gap > 1) {
      checks.push(`${c}s % ${gap} != 0`);
      lines.push(`if (${checks.join(" || ")}) return ${fill};`);
      lines.push(`${c}s /= ${gap};`);
      lines.push(`if (${c}s >= ${inShape[k]}) return ${fill};`);
    } else {
      checks.push(`${c}s >= ${inShape[k]}`);
      lines.push(`if (${checks.join(" || ")}) return ${fill};`);
    }
    if (inShape[k] !== 1) terms.push(inStrides[k] === 1 ? `${c}s` : `${c}s * ${inStrides[k]}`);
  });
  lines.push(`return ${ctx.read(input.id, terms.length ? terms.join(" + ") : "0")};`);
  return lines.join("\n");
};

/** concat: the operand whose slab along the axis holds the output coordinate. */
export const emitConcat: GlslEmitter = (ctx, node) => {
  const { axis } = node.attrs as unknown as OpAttrMap["concat"];
  const shape = node.type.shape;
  const inner = sizeOf(shape.slice(axis + 1));
  const total = shape[axis]!;
  const [o, c, r] = ["o", "c", "r"].map((p) => ctx.local(p)) as [string, string, string];
  const lines = [
    `int ${o} = i / ${total * inner};`,
    `int ${c} = (i / ${inner}) % ${total};`,
    `int ${r} = i % ${inner};`,
  ];
  const graph = ctx.program.graph;
  const parts = node.inputs.map((id) => ({ id, extent: graph.node(id).type.shape[axis]! }));
  const nonEmpty = parts.filter((p) => p.extent > 0);
  nonEmpty.forEach((p, k) => {
    const start = parts.slice(0, parts.indexOf(p)).reduce((s, q) => s + q.extent, 0);
    const index = `${o} * ${p.extent * inner} + (${c} - ${start}) * ${inner} + ${r}`;
    const read = `return ${ctx.read(p.id, index)};`;
    lines.push(k === nonEmpty.length - 1 ? read : `if (${c} < ${start + p.extent}) ${read}`);
  });
  if (nonEmpty.length === 0) lines.push(`return ${typedLiteral(0, node.type.dtype)};`);
  return lines.join("\n");
};

/** one_hot: on where the row's index equals the position, off elsewhere (out of range: all off). */
export const emitOneHot: GlslEmitter = (ctx, node) => {
  const { depth, onValue, offValue } = node.attrs as unknown as OpAttrMap["one_hot"];
  const { dtype } = node.type;
  const k = ctx.local("k");
  return [
    `int ${k} = ${ctx.read(node.inputs[0]!, `i / ${depth}`)};`,
    `return ${k} == i % ${depth} ? ${typedLiteral(onValue, dtype)} : ${typedLiteral(offValue, dtype)};`,
  ].join("\n");
};

import { attrInt, attrIntList, attrNumber, attrPairList, checkKeys } from "../attr-check.js";
import type { OpAttrMap, PadAttrs, Pair, SliceAttrs } from "../op-attrs.js";
import { defineOp, type OpFamily, type RuleContext } from "../op-def.js";
import { operandRole } from "../rule-context.js";
import { formatShape, type Shape, sizeOf } from "../shape.js";
import { jointLinearJvp, unbroadcast } from "./ad-util.js";
import { normalizeAxes, normalizeAxis } from "./reduce.js";
import { broadcastIndices, ravel, refTensor, unravel } from "./ref-util.js";

/** The layout ops: they move, copy or re-index elements without arithmetic. */
export type LayoutOp =
  | "reshape"
  | "transpose"
  | "broadcast_to"
  | "slice"
  | "pad"
  | "concat"
  | "flatten"
  | "squeeze"
  | "expand_dims"
  | "one_hot";

type Attrs<P extends LayoutOp> = OpAttrMap[P];

function rankOf(ctx: RuleContext): number {
  return ctx.inputs[0]!.shape.length;
}

/** Fails unless an attribute list has one entry per axis of the operand. */
function checkPerAxis(list: readonly unknown[], key: string, ctx: RuleContext): void {
  const rank = rankOf(ctx);
  if (list.length !== rank) {
    ctx.fail(
      "NNC1002",
      `attribute "${key}" needs one entry per axis (${rank}), got ${list.length}: ${JSON.stringify(list)}`,
    );
  }
}

const reshape = defineOp<Attrs<"reshape">>({
  name: "reshape",
  doc: "Same elements in row-major order, new shape.",
  category: "layout",
  kind: "primitive",
  operands: ["x"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, ["shape"], ctx);
    const shape = attrIntList(raw, "shape", ctx, -1);
    const holes = shape.filter((d) => d === -1).length;
    if (holes > 1) {
      ctx.fail("NNC1002", `attribute "shape" may contain one -1, got ${JSON.stringify(shape)}`);
    }
    if (holes === 0) return { shape };
    const input = ctx.inputs[0]!.shape;
    const size = sizeOf(input);
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0) {
      // Any extent fits 0 elements (and none fits more): -1 has no single answer.
      if (size === 0)
        ctx.fail("NNC1002", `cannot infer the -1 in ${formatShape(shape)} for 0 elements`);
      ctx.fail(
        "NNC2005",
        `element counts differ: ${formatShape(input)} has ${size} elements, ${formatShape(shape)} has 0`,
      );
    }
    if (size % known !== 0) {
      ctx.fail(
        "NNC2005",
        `element counts differ: ${formatShape(input)} has ${size} elements, but ${formatShape(shape)} holds a multiple of ${known}`,
      );
    }
    return { shape: shape.map((d) => (d === -1 ? size / known : d)) };
  },
  inferShape: ([x], { shape }, ctx) => {
    if (sizeOf(shape) !== sizeOf(x!.shape)) {
      ctx.fail(
        "NNC2005",
        `element counts differ: ${formatShape(x!.shape)} has ${sizeOf(x!.shape)} elements, ${formatShape(shape)} has ${sizeOf(shape)}`,
      );
    }
    return [...shape];
  },
  inferDtype: ([x]) => x!.dtype,
  evaluate: ([x], { shape }) => refTensor(shape, x!.data.slice()),
  jvp: (args) => jointLinearJvp(args, "reshape"),
  linearity: { kind: "joint", operands: [0] },
  transpose: ({ g, ct, types }) => [g.reshape(ct, types[0]!.shape)],
});

const transpose = defineOp<Attrs<"transpose">>({
  name: "transpose",
  doc: "Permutes axes: output axis i is input axis perm[i].",
  category: "layout",
  kind: "primitive",
  operands: ["x"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, ["perm"], ctx);
    const perm = attrIntList(raw, "perm", ctx);
    const rank = rankOf(ctx);
    const sorted = [...perm].sort((a, b) => a - b);
    if (sorted.length !== rank || sorted.some((p, i) => p !== i)) {
      const axes = Array.from({ length: rank }, (_, i) => i);
      ctx.fail(
        "NNC1002",
        `attribute "perm" must be a permutation of [${axes.join(",")}], got ${JSON.stringify(perm)}`,
      );
    }
    return { perm };
  },
  inferShape: ([x], { perm }) => perm.map((p) => x!.shape[p]!),
  inferDtype: ([x]) => x!.dtype,
  evaluate: ([x], { perm }) => {
    const shape = perm.map((p) => x!.shape[p]!);
    const out = new Float64Array(x!.data.length);
    const source = new Array<number>(perm.length);
    for (let flat = 0; flat < out.length; flat++) {
      const coords = unravel(flat, shape);
      for (let i = 0; i < perm.length; i++) source[perm[i]!] = coords[i]!;
      out[flat] = x!.data[ravel(source, x!.shape)]!;
    }
    return refTensor(shape, out);
  },
  jvp: (args) => jointLinearJvp(args, "transpose"),
  linearity: { kind: "joint", operands: [0] },
  transpose: ({ g, ct, attrs: { perm } }) => {
    const inverse = new Array<number>(perm.length);
    for (const [i, p] of perm.entries()) inverse[p] = i;
    return [g.transpose(ct, inverse)];
  },
});

const broadcastTo = defineOp<Attrs<"broadcast_to">>({
  name: "broadcast_to",
  doc: "Repeats size-1 axes and prepends axes to reach a shape, by NumPy rules.",
  category: "layout",
  kind: "primitive",
  operands: ["x"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, ["shape"], ctx);
    return { shape: attrIntList(raw, "shape", ctx, 0) };
  },
  inferShape: ([x], { shape }, ctx) => {
    const from = x!.shape;
    const what = `cannot broadcast ${formatShape(from)} to ${formatShape(shape)}`;
    if (shape.length < from.length) {
      ctx.fail("NNC2001", `${what}: the target has fewer axes (${shape.length} < ${from.length})`);
    }
    const offset = shape.length - from.length;
    from.forEach((d, i) => {
      const target = shape[offset + i]!;
      if (d !== target && d !== 1) {
        ctx.fail("NNC2001", `${what}: axis ${i} has extent ${d}, which is neither 1 nor ${target}`);
      }
    });
    return [...shape];
  },
  inferDtype: ([x]) => x!.dtype,
  evaluate: ([x], { shape }) => {
    const [map] = broadcastIndices([x!.shape], shape);
    return refTensor(
      shape,
      Float64Array.from(map!, (i) => x!.data[i]!),
    );
  },
  jvp: (args) => jointLinearJvp(args, "broadcast_to"),
  linearity: { kind: "joint", operands: [0] },
  transpose: ({ g, ct, types }) => [unbroadcast(g, ct, types[0]!.shape)],
});

function sliceExtent(start: number, end: number, step: number): number {
  return Math.ceil((end - start) / step);
}

const slice = defineOp<SliceAttrs>({
  name: "slice",
  doc: "Strided slice (start inclusive, end exclusive, step ≥ 1 per axis), NumPy semantics.",
  category: "layout",
  kind: "primitive",
  operands: ["x"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, ["start", "end", "step"], ctx);
    const start = attrIntList(raw, "start", ctx);
    const end = attrIntList(raw, "end", ctx);
    const step = attrIntList(raw, "step", ctx, 1);
    checkPerAxis(start, "start", ctx);
    checkPerAxis(end, "end", ctx);
    checkPerAxis(step, "step", ctx);
    const shape = ctx.inputs[0]!.shape;
    // NumPy: a negative index counts from the end, then both ends are clamped to [0, dim]; an
    // end before the start is an empty slice, stored as end = start.
    const clamp = (index: number, dim: number) =>
      Math.min(Math.max(index < 0 ? index + dim : index, 0), dim);
    const starts = start.map((s, i) => clamp(s, shape[i]!));
    return {
      start: starts,
      end: end.map((e, i) => Math.max(clamp(e, shape[i]!), starts[i]!)),
      step,
    };
  },
  inferShape: (_inputs, { start, end, step }) =>
    start.map((s, i) => sliceExtent(s, end[i]!, step[i]!)),
  inferDtype: ([x]) => x!.dtype,
  evaluate: ([x], { start, end, step }) => {
    const shape = start.map((s, i) => sliceExtent(s, end[i]!, step[i]!));
    const out = new Float64Array(sizeOf(shape));
    for (let flat = 0; flat < out.length; flat++) {
      const coords = unravel(flat, shape).map((c, i) => start[i]! + c * step[i]!);
      out[flat] = x!.data[ravel(coords, x!.shape)]!;
    }
    return refTensor(shape, out);
  },
  jvp: (args) => jointLinearJvp(args, "slice"),
  linearity: { kind: "joint", operands: [0] },
  // A strided slice's adjoint puts each element back where it came from: zero padding with
  // step − 1 interior zeros between elements (lax.pad's interior padding).
  transpose: ({ g, ct, attrs: { start, end, step }, types }) => {
    const shape = types[0]!.shape;
    const pads = start.map((s, i): [number, number] => {
      const n = sliceExtent(s, end[i]!, step[i]!);
      const covered = n === 0 ? 0 : (n - 1) * step[i]! + 1;
      return [s, shape[i]! - s - covered];
    });
    return [g.pad(ct, pads, 0, { interior: step.map((s) => s - 1) })];
  },
});

/** pad's fill value: any number but NaN. */
function padValue(raw: Readonly<Record<string, unknown>>, ctx: RuleContext): number {
  const value = raw.value;
  // ±∞ is allowed: padding with −∞ is how a max over windows ignores the border.
  if (typeof value !== "number" || Number.isNaN(value)) {
    ctx.fail(
      "NNC1002",
      `attribute "value" must be a number (±∞ allowed, not NaN), got ${JSON.stringify(value) ?? String(value)}`,
    );
  }
  return value;
}

/**
 * pad's output extent along one axis: the `d` elements with `interior` slots between
 * neighbours (d − 1 gaps; none when d = 0), plus the edges.
 */
function paddedExtent(d: number, [before, after]: Pair, interior: number): number {
  return before + after + (d === 0 ? 0 : d + (d - 1) * interior);
}

function paddedShape(shape: Shape, { pads, interior }: PadAttrs): number[] {
  return shape.map((d, i) => paddedExtent(d, pads[i]!, interior?.[i] ?? 0));
}

const pad = defineOp<PadAttrs>({
  name: "pad",
  doc: "Pads every axis with a constant: [before, after] elements per axis, optionally `interior` between neighbours.",
  category: "layout",
  kind: "primitive",
  operands: ["x"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, ["pads", "value", "interior"], ctx);
    const pads = attrPairList(raw, "pads", ctx, 0);
    checkPerAxis(pads, "pads", ctx);
    const value = padValue(raw, ctx);
    const dtype = ctx.inputs[0]!.dtype;
    if (dtype === "int32" && !Number.isSafeInteger(value)) {
      ctx.fail("NNC1002", `attribute "value" must be an integer to pad int32, got ${value}`);
    }
    if (dtype === "bool" && value !== 0 && value !== 1) {
      ctx.fail("NNC1002", `attribute "value" must be 0 or 1 to pad bool, got ${value}`);
    }
    if (raw.interior === undefined) return { pads, value };
    const interior = attrIntList(raw, "interior", ctx, 0);
    checkPerAxis(interior, "interior", ctx);
    // All-zero interior padding is the plain pad: left out, so there is one canonical form.
    return interior.some((k) => k !== 0) ? { pads, value, interior } : { pads, value };
  },
  inferShape: ([x], attrs) => paddedShape(x!.shape, attrs),
  inferDtype: ([x]) => x!.dtype,
  evaluate: ([x], attrs) => {
    const { pads, value, interior } = attrs;
    const shape = paddedShape(x!.shape, attrs);
    const out = new Float64Array(sizeOf(shape)).fill(value);
    for (let flat = 0; flat < x!.data.length; flat++) {
      const coords = unravel(flat, x!.shape).map(
        (c, i) => pads[i]![0] + c * (1 + (interior?.[i] ?? 0)),
      );
      out[ravel(coords, shape)] = x!.data[flat]!;
    }
    return refTensor(shape, out);
  },
  // Padding with a constant is affine: the tangent is padded with zeros.
  jvp: ({ g, attrs, tangent }) => {
    const t = tangent(0);
    return t && g.apply("pad", [t], { ...attrs, value: 0 });
  },
  linearity: { kind: "joint", operands: [0] },
  transpose: ({ g, ct, attrs, types }) => {
    const shape = types[0]!.shape;
    const interior = attrs.interior ?? shape.map(() => 0);
    return [
      g.slice(
        ct,
        attrs.pads.map(([before]) => before),
        attrs.pads.map(
          ([before], i) =>
            before + (shape[i]! === 0 ? 0 : (shape[i]! - 1) * (interior[i]! + 1) + 1),
        ),
        interior.map((k) => k + 1),
      ),
    ];
  },
});

function concatShape(shapes: readonly Shape[], axis: number): number[] {
  const out = [...shapes[0]!];
  out[axis] = shapes.reduce((total, s) => total + s[axis]!, 0);
  return out;
}

const concat = defineOp<Attrs<"concat">>({
  name: "concat",
  doc: "Joins operands of equal rank and dtype along one axis.",
  category: "layout",
  kind: "primitive",
  operands: ["values"],
  variadic: true,
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, ["axis"], ctx);
    return { axis: normalizeAxis(raw, "axis", rankOf(ctx), ctx) };
  },
  inferShape: (inputs, { axis }, ctx) => {
    const first = inputs[0]!;
    const name = (i: number) => operandRole(["values"], i);
    inputs.forEach((t, k) => {
      if (t.shape.length !== first.shape.length) {
        ctx.fail(
          "NNC2008",
          `operands must have equal rank: ${name(0)} has rank ${first.shape.length}, ${name(k)} has rank ${t.shape.length}`,
        );
      }
      const other = t.shape.findIndex((d, i) => i !== axis && d !== first.shape[i]);
      if (other !== -1) {
        ctx.fail(
          "NNC2001",
          `extents must match except on the concat axis ${axis}: axis ${other} is ${first.shape[other]} in ${name(0)} but ${t.shape[other]} in ${name(k)}`,
        );
      }
    });
    return concatShape(
      inputs.map((t) => t.shape),
      axis,
    );
  },
  inferDtype: (inputs, _attrs, ctx) => {
    const dtype = inputs[0]!.dtype;
    const k = inputs.findIndex((t) => t.dtype !== dtype);
    if (k !== -1) {
      ctx.fail(
        "NNC2002",
        `operands must have one dtype: ${operandRole(["values"], 0)} is ${dtype}, ${operandRole(["values"], k)} is ${inputs[k]!.dtype}`,
      );
    }
    return dtype;
  },
  evaluate: (inputs, { axis }) => {
    const shape = concatShape(
      inputs.map((t) => t.shape),
      axis,
    );
    // Row-major: for each index of the axes before `axis`, each operand contributes one
    // contiguous block (its axis extent times the inner size).
    const outer = sizeOf(shape.slice(0, axis));
    const inner = sizeOf(shape.slice(axis + 1));
    const out = new Float64Array(sizeOf(shape));
    let offset = 0;
    for (let o = 0; o < outer; o++) {
      for (const t of inputs) {
        const block = t.shape[axis]! * inner;
        out.set(t.data.subarray(o * block, (o + 1) * block), offset);
        offset += block;
      }
    }
    return refTensor(shape, out);
  },
  jvp: (args) => jointLinearJvp(args, "concat"),
  linearity: { kind: "joint", operands: "all" },
  transpose: ({ g, ct, attrs: { axis }, types }) => {
    let offset = 0;
    return types.map((t) => {
      const start = t.shape.map((_, i) => (i === axis ? offset : 0));
      const end = ct.shape.map((d, i) => (i === axis ? offset + t.shape[axis]! : d));
      offset += t.shape[axis]!;
      return g.slice(ct, start, end);
    });
  },
});

function flattenShape(shape: Shape, axis: number): number[] {
  return [sizeOf(shape.slice(0, axis)), sizeOf(shape.slice(axis))];
}

const flatten = defineOp<Attrs<"flatten">>({
  name: "flatten",
  doc: "Reshapes to 2-D: the axes before `axis` become rows, the rest columns.",
  category: "layout",
  kind: "composite",
  operands: ["x"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, ["axis"], ctx);
    const rank = rankOf(ctx);
    const axis = attrInt(raw, "axis", ctx);
    // `axis` is a split point, so rank itself is valid (everything becomes rows).
    const a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a > rank) {
      ctx.fail(
        "NNC2004",
        `axis ${axis} is out of range for rank ${rank} (flatten takes ${-rank}..${rank})`,
      );
    }
    return { axis: a };
  },
  inferShape: ([x], { axis }) => flattenShape(x!.shape, axis),
  inferDtype: ([x]) => x!.dtype,
  evaluate: ([x], { axis }) => refTensor(flattenShape(x!.shape, axis), x!.data.slice()),
  decompose: (g, [x], { axis }) => g.reshape(x!, flattenShape(x!.shape, axis)),
});

const squeeze = defineOp<Attrs<"squeeze">>({
  name: "squeeze",
  doc: "Removes the given size-1 axes.",
  category: "layout",
  kind: "composite",
  operands: ["x"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, ["axes"], ctx);
    return { axes: normalizeAxes(raw, "axes", rankOf(ctx), ctx) };
  },
  inferShape: ([x], { axes }, ctx) => {
    const wide = axes.find((a) => x!.shape[a] !== 1);
    if (wide !== undefined) {
      ctx.fail(
        "NNC2008",
        `cannot squeeze axis ${wide} of ${formatShape(x!.shape)}: its extent is ${x!.shape[wide]}, not 1`,
      );
    }
    return x!.shape.filter((_, i) => !axes.includes(i));
  },
  inferDtype: ([x]) => x!.dtype,
  evaluate: ([x], { axes }) =>
    refTensor(
      x!.shape.filter((_, i) => !axes.includes(i)),
      x!.data.slice(),
    ),
  decompose: (g, [x], { axes }) =>
    g.reshape(
      x!,
      x!.shape.filter((_, i) => !axes.includes(i)),
    ),
});

function expandedShape(shape: Shape, axes: readonly number[]): number[] {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < shape.length + axes.length; i++) {
    out.push(axes.includes(i) ? 1 : shape[next++]!);
  }
  return out;
}

const expandDims = defineOp<Attrs<"expand_dims">>({
  name: "expand_dims",
  doc: "Inserts size-1 axes at the given positions of the output.",
  category: "layout",
  kind: "composite",
  operands: ["x"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, ["axes"], ctx);
    const count = Array.isArray(raw.axes) ? raw.axes.length : 0;
    // Positions index the output, whose rank counts the new axes too (as NumPy's expand_dims).
    return { axes: normalizeAxes(raw, "axes", rankOf(ctx) + count, ctx, "the output rank") };
  },
  inferShape: ([x], { axes }) => expandedShape(x!.shape, axes),
  inferDtype: ([x]) => x!.dtype,
  evaluate: ([x], { axes }) => refTensor(expandedShape(x!.shape, axes), x!.data.slice()),
  decompose: (g, [x], { axes }) => g.reshape(x!, expandedShape(x!.shape, axes)),
});

const oneHot = defineOp<Attrs<"one_hot">>({
  name: "one_hot",
  doc: "float32 one-hot rows along a new last axis; an index outside [0, depth) gives an all-off row.",
  category: "layout",
  kind: "primitive",
  operands: ["indices"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, ["depth", "onValue", "offValue"], ctx);
    return {
      depth: attrInt(raw, "depth", ctx, 1),
      onValue: attrNumber(raw, "onValue", ctx),
      offValue: attrNumber(raw, "offValue", ctx),
    };
  },
  inferShape: ([indices], { depth }) => [...indices!.shape, depth],
  inferDtype: ([indices], _attrs, ctx) => {
    if (indices!.dtype !== "int32")
      ctx.fail("NNC2002", `indices must be int32, got ${indices!.dtype}`);
    return "float32";
  },
  evaluate: ([indices], { depth, onValue, offValue }) => {
    const out = new Float64Array(indices!.data.length * depth).fill(offValue);
    // Out-of-range (and negative) indices leave the row all off, as TensorFlow's one_hot does,
    // rather than wrapping or failing at run time.
    indices!.data.forEach((index, row) => {
      if (index >= 0 && index < depth) out[row * depth + index] = onValue;
    });
    return refTensor([...indices!.shape, depth], out);
  },
});

/** The layout records. */
export const layoutOps: OpFamily<LayoutOp> = {
  reshape,
  transpose,
  broadcast_to: broadcastTo,
  slice,
  pad,
  concat,
  flatten,
  squeeze,
  expand_dims: expandDims,
  one_hot: oneHot,
};

import {
  type AvgPool2dAttrs,
  type AvgPool2dBackwardAttrs,
  type Node,
  type OpAttrMap,
  type Pool2dAttrs,
  sizeOf,
} from "@nnc/core";
import type { EmitContext, NodeEmitter } from "../emit-context.js";

// Pooling windows and the spatial index plumbing of max-pool's derivative, over NCHW planes.
// The loops are emitted inline with every extent and offset a literal. Windows without padding
// always lie inside the input (the output extent guarantees it), so small ones are unrolled tap
// by tap; padded windows are clamped to the input rows and columns they cover, exactly as core's
// reference does (padding is never a candidate and, for averages, counts only with
// countIncludePad).

/** Windows with at most this many taps are unrolled when they need no clamping. */
const MAX_UNROLLED_TAPS = 16;

/** The static geometry of a pooling window over NCHW planes. */
interface PoolGeometry {
  /** N · C. */
  readonly planes: number;
  readonly h: number;
  readonly w: number;
  readonly oh: number;
  readonly ow: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly pt: number;
  readonly pl: number;
  /** No padding on any side: every window is whole. */
  readonly unpadded: boolean;
}

function poolGeometry(input: readonly number[], output: readonly number[], attrs: Pool2dAttrs) {
  const [[pt, pb], [pl, pr]] = attrs.padding;
  return {
    planes: input[0]! * input[1]!,
    h: input[2]!,
    w: input[3]!,
    oh: output[2]!,
    ow: output[3]!,
    kh: attrs.kernel[0],
    kw: attrs.kernel[1],
    sh: attrs.strides[0],
    sw: attrs.strides[1],
    pt,
    pl,
    unpadded: pt === 0 && pb === 0 && pl === 0 && pr === 0,
  } satisfies PoolGeometry;
}

/** Local names of one window nest. */
interface WindowNames {
  /** First element of the current input plane. */
  readonly plane: string;
  /** The current output element. */
  readonly out: string;
}

/**
 * The loops over planes and output positions with `body` per window. Unclamped windows get
 * `at` (the window's first element relative to the plane) and `src` (its absolute index);
 * clamped ones get the covered input rows [y0, y1) and columns [x0, x1).
 */
function windowNest(
  ctx: EmitContext,
  g: PoolGeometry,
  input: number,
  output: number,
  body: (
    names: WindowNames & {
      at: string;
      src: string;
      y0: string;
      y1: string;
      x0: string;
      x1: string;
    },
  ) => string[],
  unroll: boolean,
): string {
  const [p, oy, ox, plane, out, at] = ["p", "oy", "ox", "xp", "yo", "at"].map((s) =>
    ctx.local(s),
  ) as [string, string, string, string, string, string];
  const [y0, y1, x0, x1] = ["y0", "y1", "x0", "x1"].map((s) => ctx.local(s)) as [
    string,
    string,
    string,
    string,
  ];
  const src = ctx.local("s");
  const names = { plane, out, at, src, y0, y1, x0, x1 };
  const inner = unroll
    ? [
        `for (let ${ox} = 0, ${at} = ${oy} * ${g.sh * g.w}; ${ox} < ${g.ow}; ${ox}++, ${at} += ${g.sw}, ${out}++) {`,
        `  const ${src} = ${plane} + ${at};`,
        ...body(names).map((l) => `  ${l}`),
        "}",
      ]
    : [
        `const ${y0} = Math.max(${oy} * ${g.sh} - ${g.pt}, 0), ${y1} = Math.min(${oy} * ${g.sh} + ${g.kh - g.pt}, ${g.h});`,
        `for (let ${ox} = 0; ${ox} < ${g.ow}; ${ox}++, ${out}++) {`,
        `  const ${x0} = Math.max(${ox} * ${g.sw} - ${g.pl}, 0), ${x1} = Math.min(${ox} * ${g.sw} + ${g.kw - g.pl}, ${g.w});`,
        ...body(names).map((l) => `  ${l}`),
        "}",
      ];
  return [
    `for (let ${p} = 0, ${plane} = ${input}, ${out} = ${output}; ${p} < ${g.planes}; ${p}++, ${plane} += ${g.h * g.w}) {`,
    `  for (let ${oy} = 0; ${oy} < ${g.oh}; ${oy}++) {`,
    ...inner.map((l) => `    ${l}`),
    "  }",
    "}",
  ].join("\n");
}

/** Offsets of a whole window's taps from its first element, row-major. */
function taps(g: PoolGeometry): number[] {
  const out: number[] = [];
  for (let i = 0; i < g.kh; i++) for (let j = 0; j < g.kw; j++) out.push(i * g.w + j);
  return out;
}

function canUnroll(g: PoolGeometry): boolean {
  return g.unpadded && g.kh * g.kw <= MAX_UNROLLED_TAPS;
}

function operands(ctx: EmitContext, node: Node) {
  const input = ctx.program.graph.node(node.inputs[0]!);
  return {
    input: input.type.shape,
    x: ctx.ref(input.id).base,
    y: ctx.ref(node.id).base,
  };
}

/** The divisor of an average: the whole window, or the real elements it covers. */
function windowCount(
  includePad: boolean,
  window: number,
  y0: string,
  y1: string,
  x0: string,
  x1: string,
): string {
  return includePad ? String(window) : `((${y1} - ${y0}) * (${x1} - ${x0}))`;
}

/** `+k` for a non-zero offset. */
const plusOffset = (k: number) => (k === 0 ? "" : ` + ${k}`);

/**
 * max_pool2d: the window maximum, scanning row-major with core's rule `v > best || v is NaN`
 * (padding never wins; any NaN in the window gives NaN).
 */
export const emitMaxPool2d: NodeEmitter = (ctx, node) => {
  if (sizeOf(node.type.shape) === 0) return "";
  const { input, x, y } = operands(ctx, node);
  const g = poolGeometry(input, node.type.shape, node.attrs as unknown as Pool2dAttrs);
  const best = ctx.local("best");
  const v = ctx.local("v");
  if (canUnroll(g)) {
    return windowNest(
      ctx,
      g,
      x,
      y,
      ({ src, out }) => {
        const [first, ...rest] = taps(g);
        return [
          `let ${best} = F[${src}${plusOffset(first!)}], ${v};`,
          ...rest.map(
            (t) => `${v} = F[${src} + ${t}]; if (${v} > ${best} || ${v} !== ${v}) ${best} = ${v};`,
          ),
          `F[${out}] = ${best};`,
        ];
      },
      true,
    );
  }
  const [iy, ix] = [ctx.local("iy"), ctx.local("ix")];
  return windowNest(
    ctx,
    g,
    x,
    y,
    ({ plane, out, y0, y1, x0, x1 }) => [
      `let ${best} = -Infinity;`,
      `for (let ${iy} = ${y0}; ${iy} < ${y1}; ${iy}++) {`,
      `  for (let ${ix} = ${x0}, ${v}; ${ix} < ${x1}; ${ix}++) {`,
      `    ${v} = F[${plane} + ${iy} * ${g.w} + ${ix}];`,
      `    if (${v} > ${best} || ${v} !== ${v}) ${best} = ${v};`,
      "  }",
      "}",
      `F[${out}] = ${best};`,
    ],
    false,
  );
};

/**
 * max_pool2d_argmax: the int32 flat index h·W + w, within its plane, of the element max_pool2d
 * picks: the first maximum on ties, the last NaN, the first element when all are −∞ (the first
 * real element is taken unconditionally, then core's update rule).
 */
export const emitMaxPool2dArgmax: NodeEmitter = (ctx, node) => {
  if (sizeOf(node.type.shape) === 0) return "";
  const { input, x } = operands(ctx, node);
  const yi = ctx.ref(node.id).base;
  const g = poolGeometry(input, node.type.shape, node.attrs as unknown as Pool2dAttrs);
  const [best, index, v] = [ctx.local("best"), ctx.local("idx"), ctx.local("v")];
  if (canUnroll(g)) {
    return windowNest(
      ctx,
      g,
      x,
      yi,
      ({ src, at, out }) => {
        const [first, ...rest] = taps(g);
        return [
          `let ${best} = F[${src}${plusOffset(first!)}], ${index} = ${at}, ${v};`,
          ...rest.map(
            (t) =>
              `${v} = F[${src} + ${t}]; if (${v} > ${best} || ${v} !== ${v}) { ${best} = ${v}; ${index} = ${at} + ${t}; }`,
          ),
          `I[${out}] = ${index};`,
        ];
      },
      true,
    );
  }
  const [iy, ix] = [ctx.local("iy"), ctx.local("ix")];
  return windowNest(
    ctx,
    g,
    x,
    yi,
    ({ plane, out, y0, y1, x0, x1 }) => [
      `let ${best} = F[${plane} + ${y0} * ${g.w} + ${x0}], ${index} = ${y0} * ${g.w} + ${x0};`,
      `for (let ${iy} = ${y0}; ${iy} < ${y1}; ${iy}++) {`,
      `  for (let ${ix} = ${x0}, ${v}; ${ix} < ${x1}; ${ix}++) {`,
      `    ${v} = F[${plane} + ${iy} * ${g.w} + ${ix}];`,
      `    if (${v} > ${best} || ${v} !== ${v}) { ${best} = ${v}; ${index} = ${iy} * ${g.w} + ${ix}; }`,
      "  }",
      "}",
      `I[${out}] = ${index};`,
    ],
    false,
  );
};

/**
 * avg_pool2d: the window sum (in a double, row-major) divided by its real element count, or by
 * the whole window with countIncludePad.
 */
export const emitAvgPool2d: NodeEmitter = (ctx, node) => {
  if (sizeOf(node.type.shape) === 0) return "";
  const { input, x, y } = operands(ctx, node);
  const attrs = node.attrs as unknown as AvgPool2dAttrs;
  const g = poolGeometry(input, node.type.shape, attrs);
  const window = g.kh * g.kw;
  if (canUnroll(g)) {
    return windowNest(
      ctx,
      g,
      x,
      y,
      ({ src, out }) => [
        `F[${out}] = (${taps(g)
          .map((t) => `F[${src}${plusOffset(t)}]`)
          .join(" + ")}) / ${window};`,
      ],
      true,
    );
  }
  const [sum, iy, ix] = [ctx.local("sum"), ctx.local("iy"), ctx.local("ix")];
  return windowNest(
    ctx,
    g,
    x,
    y,
    ({ plane, out, y0, y1, x0, x1 }) => [
      `let ${sum} = 0;`,
      `for (let ${iy} = ${y0}; ${iy} < ${y1}; ${iy}++) {`,
      `  for (let ${ix} = ${x0}; ${ix} < ${x1}; ${ix}++) ${sum} += F[${plane} + ${iy} * ${g.w} + ${ix}];`,
      "}",
      `F[${out}] = ${sum} / ${windowCount(attrs.countIncludePad, window, y0, y1, x0, x1)};`,
    ],
    false,
  );
};

/**
 * avg_pool2d_backward: zeroes the input-shaped result, then adds each cotangent element divided
 * by its window's count (as avg_pool2d divides) to the window's real positions.
 */
export const emitAvgPool2dBackward: NodeEmitter = (ctx, node) => {
  const size = sizeOf(node.type.shape);
  if (size === 0) return "";
  const attrs = node.attrs as unknown as AvgPool2dBackwardAttrs;
  const cotangent = ctx.program.graph.node(node.inputs[0]!).type.shape;
  // The geometry of the forward pool: its input is this node's output.
  const g = poolGeometry(node.type.shape, cotangent, attrs);
  const ct = ctx.ref(node.inputs[0]!).base;
  const y = ctx.ref(node.id).base;
  const [share, iy, ix] = [ctx.local("share"), ctx.local("iy"), ctx.local("ix")];
  const window = g.kh * g.kw;
  const fill = `F.fill(0, ${y}, ${y + size});`;
  // Here the nest walks cotangent elements ("out") and the result planes ("plane").
  const nest = windowNest(
    ctx,
    g,
    y,
    ct,
    ({ plane, out, y0, y1, x0, x1 }) => [
      `const ${share} = F[${out}] / ${windowCount(attrs.countIncludePad, window, y0, y1, x0, x1)};`,
      `for (let ${iy} = ${y0}; ${iy} < ${y1}; ${iy}++) {`,
      `  for (let ${ix} = ${x0}; ${ix} < ${x1}; ${ix}++) F[${plane} + ${iy} * ${g.w} + ${ix}] += ${share};`,
      "}",
    ],
    false,
  );
  return [fill, nest].join("\n");
};

/**
 * gather_spatial: out[n, c, i, j] = x[n, c, idx / W, idx % W] for the int32 flat index idx of
 * the same position; an index outside [0, H·W) reads 0.
 */
export const emitGatherSpatial: NodeEmitter = (ctx, node) => {
  const [n, c, oh, ow] = node.type.shape as [number, number, number, number];
  if (n * c * oh * ow === 0) return "";
  const [, , h, w] = ctx.program.graph.node(node.inputs[0]!).type.shape as number[];
  const plane = h! * w!;
  const x = ctx.ref(node.inputs[0]!).base;
  const idx = ctx.ref(node.inputs[1]!).base;
  const y = ctx.ref(node.id).base;
  const [p, q, xp, k, i] = ["p", "q", "xp", "k", "i"].map((s) => ctx.local(s));
  return [
    `for (let ${p} = 0, ${xp} = ${x}, ${k} = 0; ${p} < ${n * c}; ${p}++, ${xp} += ${plane}) {`,
    `  for (let ${q} = 0; ${q} < ${oh * ow}; ${q}++, ${k}++) {`,
    `    const ${i} = I[${idx} + ${k}];`,
    `    F[${y} + ${k}] = ${i} >= 0 && ${i} < ${plane} ? F[${xp} + ${i}] : 0;`,
    "  }",
    "}",
  ].join("\n");
};

/**
 * scatter_add_spatial: zeroes planes of inputShape, then adds each value at its int32 flat
 * spatial index (repeats accumulate; indices outside [0, H·W) are dropped).
 */
export const emitScatterAddSpatial: NodeEmitter = (ctx, node) => {
  const size = sizeOf(node.type.shape);
  if (size === 0) return "";
  const { inputShape } = node.attrs as unknown as OpAttrMap["scatter_add_spatial"];
  const [n, c, oh, ow] = ctx.program.graph.node(node.inputs[0]!).type.shape as number[];
  const plane = inputShape[0] * inputShape[1];
  const values = ctx.ref(node.inputs[0]!).base;
  const idx = ctx.ref(node.inputs[1]!).base;
  const y = ctx.ref(node.id).base;
  const [p, q, yp, k, i] = ["p", "q", "yp", "k", "i"].map((s) => ctx.local(s));
  return [
    `F.fill(0, ${y}, ${y + size});`,
    `for (let ${p} = 0, ${yp} = ${y}, ${k} = 0; ${p} < ${n! * c!}; ${p}++, ${yp} += ${plane}) {`,
    `  for (let ${q} = 0; ${q} < ${oh! * ow!}; ${q}++, ${k}++) {`,
    `    const ${i} = I[${idx} + ${k}];`,
    `    if (${i} >= 0 && ${i} < ${plane}) F[${yp} + ${i}] += F[${values} + ${k}];`,
    "  }",
    "}",
  ].join("\n");
};

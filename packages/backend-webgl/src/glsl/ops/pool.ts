import type { AvgPool2dAttrs, AvgPool2dBackwardAttrs, Pair, Pool2dAttrs } from "@nnc/core";
import type { GlslContext, GlslEmitter } from "../emit-context.js";
import {
  bind,
  coveringWindows,
  decodeIndex,
  guarded,
  inRange,
  loop,
  shapeOf,
  sum,
  type WindowAxis,
} from "./index-math.js";

// Pooling and its gradients over NCHW planes (core's ops/pool.ts and ops/gradient.ts). Each
// output element decodes (plane, row, column) with plane = n·C + c; windows start at row
// oy·sh − pt and column ox·sw − pl and skip positions outside the plane (padding never counts
// and never wins). The scatters (avg_pool2d_backward, scatter_add_spatial) are gathers over the
// windows that cover the output position.

/** A float literal for a positive integer count. */
function float(count: number): string {
  return `${count}.0`;
}

/** The window geometry of a pooling node over an input of spatial extent `[h, w]`. */
interface Window {
  readonly kernel: Pair;
  readonly strides: Pair;
  readonly pad: Pair;
  readonly input: Pair;
  readonly output: Pair;
}

function windowOf(attrs: Pool2dAttrs, input: Pair, output: Pair): Window {
  return {
    kernel: attrs.kernel,
    strides: attrs.strides,
    pad: [attrs.padding[0][0], attrs.padding[1][0]],
    input,
    output,
  };
}

/** The windows along one axis, seen from the input positions they cover (pad + position). */
function axisOf(win: Window, axis: 0 | 1): WindowAxis {
  const pad = win.pad[axis];
  return {
    range: [pad, win.input[axis] - 1 + pad],
    taps: win.kernel[axis],
    dilation: 1,
    stride: win.strides[axis],
    extent: win.output[axis],
  };
}

/**
 * Statements visiting the real input positions of the window of output (plane, oy, ox):
 * `visit(offset, iy, ix)` gets the flat input offset and the row and column.
 */
function scanWindow(
  ctx: GlslContext,
  lines: string[],
  [plane, oy, ox]: readonly string[],
  win: Window,
  visit: (offset: string, iy: string, ix: string) => string[],
): string[] {
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.strides;
  const [pt, pl] = win.pad;
  const [h, w] = win.input;
  const [ho, wo] = win.output;
  const base = bind(ctx, lines, "pb", sum(0, [h * w, plane!]));
  const top = bind(ctx, lines, "y0", sum(-pt, [sh, oy!]));
  const left = bind(ctx, lines, "x0", sum(-pl, [sw, ox!]));
  return loop(ctx, "ky", kh, (ky) => {
    const body: string[] = [];
    const iy = bind(ctx, body, "iy", sum(0, [1, top], [1, ky]));
    const row: string[] = [];
    const offsetRow = bind(ctx, row, "r", sum(0, [1, base], [w, iy]));
    row.push(
      ...loop(ctx, "kx", kw, (kx) => {
        const tap: string[] = [];
        const ix = bind(ctx, tap, "ix", sum(0, [1, left], [1, kx]));
        const inner: string[] = [];
        const offset = bind(ctx, inner, "o", sum(0, [1, offsetRow], [1, ix]));
        inner.push(...visit(offset, iy, ix));
        tap.push(...guarded(inRange(ix, -pl, (wo - 1) * sw - pl + kw - 1, w), inner));
        return tap;
      }),
    );
    body.push(...guarded(inRange(iy, -pt, (ho - 1) * sh - pt + kh - 1, h), row));
    return body;
  });
}

/** Decodes the output index of a pooling node as (plane, row, column). */
function decodePooled(ctx: GlslContext, shape: readonly number[]) {
  const [n, c, h, w] = shape as [number, number, number, number];
  return decodeIndex(ctx, "i", [n * c, h, w], ["pl", "oy", "ox"]);
}

function pooledWindow(ctx: GlslContext, node: Parameters<GlslEmitter>[1]): Window {
  const [, , h, w] = shapeOf(ctx, node.inputs[0]!);
  const [, , ho, wo] = node.type.shape;
  return windowOf(node.attrs as unknown as Pool2dAttrs, [h!, w!], [ho!, wo!]);
}

/**
 * Maximum over the window's real elements: a NaN wins and stays (`v > best || isnan(v)`, core's
 * rule), an all-−∞ window gives −∞.
 */
export const emitMaxPool2d: GlslEmitter = (ctx, node) => {
  const input = node.inputs[0]!;
  const { lines, axes } = decodePooled(ctx, node.type.shape);
  const best = ctx.local("best");
  const v = ctx.local("v");
  lines.push(`float ${best} = uintBitsToFloat(0xFF800000u);`);
  const scan = scanWindow(ctx, lines, axes, pooledWindow(ctx, node), (offset) => [
    `float ${v} = ${ctx.read(input, offset)};`,
    `if (${v} > ${best} || isnan(${v})) ${best} = ${v};`,
  ]);
  lines.push(...scan, `return ${best};`);
  return lines.join("\n");
};

/**
 * int32 flat index iy·W + ix within the plane of the element max_pool2d picks: the first
 * maximum in row-major window order, the last NaN, the first element of an all-−∞ window.
 */
export const emitMaxPool2dArgmax: GlslEmitter = (ctx, node) => {
  const input = node.inputs[0]!;
  const win = pooledWindow(ctx, node);
  const { lines, axes } = decodePooled(ctx, node.type.shape);
  const best = ctx.local("best");
  const index = ctx.local("idx");
  const v = ctx.local("v");
  lines.push(`float ${best} = 0.0;`, `int ${index} = -1;`);
  const scan = scanWindow(ctx, lines, axes, win, (offset, iy, ix) => [
    `float ${v} = ${ctx.read(input, offset)};`,
    `if (${index} < 0 || ${v} > ${best} || isnan(${v})) {`,
    `  ${best} = ${v};`,
    `  ${index} = ${sum(0, [win.input[1], iy], [1, ix])};`,
    "}",
  ]);
  lines.push(...scan, `return ${index};`);
  return lines.join("\n");
};

/**
 * Mean over the window: the sum of its real elements divided by their count, or by the whole
 * window with countIncludePad.
 */
export const emitAvgPool2d: GlslEmitter = (ctx, node) => {
  const input = node.inputs[0]!;
  const attrs = node.attrs as unknown as AvgPool2dAttrs;
  const win = pooledWindow(ctx, node);
  const { lines, axes } = decodePooled(ctx, node.type.shape);
  const acc = ctx.local("acc");
  lines.push(`float ${acc} = 0.0;`);
  const scan = scanWindow(ctx, lines, axes, win, (offset) => [
    `${acc} += ${ctx.read(input, offset)};`,
  ]);
  lines.push(...scan);
  if (attrs.countIncludePad) {
    lines.push(`return ${acc} / ${float(win.kernel[0] * win.kernel[1])};`);
  } else {
    const [, oy, ox] = axes as [string, string, string];
    const rows = realExtent(oy, win, 0);
    const cols = realExtent(ox, win, 1);
    lines.push(`return ${acc} / float((${rows}) * (${cols}));`);
  }
  return lines.join("\n");
};

/**
 * The number of real rows (axis 0) or columns (axis 1) in the window at output position `o`:
 * min(o·s − p + k, size) − max(o·s − p, 0).
 */
function realExtent(o: string, win: Window, axis: 0 | 1): string {
  const k = win.kernel[axis];
  const s = win.strides[axis];
  const p = win.pad[axis];
  const size = win.input[axis];
  const first = sum(-p, [s, o]);
  const end = sum(k - p, [s, o]);
  return `min(${end}, ${size}) - max(${first}, 0)`;
}

/**
 * The adjoint of avg_pool2d: input position (iy, ix) gathers cotangent / count from every window
 * covering it (window row oy covers iy when iy + pt − ky = oy·sh for a tap ky in [0, kh)).
 */
export const emitAvgPool2dBackward: GlslEmitter = (ctx, node) => {
  const cotangent = node.inputs[0]!;
  const attrs = node.attrs as unknown as AvgPool2dBackwardAttrs;
  const [, , oh, ow] = shapeOf(ctx, cotangent) as [number, number, number, number];
  const [h, w] = attrs.inputShape;
  const win = windowOf(attrs, [h, w], [oh, ow]);
  const { lines, axes } = decodePooled(ctx, node.type.shape);
  const [plane, iy, ix] = axes as [string, string, string];
  const acc = ctx.local("acc");
  lines.push(`float ${acc} = 0.0;`);
  const base = bind(ctx, lines, "cb", sum(0, [oh * ow, plane]));
  const ty = bind(ctx, lines, "ty", sum(win.pad[0], [1, iy]));
  const tx = bind(ctx, lines, "tx", sum(win.pad[1], [1, ix]));
  const [kh, kw] = win.kernel;
  lines.push(
    ...coveringWindows(ctx, "ky", ty, axisOf(win, 0), (_, oy) => {
      const row: string[] = [];
      const offsetRow = bind(ctx, row, "cr", sum(0, [1, base], [ow, oy]));
      const rows = attrs.countIncludePad ? "" : bind(ctx, row, "ny", realExtent(oy, win, 0));
      row.push(
        ...coveringWindows(ctx, "kx", tx, axisOf(win, 1), (__, ox) => {
          const share = ctx.read(cotangent, sum(0, [1, offsetRow], [1, ox]));
          const count = attrs.countIncludePad
            ? float(kh * kw)
            : `float(${rows} * (${realExtent(ox, win, 1)}))`;
          return [`${acc} += ${share} / ${count};`];
        }),
      );
      return row;
    }),
    `return ${acc};`,
  );
  return lines.join("\n");
};

/**
 * Reads each plane of x at int32 flat spatial indices; an index outside [0, H·W) reads 0.
 */
export const emitGatherSpatial: GlslEmitter = (ctx, node) => {
  const [input, indices] = node.inputs as [number, number];
  const [, , h, w] = shapeOf(ctx, input) as [number, number, number, number];
  const [, , oh, ow] = node.type.shape as [number, number, number, number];
  const plane = h * w;
  if (plane === 0) return "return 0.0;";
  const index = ctx.local("idx");
  const offset = sum(0, [1, index], [plane, oh * ow === 1 ? "i" : `i / ${oh * ow}`]);
  return [
    `int ${index} = ${ctx.read(indices, "i")};`,
    `return ${index} >= 0 && ${index} < ${plane} ? ${ctx.read(input, offset)} : 0.0;`,
  ].join("\n");
};

/**
 * Adds values into zero planes at int32 flat spatial indices (out-of-range indices dropped),
 * as a gather: each output position sums the values whose index names it. When the indices
 * are a max_pool2d_argmax over a plane of this extent, only the windows covering the position
 * can name it; otherwise every value of the plane is checked.
 */
export const emitScatterAddSpatial: GlslEmitter = (ctx, node) => {
  const [values, indices] = node.inputs as [number, number];
  const [, , oh, ow] = shapeOf(ctx, values) as [number, number, number, number];
  const [h, w] = (node.attrs as { inputShape: Pair }).inputShape;
  const { lines, axes } = decodePooled(ctx, node.type.shape);
  const [plane, iy, ix] = axes as [string, string, string];
  const acc = ctx.local("acc");
  lines.push(`float ${acc} = 0.0;`);
  const base = bind(ctx, lines, "vb", sum(0, [oh * ow, plane]));
  const position = bind(ctx, lines, "pos", sum(0, [w, iy], [1, ix]));
  const source = ctx.program.graph.node(indices);
  const [, , sh, sw] = source.op === "max_pool2d_argmax" ? shapeOf(ctx, source.inputs[0]!) : [];
  const add = (offset: string): string[] => [
    `if (${ctx.read(indices, offset)} == ${position}) ${acc} += ${ctx.read(values, offset)};`,
  ];
  if (source.op === "max_pool2d_argmax" && sh === h && sw === w) {
    const win = windowOf(source.attrs as unknown as Pool2dAttrs, [h, w], [oh, ow]);
    const ty = bind(ctx, lines, "ty", sum(win.pad[0], [1, iy]));
    const tx = bind(ctx, lines, "tx", sum(win.pad[1], [1, ix]));
    lines.push(
      ...coveringWindows(ctx, "ky", ty, axisOf(win, 0), (_, oy) => {
        const row: string[] = [];
        const offsetRow = bind(ctx, row, "vr", sum(0, [1, base], [ow, oy]));
        row.push(
          ...coveringWindows(ctx, "kx", tx, axisOf(win, 1), (__, ox) => {
            const inner: string[] = [];
            const offset = bind(ctx, inner, "o", sum(0, [1, offsetRow], [1, ox]));
            inner.push(...add(offset));
            return inner;
          }),
        );
        return row;
      }),
    );
  } else {
    lines.push(
      ...loop(ctx, "k", oh * ow, (k) => {
        const inner: string[] = [];
        const offset = bind(ctx, inner, "o", sum(0, [1, base], [1, k]));
        inner.push(...add(offset));
        return inner;
      }),
    );
  }
  lines.push(`return ${acc};`);
  return lines.join("\n");
};

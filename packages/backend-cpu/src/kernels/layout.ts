import {
  type OpAttrMap,
  type PadAttrs,
  type Shape,
  type SliceAttrs,
  sizeOf,
  stridesOf,
} from "@nnc/core";
import type { EmitContext, NodeEmitter, ValueRef } from "../emit-context.js";
import { emitCopy } from "./elementwise.js";
import {
  broadcastStrides,
  collapseAxes,
  element,
  indent,
  LoopNest,
  literal,
  locals,
  plus,
} from "./loop-nest.js";

// Layout kernels move elements without arithmetic. All of them are one strided copy: walk an
// iteration space, read the source with some strides, write the destination with others
// (transpose permutes the source strides, broadcast_to zeroes them, slice scales them by the
// step, pad and concat stride the destination). The copy collapses axes first; contiguous runs
// become `copyWithin` (a native memmove); a transpose-like copy, whose source is contiguous
// along an axis other than the destination's innermost, is tiled so both sides stay in cache.

/** Contiguous runs at least this long are copied with `copyWithin`. */
const MEMMOVE_MIN = 64;
/** Tile edge of a blocked transpose: 32 float32 rows of 128 bytes fit in L1 twice over. */
const TILE = 32;
/** Extents below this are not worth tiling. */
const TILE_MIN = 16;

/**
 * Copies `shape` elements from `src` (strides `srcStrides` from element `srcBase`) to `dst`
 * (strides `dstStrides` from `dstBase`); both refs are views of the same dtype.
 */
export function emitStridedCopy(
  ctx: EmitContext,
  dst: ValueRef,
  dstStrides: readonly number[],
  src: ValueRef,
  srcStrides: readonly number[],
  shape: Shape,
): string {
  if (sizeOf(shape) === 0) return "";
  const { shape: extents, patterns } = collapseAxes(shape, [dstStrides, srcStrides]);
  const [ds, ss] = patterns as [number[], number[]];
  const rank = extents.length;
  const last = rank - 1;
  // A contiguous run on both sides: a memmove per run.
  if (rank > 0 && ds[last] === 1 && ss[last] === 1 && extents[last]! >= MEMMOVE_MIN) {
    const nest = new LoopNest(ctx, { shape: extents.slice(0, last), patterns: [ds, ss] });
    const level = nest.inner;
    const d = plus(dst.base, nest.offset(0, level));
    const s = plus(src.base, nest.offset(1, level));
    const end =
      s === String(src.base) ? String(src.base + extents[last]!) : `${s} + ${extents[last]}`;
    nest.head(level).push(`${dst.view}.copyWithin(${d}, ${s}, ${end});`);
    return nest.render();
  }
  // One value repeated over a contiguous run: a native fill.
  if (rank === 1 && ds[0] === 1 && ss[0] === 0) {
    return `${dst.view}.fill(${element(src, "0")}, ${dst.base}, ${dst.base + extents[0]!});`;
  }
  // The source's contiguous axis is not the innermost: tile those two axes.
  const unit = ss.indexOf(1);
  if (
    rank >= 2 &&
    unit !== -1 &&
    unit !== last &&
    extents[unit]! >= TILE_MIN &&
    extents[last]! >= TILE_MIN
  ) {
    return emitTiledCopy(ctx, dst, ds, src, ss, extents, unit);
  }
  const nest = new LoopNest(ctx, { shape: extents, patterns: [ds, ss] });
  const inner = nest.inner;
  nest
    .head(inner)
    .push(`${element(dst, nest.offset(0, inner))} = ${element(src, nest.offset(1, inner))};`);
  return nest.render();
}

/**
 * A copy tiled over axis `unit` (contiguous in the source) and the innermost axis (contiguous,
 * or at least innermost, in the destination): TILE × TILE blocks, the other axes outside.
 */
function emitTiledCopy(
  ctx: EmitContext,
  dst: ValueRef,
  ds: readonly number[],
  src: ValueRef,
  ss: readonly number[],
  extents: readonly number[],
  unit: number,
): string {
  const last = extents.length - 1;
  const keep = (_: number, k: number) => k !== unit && k !== last;
  const outer = new LoopNest(ctx, {
    shape: extents.filter(keep),
    patterns: [ds.filter(keep), ss.filter(keep)],
  });
  const level = outer.inner;
  const d0 = plus(dst.base, outer.offset(0, level));
  const s0 = plus(src.base, outer.offset(1, level));
  const [bu, bl, u, l, du, su, eu, el] = locals(ctx, "b", "b", "j", "k", "d", "s", "e", "e");
  const [nu, nl] = [extents[unit]!, extents[last]!];
  const bound = (b: string, n: number) =>
    n % TILE === 0 ? `${b} + ${TILE}` : `Math.min(${b} + ${TILE}, ${n})`;
  const times = (i: string, s: number) => (s === 1 ? i : `${i} * ${s}`);
  const sum = (a: string, b: string) => (a === "0" ? b : `${a} + ${b}`);
  const tile = [
    `for (let ${bu} = 0; ${bu} < ${nu}; ${bu} += ${TILE}) {`,
    `  for (let ${bl} = 0; ${bl} < ${nl}; ${bl} += ${TILE}) {`,
    `    for (let ${u} = ${bu}, ${eu} = ${bound(bu, nu)}; ${u} < ${eu}; ${u}++) {`,
    `      const ${du} = ${sum(d0, times(u, ds[unit]!))};`,
    `      const ${su} = ${sum(s0, u)};`,
    `      for (let ${l} = ${bl}, ${el} = ${bound(bl, nl)}; ${l} < ${el}; ${l}++) {`,
    `        ${dst.view}[${du} + ${times(l, ds[last]!)}] = ${src.view}[${su} + ${times(l, ss[last]!)}];`,
    "      }",
    "    }",
    "  }",
    "}",
  ];
  outer.head(level).push(tile.join("\n"));
  return outer.render();
}

/** reshape: the same elements in the same order; nothing to do when computed in place. */
export const emitReshape: NodeEmitter = (ctx, node) => emitCopy(ctx, node.inputs[0]!, node.id);

/** transpose: the output walked row-major, the input read through permuted strides. */
export const emitTranspose: NodeEmitter = (ctx, node) => {
  const input = ctx.program.graph.node(node.inputs[0]!);
  const { perm } = node.attrs as unknown as OpAttrMap["transpose"];
  const inStrides = stridesOf(input.type.shape);
  return emitStridedCopy(
    ctx,
    ctx.ref(node.id),
    stridesOf(node.type.shape),
    ctx.ref(input.id),
    perm.map((p) => inStrides[p]!),
    node.type.shape,
  );
};

/** broadcast_to: the input read with stride 0 along broadcast axes. */
export const emitBroadcastTo: NodeEmitter = (ctx, node) => {
  const input = ctx.program.graph.node(node.inputs[0]!);
  return emitStridedCopy(
    ctx,
    ctx.ref(node.id),
    stridesOf(node.type.shape),
    ctx.ref(input.id),
    broadcastStrides(input.type.shape, node.type.shape),
    node.type.shape,
  );
};

/** slice: the input read from `start` with strides scaled by `step`. */
export const emitSlice: NodeEmitter = (ctx, node) => {
  const input = ctx.program.graph.node(node.inputs[0]!);
  const { start, step } = node.attrs as unknown as SliceAttrs;
  const inStrides = stridesOf(input.type.shape);
  const x = ctx.ref(input.id);
  const first = start.reduce((sum, s, k) => sum + s * inStrides[k]!, 0);
  return emitStridedCopy(
    ctx,
    ctx.ref(node.id),
    stridesOf(node.type.shape),
    { view: x.view, base: x.base + first },
    inStrides.map((s, k) => s * step[k]!),
    node.type.shape,
  );
};

/** pad: fill with the value, then scatter the input (interior padding strides the output). */
export const emitPad: NodeEmitter = (ctx, node) => {
  const input = ctx.program.graph.node(node.inputs[0]!);
  const { pads, value, interior } = node.attrs as unknown as PadAttrs;
  const out = ctx.ref(node.id);
  const n = sizeOf(node.type.shape);
  if (n === 0) return "";
  const outStrides = stridesOf(node.type.shape);
  const first = pads.reduce((sum, [before], k) => sum + before * outStrides[k]!, 0);
  const fill = `${out.view}.fill(${literal(value)}, ${out.base}, ${out.base + n});`;
  const scatter = emitStridedCopy(
    ctx,
    { view: out.view, base: out.base + first },
    outStrides.map((s, k) => s * (1 + (interior?.[k] ?? 0))),
    ctx.ref(input.id),
    stridesOf(input.type.shape),
    input.type.shape,
  );
  return scatter ? `${fill}\n${scatter}` : fill;
};

/** concat: each operand copied into its slab of the output along the axis. */
export const emitConcat: NodeEmitter = (ctx, node) => {
  const { axis } = node.attrs as unknown as OpAttrMap["concat"];
  const out = ctx.ref(node.id);
  const outStrides = stridesOf(node.type.shape);
  let offset = 0;
  const parts: string[] = [];
  for (const id of node.inputs) {
    const input = ctx.program.graph.node(id);
    parts.push(
      emitStridedCopy(
        ctx,
        { view: out.view, base: out.base + offset * outStrides[axis]! },
        outStrides,
        ctx.ref(id),
        stridesOf(input.type.shape),
        input.type.shape,
      ),
    );
    offset += input.type.shape[axis]!;
  }
  return parts.filter((p) => p).join("\n");
};

/** one_hot: fill with the off value, then set one element per in-range index. */
export const emitOneHot: NodeEmitter = (ctx, node) => {
  const { depth, onValue, offValue } = node.attrs as unknown as OpAttrMap["one_hot"];
  const indices = ctx.ref(node.inputs[0]!);
  const out = ctx.ref(node.id);
  const rows = sizeOf(node.type.shape) / depth;
  if (rows === 0) return "";
  const [r, k] = locals(ctx, "r", "k");
  return [
    `${out.view}.fill(${literal(offValue)}, ${out.base}, ${out.base + rows * depth});`,
    `for (let ${r} = 0; ${r} < ${rows}; ${r}++) {`,
    ...indent([
      `const ${k} = ${element(indices, r)};`,
      // Out-of-range indices leave the row all off, as the reference does.
      `if (${k} >= 0 && ${k} < ${depth}) ${element(out, `${r} * ${depth} + ${k}`)} = ${literal(onValue)};`,
    ]),
    "}",
  ].join("\n");
};

import type { Conv2dAttrs, Conv2dBackwardKernelAttrs, Conv2dTransposeAttrs, Node } from "@nnc/core";
import type {
  GlslContext,
  GlslEmitter,
  GlslEmitterSplit,
  GlslEmitterVec4,
} from "../emit-context.js";
import {
  accumulate,
  bind,
  coveringWindows,
  decodeIndex,
  guarded,
  indent,
  inRange,
  loop,
  shapeOf,
  sum,
} from "./index-math.js";

// The three convolution primitives as gathers over NCHW activations (core's ops/conv.ts and
// ops/gradient.ts define them). With image = conv2d's input, response = its output and tap
// (i, j) of output pixel (y, x) reading image row y·sh − pt + i·dh, column x·sw − pl + j·dw
// (zero outside the image):
// - conv2d: each response element sums its taps over the group's image channels;
// - conv2d_transpose: each image element sums, over the taps that land on it, the response
//   pixels they come from (row (Y + pt − i·dh) / sh when that divides exactly);
// - conv2d_backward_kernel: each kernel element sums response · image over batch and pixels.
// Bounds checks are emitted only where the static geometry can leave the image.

/** Integer division of a channel index by a group size, or "0" when there is one group. */
export function groupOf(channel: string, perGroup: number, total: number): string {
  return perGroup === total || channel === "0" ? "0" : `${channel} / ${perGroup}`;
}

/** conv2d: NCHW input, OIHW kernel `[O, C / groups, kh, kw]`. */
export const emitConv2d: GlslEmitter = (ctx, node) => {
  const [input, kernel] = node.inputs as [number, number];
  const [, c, h, w] = shapeOf(ctx, input) as [number, number, number, number];
  const [o, cg, kh, kw] = shapeOf(ctx, kernel) as [number, number, number, number];
  const [, , ho, wo] = node.type.shape as [number, number, number, number];
  const attrs = node.attrs as unknown as Conv2dAttrs;
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const [[pt], [pl]] = attrs.padding;
  const og = o / attrs.groups;
  const { lines, axes } = decodeIndex(ctx, "i", node.type.shape, ["b", "oc", "oy", "ox"]);
  const [b, oc, oy, ox] = axes as [string, string, string, string];
  const plane = h * w;
  const image = bind(ctx, lines, "xb", sum(0, [c * plane, b], [cg * plane, groupOf(oc, og, o)]));
  const weights = bind(ctx, lines, "wb", sum(0, [cg * kh * kw, oc]));
  const top = bind(ctx, lines, "y0", sum(-pt, [sh, oy]));
  const left = bind(ctx, lines, "x0", sum(-pl, [sw, ox]));
  const acc = ctx.local("acc");
  lines.push(`float ${acc} = 0.0;`);
  const rowMax = (ho - 1) * sh - pt + (kh - 1) * dh;
  const colMax = (wo - 1) * sw - pl + (kw - 1) * dw;
  lines.push(
    ...loop(ctx, "ki", kh, (ki) => {
      const body: string[] = [];
      const iy = bind(ctx, body, "iy", sum(0, [1, top], [dh, ki]));
      const row: string[] = [];
      const imageRow = bind(ctx, row, "xr", sum(0, [1, image], [w, iy]));
      const kernelRow = bind(ctx, row, "wr", sum(0, [1, weights], [kw, ki]));
      row.push(
        ...loop(ctx, "kj", kw, (kj) => {
          const tap: string[] = [];
          const ix = bind(ctx, tap, "ix", sum(0, [1, left], [dw, kj]));
          const inner: string[] = [];
          const xo = bind(ctx, inner, "xo", sum(0, [1, imageRow], [1, ix]));
          const ko = bind(ctx, inner, "ko", sum(0, [1, kernelRow], [1, kj]));
          inner.push(
            ...accumulate(ctx, "ci", cg, acc, (ci, k) => {
              const x = ctx.read(input, sum(k * plane, [1, xo], [plane, ci]));
              const wt = ctx.read(kernel, sum(k * kh * kw, [1, ko], [kh * kw, ci]));
              return `${x} * ${wt}`;
            }),
          );
          tap.push(...guarded(inRange(ix, -pl, colMax, w), inner));
          return tap;
        }),
      );
      body.push(...guarded(inRange(iy, -pt, rowMax, h), row));
      return body;
    }),
    `return ${acc};`,
  );
  return lines.join("\n");
};

/**
 * conv2d_transpose: NCHW input, IOHW kernel `[C_in, C_out / groups, kh, kw]`; padding crops
 * the full output and outputPadding extends it, so output row Y gathers input rows
 * (Y + pt − i·dh) / sh over the taps i where that is an integer in range.
 */
export const emitConv2dTranspose: GlslEmitter = (ctx, node) => {
  const [input, kernel] = node.inputs as [number, number];
  const [, c, h, w] = shapeOf(ctx, input) as [number, number, number, number];
  const [, og, kh, kw] = shapeOf(ctx, kernel) as [number, number, number, number];
  const [, o, ho, wo] = node.type.shape as [number, number, number, number];
  const attrs = node.attrs as unknown as Conv2dTransposeAttrs;
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const [[pt], [pl]] = attrs.padding;
  const cg = c / attrs.groups;
  const { lines, axes } = decodeIndex(ctx, "i", node.type.shape, ["b", "oc", "oy", "ox"]);
  const [b, oc, oy, ox] = axes as [string, string, string, string];
  const plane = h * w;
  const taps = kh * kw;
  const group = bind(ctx, lines, "g", groupOf(oc, og, o));
  const within = group === "0" ? oc : bind(ctx, lines, "oc", sum(0, [1, oc], [-og, group]));
  const image = bind(ctx, lines, "xb", sum(0, [c * plane, b], [cg * plane, group]));
  const weights = bind(ctx, lines, "wb", sum(0, [cg * og * taps, group], [taps, within]));
  const ty = bind(ctx, lines, "ty", sum(pt, [1, oy]));
  const tx = bind(ctx, lines, "tx", sum(pl, [1, ox]));
  const rows = { range: [pt, ho - 1 + pt], taps: kh, dilation: dh, stride: sh, extent: h } as const;
  const cols = { range: [pl, wo - 1 + pl], taps: kw, dilation: dw, stride: sw, extent: w } as const;
  const acc = ctx.local("acc");
  lines.push(`float ${acc} = 0.0;`);
  lines.push(
    ...coveringWindows(ctx, "ki", ty, rows, (ki, iy) => {
      const row: string[] = [];
      const imageRow = bind(ctx, row, "xr", sum(0, [1, image], [w, iy]));
      const kernelRow = bind(ctx, row, "wr", sum(0, [1, weights], [kw, ki]));
      row.push(
        ...coveringWindows(ctx, "kj", tx, cols, (kj, ix) => {
          const inner: string[] = [];
          const xo = bind(ctx, inner, "xo", sum(0, [1, imageRow], [1, ix]));
          const ko = bind(ctx, inner, "ko", sum(0, [1, kernelRow], [1, kj]));
          inner.push(
            ...accumulate(ctx, "ci", cg, acc, (ci, k) => {
              const x = ctx.read(input, sum(k * plane, [1, xo], [plane, ci]));
              const wt = ctx.read(kernel, sum(k * og * taps, [1, ko], [og * taps, ci]));
              return `${x} * ${wt}`;
            }),
          );
          return inner;
        }),
      );
      return row;
    }),
    `return ${acc};`,
  );
  return lines.join("\n");
};

/**
 * conv2d_backward_kernel: the OIHW kernel cotangent from conv2d's input x `[N, C, H, W]` and
 * output cotangent `[N, O, oh, ow]`; each kernel element sums cotangent · x over the batch and
 * the output pixels, in the reference's order (batch, row, column).
 */
export const emitConv2dBackwardKernel: GlslEmitter = (ctx, node) => {
  const [input, cotangent] = node.inputs as [number, number];
  const [n, c, h, w] = shapeOf(ctx, input) as [number, number, number, number];
  const [, o, oh, ow] = shapeOf(ctx, cotangent) as [number, number, number, number];
  const [, cg, kh, kw] = node.type.shape as [number, number, number, number];
  const attrs = node.attrs as unknown as Conv2dBackwardKernelAttrs;
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const [[pt], [pl]] = attrs.padding;
  const og = o / attrs.groups;
  const { lines, axes } = decodeIndex(ctx, "i", node.type.shape, ["oc", "ci", "ki", "kj"]);
  const [oc, ci, ki, kj] = axes as [string, string, string, string];
  const plane = h * w;
  const outPlane = oh * ow;
  const image = bind(
    ctx,
    lines,
    "xb",
    sum(0, [cg * plane, groupOf(oc, og, o)], [plane, ci], [dh * w, ki]),
  );
  const response = bind(ctx, lines, "cb", sum(0, [outPlane, oc]));
  const top = bind(ctx, lines, "y0", sum(-pt, [dh, ki]));
  const left = bind(ctx, lines, "x0", sum(-pl, [dw, kj]));
  const acc = ctx.local("acc");
  lines.push(`float ${acc} = 0.0;`);
  // Offsets are hoisted per batch element and row: the innermost loop only steps the column.
  const rowMax = (kh - 1) * dh - pt + (oh - 1) * sh;
  const colMax = (kw - 1) * dw - pl + (ow - 1) * sw;
  const colCheck = pl > 0 || colMax >= w;
  lines.push(
    ...loop(ctx, "bn", n, (bn) => {
      const batch: string[] = [];
      const imageBatch = bind(ctx, batch, "xn", sum(-pt * w, [1, image], [c * plane, bn]));
      const responseBatch = bind(ctx, batch, "cn", sum(0, [1, response], [o * outPlane, bn]));
      batch.push(
        ...loop(ctx, "oy", oh, (y) => {
          const body: string[] = [];
          const iy = bind(ctx, body, "iy", sum(0, [1, top], [sh, y]));
          const row: string[] = [];
          const imageRow = bind(ctx, row, "xr", sum(0, [1, imageBatch], [sh * w, y], [1, left]));
          const responseRow = bind(ctx, row, "cr", sum(0, [1, responseBatch], [ow, y]));
          const term = (x: string, k: number): string =>
            `${ctx.read(cotangent, sum(k, [1, responseRow], [1, x]))} * ${ctx.read(input, sum(k * sw, [1, imageRow], [sw, x]))}`;
          if (!colCheck) {
            row.push(...accumulate(ctx, "ox", ow, acc, term));
          } else {
            row.push(
              ...loop(ctx, "ox", ow, (x) => {
                const ix = `(${sum(0, [1, left], [sw, x])})`;
                return guarded(inRange(ix, -pl, colMax, w), [`${acc} += ${term(x, 0)};`]);
              }),
            );
          }
          body.push(...guarded(inRange(iy, -pt, rowMax, h), row));
          return body;
        }),
      );
      return batch;
    }),
    `return ${acc};`,
  );
  return lines.join("\n");
};

/**
 * The 4-wide conv2d for float32 NCHW images whose output and input widths are multiples of 4:
 * the 4 elements base … base + 3 are 4 adjacent output columns ox … ox + 3 of one (n, o, y) row.
 * Image rows then start on texel boundaries and ox·sw is a multiple of 4, so for every tap the
 * texel and component holding each of the 4 input columns are static: per image row and channel
 * the texels spanning the 4 windows are fetched once (a texel lies wholly inside or outside the
 * row, so padding is a per-texel check) and each weight is fetched once for the 4 outputs.
 */
export const emitConv2dVec4: GlslEmitterVec4 = (ctx, node) => {
  const rows = rowAlignedConv(ctx, node, 1);
  return rows && [...rows.lines, `return ${rows.accs[0]};`].join("\n");
};

/**
 * The multi-target form of {@link emitConv2dVec4}: a fragment computes the same 4 output
 * columns for 4 (or 2) consecutive output channels of one group, so every image texel it fetches
 * serves each channel's weights (a 3×3 conv over 32 channels: 36 image and 36 weight texels per
 * 2,304 multiply-adds, against 45 fetches per 576).
 */
export const emitConv2dSplit: GlslEmitterSplit = (ctx, node) => {
  const [, o, ho, wo] = node.type.shape as [number, number, number, number];
  const og = o / (node.attrs as unknown as Conv2dAttrs).groups;
  const lanes = og % 4 === 0 ? 4 : og % 2 === 0 ? 2 : 0;
  // Only with texel weights (4 channels a step): scalar weight reads, one fetch each per lane,
  // would outnumber the image fetches saved (LeNet's conv1, 1 channel: 8.4 ms → 14 ms).
  const cg = shapeOf(ctx, node.inputs[1]!)[1]!;
  if (lanes === 0 || cg % 4 !== 0) return undefined;
  const rows = rowAlignedConv(ctx, node, lanes);
  if (!rows) return undefined;
  return {
    lanes,
    extent: o,
    laneTexels: (ho * wo) / 4,
    body: [...rows.lines, ...rows.accs.map((acc, j) => `w${node.id}_${j} = ${acc};`)].join("\n"),
  };
};

/** Whether conv2d `node` can take the row-aligned paths (float32, widths multiples of 4). */
export function rowAligned(ctx: GlslContext, node: Node): boolean {
  const [, , , w] = shapeOf(ctx, node.inputs[0]!);
  const wo = node.type.shape[3]!;
  return node.type.dtype === "float32" && wo % 4 === 0 && w! % 4 === 0;
}

/**
 * The statements of the row-aligned conv2d for `lanes` consecutive output channels starting at
 * the one of element `base`, accumulating lane j's 4 outputs in `accs[j]`; undefined when the
 * shapes do not allow it.
 */
function rowAlignedConv(
  ctx: GlslContext,
  node: Node,
  lanes: number,
): { lines: string[]; accs: string[] } | undefined {
  const [input, kernel] = node.inputs as [number, number];
  const [, c, h, w] = shapeOf(ctx, input) as [number, number, number, number];
  const [o, cg, kh, kw] = shapeOf(ctx, kernel) as [number, number, number, number];
  const [, , ho, wo] = node.type.shape as [number, number, number, number];
  if (node.type.dtype !== "float32" || wo % 4 !== 0 || w % 4 !== 0 || !ctx.readTexel) {
    return undefined;
  }
  if (ctx.readTexel(input, "0") === undefined) return undefined;
  const attrs = node.attrs as unknown as Conv2dAttrs;
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const [[pt], [pl]] = attrs.padding;
  const og = o / attrs.groups;
  const { lines, axes } = decodeIndex(ctx, "base", node.type.shape, ["b", "oc", "oy", "ox"]);
  const [b, oc, oy, ox] = axes as [string, string, string, string];
  const plane = h * w;
  const image = bind(ctx, lines, "xb", sum(0, [c * plane, b], [cg * plane, groupOf(oc, og, o)]));
  const weights = bind(ctx, lines, "wb", sum(0, [cg * kh * kw, oc]));
  const top = bind(ctx, lines, "y0", sum(-pt, [sh, oy]));
  // The row's first texel column: ox·sw is a multiple of 4.
  const column = bind(ctx, lines, "tc", ox === "0" ? "0" : sum(0, [sw, `${ox} >> 2`]));
  const rowTexels = w / 4;
  const columnMax = ((wo - 4) * sw) / 4;
  // Static offsets (in elements, from ox·sw) of tap kj's input for output ox + q.
  const offset = (kj: number, q: number) => -pl + kj * dw + q * sw;
  const first = Math.floor(offset(0, 0) / 4);
  const last = Math.floor(offset(kw - 1, 3) / 4);
  const laneList = Array.from({ length: lanes }, (_, j) => j);
  const accs = laneList.map(() => ctx.local("acc"));
  lines.push(...accs.map((acc) => `vec4 ${acc} = vec4(0.0);`));
  const rowMax = (ho - 1) * sh - pt + (kh - 1) * dh;
  // With 4 channels a step, the step's 4·kh·kw weights are kh·kw whole texels.
  const step = cg % 4 === 0 && ctx.readTexel(kernel, "0") !== undefined ? 4 : 1;
  const taps = kh * kw;
  // Lane j's output channel oc + j: its weights follow oc's by j·cg·kh·kw elements.
  const laneWeights = cg * taps;
  lines.push(
    ...loop(ctx, "ci", cg / step, (cv) => {
      const channel: string[] = [];
      const kernelStep = bind(ctx, channel, "wc", sum(0, [1, weights], [taps * step, cv]));
      const packed: string[][] = laneList.map(() => []);
      if (step === 4) {
        const texel = bind(ctx, channel, "wt", `${kernelStep} >> 2`);
        for (const j of laneList) {
          for (let t = 0; t < taps; t++) {
            const name = ctx.local("wv");
            channel.push(
              `vec4 ${name} = ${ctx.readTexel!(kernel, sum(t + (j * laneWeights) / 4, [1, texel]))};`,
            );
            packed[j]!.push(name);
          }
        }
      }
      const weight = (j: number, e: number) =>
        step === 4
          ? `${packed[j]![e >> 2]}.${"xyzw"[e & 3]}`
          : ctx.read(kernel, sum(e + j * laneWeights, [1, kernelStep]));
      for (let s = 0; s < step; s++) {
        const imageChannel = bind(
          ctx,
          channel,
          "xc",
          sum(s * plane, [1, image], [step * plane, cv]),
        );
        for (let ki = 0; ki < kh; ki++) {
          const body: string[] = [];
          const iy = bind(ctx, body, "iy", sum(0, [1, top], [dh, String(ki)]));
          const row: string[] = [];
          const rowTexel = bind(
            ctx,
            row,
            "xt",
            `((${sum(0, [1, imageChannel], [w, iy])}) >> 2) + ${column}`,
          );
          const texels = new Map<number, string>();
          for (let r = first; r <= last; r++) {
            const name = ctx.local("x");
            const fetch = ctx.readTexel!(input, sum(r, [1, rowTexel]));
            const check = inRange(sum(r, [1, column]), r, columnMax + r, rowTexels);
            row.push(
              `vec4 ${name} = ${check === "true" ? fetch : `${check} ? ${fetch} : vec4(0.0)`};`,
            );
            texels.set(r, name);
          }
          for (let kj = 0; kj < kw; kj++) {
            const parts = [0, 1, 2, 3].map((q) => {
              const off = offset(kj, q);
              const r = Math.floor(off / 4);
              return `${texels.get(r)}.${"xyzw"[off - 4 * r]}`;
            });
            const pixels = ctx.local("px");
            row.push(`vec4 ${pixels} = vec4(${parts.join(", ")});`);
            for (const j of laneList) {
              row.push(`${accs[j]} += ${pixels} * ${weight(j, s * taps + ki * kw + kj)};`);
            }
          }
          body.push(...guarded(inRange(iy, -pt, rowMax, h), row));
          channel.push("{", ...indent(body), "}");
        }
      }
      return channel;
    }),
  );
  return { lines, accs };
}

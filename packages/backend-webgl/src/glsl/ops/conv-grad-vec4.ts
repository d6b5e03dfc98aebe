import type { Conv2dBackwardKernelAttrs, Conv2dTransposeAttrs, Node } from "@nnc/core";
import type { GlslContext, GlslEmitterSplit, GlslEmitterVec4 } from "../emit-context.js";
import { emitConv2dBackwardKernel, emitConv2dTranspose, groupOf } from "./conv.js";
import { lanesFor } from "./conv-shared-vec4.js";
import { fourElements } from "./four-elements.js";
import { bind, guarded, inRange, loop, shapeOf, sum } from "./index-math.js";

// The 4-wide paths of the gradient convolutions (conv.ts has their scalar gathers): a fragment's
// 4 elements run one loop and share the fetches they have in common.

/**
 * The 4-wide conv2d_backward_kernel (float32): the 4 kernel elements base … base + 3 (clamped
 * to the last element at the tail) usually share their output channel, so one loop over
 * (batch, row, column) fetches each cotangent value once for all 4 and the image value of each
 * element's tap: 5 fetches per 4 multiply-adds instead of 8, and the loop's index math once per
 * 4 elements. A texel whose elements span two output channels (a channel's `cg·kh·kw` elements
 * need not be a multiple of 4) falls back to the scalar gather per element.
 */
export const emitConv2dBackwardKernelVec4: GlslEmitterVec4 = (ctx, node) => {
  const k = backwardKernel(ctx, node, 1);
  return k && [...k.lines, `return ${k.accs[0]};`].join("\n");
};

/**
 * The multi-target form of {@link emitConv2dBackwardKernelVec4}: lane j computes the fragment's
 * 4 kernel elements for output channel o + 4j (4 channels further on: one channel's `cg·kh·kw`
 * elements need not fill whole texels, 4 channels' do), so each image value fetched serves
 * every lane: 4 + lanes fetches per 4·lanes multiply-adds instead of 5 per 4. Needs the group's
 * output channels to be a multiple of 4·lanes (LeNet's conv2: 16 channels, 4 lanes).
 */
export const emitConv2dBackwardKernelSplit: GlslEmitterSplit = (ctx, node) => {
  const [o, cg, kh, kw] = node.type.shape as [number, number, number, number];
  const og = o / (node.attrs as unknown as Conv2dBackwardKernelAttrs).groups;
  const lanes = [4, 3, 2].find((l) => og % (4 * l) === 0) ?? 0;
  if (lanes === 0) return undefined;
  const k = backwardKernel(ctx, node, lanes);
  const channelTexels = cg * kh * kw;
  return (
    k && {
      lanes,
      extent: o / 4,
      laneTexels: channelTexels,
      body: [...k.lines, ...k.accs.map((acc, j) => `w${node.id}_${j} = ${acc};`)].join("\n"),
    }
  );
};

/**
 * The statements of the shared-loop conv2d_backward_kernel for the fragment's 4 kernel elements
 * of `lanes` output channels 4 apart (lane j: elements + 4j·cg·kh·kw), accumulating lane j in
 * `accs[j]`.
 */
function backwardKernel(
  ctx: GlslContext,
  node: Node,
  lanes: number,
): { lines: string[]; accs: string[] } | undefined {
  if (node.type.dtype !== "float32") return undefined;
  const [input, cotangent] = node.inputs as [number, number];
  const [n, c, h, w] = shapeOf(ctx, input) as [number, number, number, number];
  const [, o, oh, ow] = shapeOf(ctx, cotangent) as [number, number, number, number];
  const shape = node.type.shape as [number, number, number, number];
  const [, cg, kh, kw] = shape;
  const attrs = node.attrs as unknown as Conv2dBackwardKernelAttrs;
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const [[pt], [pl]] = attrs.padding;
  const og = o / attrs.groups;
  const plane = h * w;
  const outPlane = oh * ow;
  const laneList = Array.from({ length: lanes }, (_, j) => j);
  const { lines, decoded } = fourElements(ctx, node, {
    scalar: emitConv2dBackwardKernel,
    name: "bk",
    prefixes: ["oc", "ci", "ki", "kj"],
    // The loop shares the cotangent channel (axis 0) only.
    leadingAxes: 1,
    lanes,
    laneElements: 4 * cg * kh * kw,
  });
  const oc = decoded[0]![0];
  const group = groupOf(oc, og, o);
  const image = decoded.map(([, ci, ki]) =>
    bind(ctx, lines, "xb", sum(-pt * w, [cg * plane, group], [plane, ci], [dh * w, ki])),
  );
  const top = decoded.map(([, , ki]) => bind(ctx, lines, "y0", sum(-pt, [dh, ki])));
  const left = decoded.map(([, , , kj]) => bind(ctx, lines, "x0", sum(-pl, [dw, kj])));
  const response = bind(ctx, lines, "cb", sum(0, [outPlane, oc]));
  const accs = laneList.map(() => ctx.local("acc"));
  lines.push(...accs.map((acc) => `vec4 ${acc} = vec4(0.0);`));
  const rowMax = (kh - 1) * dh - pt + (oh - 1) * sh;
  const colMax = (kw - 1) * dw - pl + (ow - 1) * sw;
  const components = ["x", "y", "z", "w"];
  lines.push(
    ...loop(ctx, "bn", n, (bn) => {
      const batch: string[] = [];
      const imageBatch = image.map((x) => bind(ctx, batch, "xn", sum(0, [1, x], [c * plane, bn])));
      const responseBatch = bind(ctx, batch, "cn", sum(0, [1, response], [o * outPlane, bn]));
      batch.push(
        ...loop(ctx, "oy", oh, (y) => {
          const row: string[] = [];
          const rowOk = top.map((t) => {
            const check = inRange(`(${sum(0, [1, t], [sh, y])})`, -pt, rowMax, h);
            if (check === "true") return "true";
            const name = ctx.local("ry");
            row.push(`bool ${name} = ${check};`);
            return name;
          });
          const imageRow = imageBatch.map((x, k) =>
            bind(ctx, row, "xr", sum(0, [1, x], [sh * w, y], [1, left[k]!])),
          );
          const responseRow = bind(ctx, row, "cr", sum(0, [1, responseBatch], [ow, y]));
          row.push(
            ...loop(ctx, "ox", ow, (x) => {
              const body: string[] = [];
              // Lane j's cotangent is output channel oc + 4j's: 4j planes further on.
              const g = laneList.map(() => ctx.local("g"));
              body.push(
                ...laneList.map(
                  (j) =>
                    `float ${g[j]} = ${ctx.read(cotangent, sum(4 * j * outPlane, [1, responseRow], [1, x]))};`,
                ),
              );
              components.forEach((comp, k) => {
                const col = inRange(`(${sum(0, [1, left[k]!], [sw, x])})`, -pl, colMax, w);
                const checks = [rowOk[k]!, col].filter((t) => t !== "true");
                const pixel = ctx.local("px");
                body.push(
                  ...guarded(checks.length === 0 ? "true" : checks.join(" && "), [
                    `float ${pixel} = ${ctx.read(input, sum(0, [1, imageRow[k]!], [sw, x]))};`,
                    ...laneList.map((j) => `${accs[j]}.${comp} += ${g[j]} * ${pixel};`),
                  ]),
                );
              });
              return body;
            }),
          );
          return row;
        }),
      );
      return batch;
    }),
  );
  return { lines, accs };
}

/**
 * The 4-wide conv2d_transpose (float32): the 4 image elements base … base + 3 (clamped to the
 * last element at the tail) usually lie in one `(n, c)` plane, so per tap and input channel one
 * weight fetch serves all 4 and each element whose tap lands on an input pixel adds its product.
 * A texel spanning two planes falls back to the scalar gather per element.
 */
export const emitConv2dTransposeVec4: GlslEmitterVec4 = (ctx, node) => {
  const t = transposeConv(ctx, node, 1);
  return t && [...t.lines, `return ${t.accs[0]};`].join("\n");
};

/**
 * The multi-target form of {@link emitConv2dTransposeVec4}: a fragment computes its 4 image
 * elements for `lanes` consecutive image channels of one group (4, 3 or 2, whichever divides the
 * group), so each cotangent value fetched serves every channel: 4 + lanes fetches per 4·lanes
 * multiply-adds instead of 5 per 4 (LeNet's conv2 input gradient: 6 channels of 14×14, 3 lanes).
 */
export const emitConv2dTransposeSplit: GlslEmitterSplit = (ctx, node) => {
  const [, c, h, w] = node.type.shape as [number, number, number, number];
  const og = shapeOf(ctx, node.inputs[1]!)[1]!;
  const lanes = lanesFor(og);
  if (lanes === 0 || (h * w) % 4 !== 0) return undefined;
  const t = transposeConv(ctx, node, lanes);
  return (
    t && {
      lanes,
      extent: c,
      laneTexels: (h * w) / 4,
      body: [...t.lines, ...t.accs.map((acc, j) => `w${node.id}_${j} = ${acc};`)].join("\n"),
    }
  );
};

/**
 * The statements of the shared-loop conv2d_transpose for the fragment's 4 image elements of
 * `lanes` consecutive image channels (lane j: elements + j·h·w), accumulating lane j in `accs[j]`.
 */
function transposeConv(
  ctx: GlslContext,
  node: Node,
  lanes: number,
): { lines: string[]; accs: string[] } | undefined {
  if (node.type.dtype !== "float32") return undefined;
  const [input, kernel] = node.inputs as [number, number];
  const [, c, h, w] = shapeOf(ctx, input) as [number, number, number, number];
  const [, og, kh, kw] = shapeOf(ctx, kernel) as [number, number, number, number];
  const shape = node.type.shape as [number, number, number, number];
  const o = shape[1];
  const attrs = node.attrs as unknown as Conv2dTransposeAttrs;
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const [[pt], [pl]] = attrs.padding;
  const cg = c / attrs.groups;
  const plane = h * w;
  const taps = kh * kw;
  const laneList = Array.from({ length: lanes }, (_, j) => j);
  const { lines, decoded } = fourElements(ctx, node, {
    scalar: emitConv2dTranspose,
    name: "ct",
    prefixes: ["b", "oc", "oy", "ox"],
    leadingAxes: 2,
    lanes,
    laneElements: shape[2] * shape[3],
  });
  const [b, oc] = decoded[0]!;
  const group = bind(ctx, lines, "g", groupOf(oc, og, o));
  const within = group === "0" ? oc : bind(ctx, lines, "oc", sum(0, [1, oc], [-og, group]));
  const image = bind(ctx, lines, "xb", sum(0, [c * plane, b], [cg * plane, group]));
  const weights = bind(ctx, lines, "wb", sum(0, [cg * og * taps, group], [taps, within]));
  const ty = decoded.map(([, , oy]) => bind(ctx, lines, "ty", sum(pt, [1, oy])));
  const tx = decoded.map(([, , , ox]) => bind(ctx, lines, "tx", sum(pl, [1, ox])));
  const accs = laneList.map(() => ctx.local("acc"));
  lines.push(...accs.map((acc) => `vec4 ${acc} = vec4(0.0);`));
  /** The checks that offset `d` is a tap landing on an input pixel (a multiple of the stride). */
  const lands = (d: string, stride: number, extent: number) =>
    [
      `${d} >= 0`,
      `${d} <= ${(extent - 1) * stride}`,
      ...(stride > 1 ? [`${d} % ${stride} == 0`] : []),
    ].join(" && ");
  const components = ["x", "y", "z", "w"];
  lines.push(
    ...loop(ctx, "ki", kh, (ki) =>
      loop(ctx, "kj", kw, (kj) => {
        const body: string[] = [];
        const valid: string[] = [];
        const offsets = [0, 1, 2, 3].map((k) => {
          const dy = bind(ctx, body, "dy", sum(0, [1, ty[k]!], [-dh, ki]));
          const dx = bind(ctx, body, "dx", sum(0, [1, tx[k]!], [-dw, kj]));
          const v = ctx.local("v");
          body.push(`bool ${v} = ${lands(dy, sh, h)} && ${lands(dx, sw, w)};`);
          valid.push(v);
          const iy = sh === 1 ? dy : `(${dy} / ${sh})`;
          const ix = sw === 1 ? dx : `(${dx} / ${sw})`;
          return bind(ctx, body, "xo", sum(0, [1, image], [w, iy], [1, ix]));
        });
        const ko = bind(ctx, body, "ko", sum(0, [1, weights], [kw, ki], [1, kj]));
        const inner = loop(ctx, "ci", cg, (ci) => {
          // Lane j's image channel is oc + j: its weights follow oc's by j·kh·kw elements.
          const wt = laneList.map(() => ctx.local("wt"));
          return [
            ...laneList.map(
              (j) =>
                `float ${wt[j]} = ${ctx.read(kernel, sum(j * taps, [1, ko], [og * taps, ci]))};`,
            ),
            ...components.flatMap((comp, k) => {
              const value = ctx.local("cv");
              return guarded(valid[k]!, [
                `float ${value} = ${ctx.read(input, sum(0, [1, offsets[k]!], [plane, ci]))};`,
                ...laneList.map((j) => `${accs[j]}.${comp} += ${value} * ${wt[j]};`),
              ]);
            }),
          ];
        });
        body.push(...guarded(valid.join(" || "), inner));
        return body;
      }),
    ),
  );
  return { lines, accs };
}

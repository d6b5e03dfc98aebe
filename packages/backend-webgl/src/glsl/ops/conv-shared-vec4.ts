import type { Conv2dAttrs, Node } from "@nnc/core";
import type { GlslContext, GlslEmitterSplit, GlslEmitterVec4 } from "../emit-context.js";
import { emitConv2d, emitConv2dVec4, groupOf } from "./conv.js";
import { fourElements } from "./four-elements.js";
import { bind, guarded, inRange, loop, shapeOf, sum } from "./index-math.js";

// conv2d's 4-wide path for any geometry: a fragment's 4 elements run one loop and share each
// weight fetch (conv.ts has the scalar gather and the row-aligned 4-wide path).

/** conv2d's 4-wide path: the row-aligned one where the widths allow it, else the shared loop. */
export const emitConv2dAnyVec4: GlslEmitterVec4 = (ctx, node) =>
  emitConv2dVec4(ctx, node) ?? emitConv2dSharedVec4(ctx, node);

/**
 * The 4-wide conv2d for any geometry (the row-aligned {@link emitConv2dVec4} needs input and
 * output widths that are multiples of 4): the 4 response elements base … base + 3 (clamped to
 * the last element at the tail) usually lie in one `(n, o)` plane, so per tap and channel one
 * weight fetch serves all 4 and each element fetches its own input pixel: 5 fetches per 4
 * multiply-adds instead of 8. A texel spanning two planes falls back to the scalar gather.
 */
export const emitConv2dSharedVec4: GlslEmitterVec4 = (ctx, node) => {
  const shared = sharedConv(ctx, node, 1);
  return shared && [...shared.lines, `return ${shared.accs[0]};`].join("\n");
};

/**
 * The multi-target form of {@link emitConv2dSharedVec4}: a fragment computes the same 4
 * elements for `lanes` consecutive output channels of one group (4, 3 or 2, whichever divides
 * the group), so each input pixel fetched serves every channel: 4 + lanes fetches per
 * 4·lanes multiply-adds instead of 5 per 4 (LeNet's conv2, 6 → 16 channels on 14×14).
 */
export const emitConv2dSharedSplit: GlslEmitterSplit = (ctx, node) => {
  const [, o, ho, wo] = node.type.shape as [number, number, number, number];
  const og = o / (node.attrs as unknown as Conv2dAttrs).groups;
  const lanes = lanesFor(og);
  if (lanes === 0 || (ho * wo) % 4 !== 0) return undefined;
  const shared = sharedConv(ctx, node, lanes);
  return (
    shared && {
      lanes,
      extent: o,
      laneTexels: (ho * wo) / 4,
      body: [...shared.lines, ...shared.accs.map((acc, j) => `w${node.id}_${j} = ${acc};`)].join(
        "\n",
      ),
    }
  );
};

/** The most lanes (4, 3 or 2) that divide `channels`, or 0. */
export function lanesFor(channels: number): number {
  return [4, 3, 2].find((lanes) => channels % lanes === 0) ?? 0;
}

/**
 * The statements of the shared-loop conv2d for the fragment's 4 elements of `lanes`
 * consecutive output channels (lane j: elements + j·ho·wo), accumulating lane j in `accs[j]`.
 */
function sharedConv(
  ctx: GlslContext,
  node: Node,
  lanes: number,
): { lines: string[]; accs: string[] } | undefined {
  if (node.type.dtype !== "float32") return undefined;
  const [input, kernel] = node.inputs as [number, number];
  const [, c, h, w] = shapeOf(ctx, input) as [number, number, number, number];
  const [o, cg, kh, kw] = shapeOf(ctx, kernel) as [number, number, number, number];
  const shape = node.type.shape as [number, number, number, number];
  const [, , ho, wo] = shape;
  const attrs = node.attrs as unknown as Conv2dAttrs;
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const [[pt], [pl]] = attrs.padding;
  const og = o / attrs.groups;
  const plane = h * w;
  const laneList = Array.from({ length: lanes }, (_, j) => j);
  const { lines, decoded } = fourElements(ctx, node, {
    scalar: emitConv2d,
    name: "cv",
    prefixes: ["b", "oc", "oy", "ox"],
    leadingAxes: 2,
    lanes,
    laneElements: ho * wo,
  });
  const [b, oc] = decoded[0]!;
  const image = bind(ctx, lines, "xb", sum(0, [c * plane, b], [cg * plane, groupOf(oc, og, o)]));
  const weights = bind(ctx, lines, "wb", sum(0, [cg * kh * kw, oc]));
  const top = decoded.map(([, , oy]) => bind(ctx, lines, "y0", sum(-pt, [sh, oy])));
  const left = decoded.map(([, , , ox]) => bind(ctx, lines, "x0", sum(-pl, [sw, ox])));
  const accs = laneList.map(() => ctx.local("acc"));
  lines.push(...accs.map((acc) => `vec4 ${acc} = vec4(0.0);`));
  const rowMax = (ho - 1) * sh - pt + (kh - 1) * dh;
  const colMax = (wo - 1) * sw - pl + (kw - 1) * dw;
  lines.push(
    ...loop(ctx, "ki", kh, (ki) => {
      const row: string[] = [];
      const rowOk = top.map((t) =>
        flag(ctx, row, "ry", inRange(`(${sum(0, [1, t], [dh, ki])})`, -pt, rowMax, h)),
      );
      const imageRow = top.map((t) =>
        bind(ctx, row, "xr", sum(0, [1, image], [w, t], [w * dh, ki])),
      );
      const kernelRow = bind(ctx, row, "wr", sum(0, [1, weights], [kw, ki]));
      row.push(
        ...loop(ctx, "kj", kw, (kj) => {
          const tap: string[] = [];
          const valid = left.map((l, k) => {
            const col = inRange(`(${sum(0, [1, l], [dw, kj])})`, -pl, colMax, w);
            return flag(
              ctx,
              tap,
              "v",
              [rowOk[k]!, col].filter((t) => t !== "true").join(" && ") || "true",
            );
          });
          const offsets = left.map((l, k) =>
            bind(ctx, tap, "xo", sum(0, [1, imageRow[k]!], [1, l], [dw, kj])),
          );
          const ko = bind(ctx, tap, "ko", sum(0, [1, kernelRow], [1, kj]));
          const inner = loop(ctx, "ci", cg, (ci) => {
            const wt = laneList.map(() => ctx.local("wt"));
            return [
              ...laneList.map(
                (j) =>
                  `float ${wt[j]} = ${ctx.read(kernel, sum(j * cg * kh * kw, [1, ko], [kh * kw, ci]))};`,
              ),
              // Taps outside the image add nothing (not 0 · weight, which is NaN for ±∞ weights).
              ...COMPONENTS.flatMap((comp, k) => {
                const pixel = ctx.local("px");
                return guarded(valid[k]!, [
                  `float ${pixel} = ${ctx.read(input, sum(0, [1, offsets[k]!], [plane, ci]))};`,
                  ...laneList.map((j) => `${accs[j]}.${comp} += ${pixel} * ${wt[j]};`),
                ]);
              }),
            ];
          });
          tap.push(...guarded(anyOf(valid), inner));
          return tap;
        }),
      );
      return row;
    }),
  );
  return { lines, accs };
}

const COMPONENTS = ["x", "y", "z", "w"] as const;

/** A `bool` local holding `condition`, or `"true"` when the condition is statically true. */
function flag(ctx: GlslContext, lines: string[], prefix: string, condition: string): string {
  if (condition === "true") return "true";
  const name = ctx.local(prefix);
  lines.push(`bool ${name} = ${condition};`);
  return name;
}

/** `a || b || …`, or `"true"` when any is statically true. */
function anyOf(conditions: readonly string[]): string {
  return conditions.includes("true") ? "true" : conditions.join(" || ");
}

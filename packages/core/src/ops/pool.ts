import { attrBool, attrPadding2d, attrPair, checkKeys } from "../attr-check.js";
import type { AvgPool2dAttrs, Pool2dAttrs } from "../op-attrs.js";
import { defineOp, type OpFamily, type RefTensor, type RuleContext } from "../op-def.js";
import type { Shape, TensorType } from "../shape.js";
import { rank4, requireFloat32, slidingOutput } from "./conv.js";
import { refTensor } from "./ref-util.js";

/** The pooling ops. */
export type PoolOp = "max_pool2d" | "avg_pool2d";

const POOL_KEYS = ["kernel", "strides", "padding"];
const SIDES = [
  ["top", "bottom"],
  ["left", "right"],
] as const;

function poolAttrs(raw: Readonly<Record<string, unknown>>, ctx: RuleContext): Pool2dAttrs {
  return {
    kernel: attrPair(raw, "kernel", ctx, 1),
    strides: attrPair(raw, "strides", ctx, 1),
    padding: attrPadding2d(raw, "padding", ctx),
  };
}

/**
 * Output shape of a pooling window over NCHW input. Each padding side must be smaller than the
 * kernel so every window holds at least one real element (a max or mean over padding alone has
 * no meaning).
 */
function poolShape([x]: readonly TensorType[], attrs: Pool2dAttrs, ctx: RuleContext): Shape {
  const [n, c, h, w] = rank4(x!, "input", "NCHW", ctx);
  if (h < 1 || w < 1) {
    ctx.fail(
      "NNC2007",
      `input has no spatial extent (${h}×${w}); every window would hold only padding`,
    );
  }
  for (const axis of [0, 1] as const) {
    attrs.padding[axis].forEach((pad, side) => {
      if (pad >= attrs.kernel[axis]) {
        ctx.fail(
          "NNC2007",
          `padding ${pad} at the ${SIDES[axis][side]} is not smaller than the kernel extent ${attrs.kernel[axis]}; a window would hold only padding`,
        );
      }
    });
  }
  const [ho, wo] = slidingOutput(
    [h, w],
    attrs.padding,
    attrs.kernel,
    attrs.strides,
    (axis) => `pooling window ${attrs.kernel[axis]}`,
    ctx,
  );
  return [n, c, ho, wo];
}

/**
 * Visits every pooling window of NCHW input and stores `reduce(values, windowSize)` — the
 * window's in-bounds values and its full (padded) size — in the output.
 */
function poolRef(
  x: RefTensor,
  { kernel: [kh, kw], strides: [sh, sw], padding: [[pt, pb], [pl, pr]] }: Pool2dAttrs,
  reduce: (values: number[], windowSize: number) => number,
): RefTensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const ho = Math.floor((h + pt + pb - kh) / sh) + 1;
  const wo = Math.floor((w + pl + pr - kw) / sw) + 1;
  const out = new Float64Array(n * c * ho * wo);
  for (let plane = 0; plane < n * c; plane++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        const values: number[] = [];
        for (let iy = oy * sh - pt; iy < oy * sh - pt + kh; iy++) {
          if (iy < 0 || iy >= h) continue;
          for (let ix = ox * sw - pl; ix < ox * sw - pl + kw; ix++) {
            if (ix < 0 || ix >= w) continue;
            values.push(x.data[(plane * h + iy) * w + ix]!);
          }
        }
        out[(plane * ho + oy) * wo + ox] = reduce(values, kh * kw);
      }
    }
  }
  return refTensor([n, c, ho, wo], out);
}

/**
 * Maximum over kernel windows of NCHW input; padded positions never win, a NaN in the window
 * gives NaN (as in PyTorch).
 */
const maxPool2d = defineOp<Pool2dAttrs>({
  name: "max_pool2d",
  doc: "Maximum over kernel windows of NCHW input; padded positions never win.",
  category: "pool",
  kind: "primitive",
  operands: ["input"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, POOL_KEYS, ctx);
    return poolAttrs(raw, ctx);
  },
  inferShape: poolShape,
  inferDtype: (inputs, _attrs, ctx) => requireFloat32(inputs, ["input"], ctx),
  evaluate: ([x], attrs) =>
    poolRef(x!, attrs, (values) => {
      let best = Number.NEGATIVE_INFINITY;
      // `v > best` alone would skip a NaN; once best is NaN no comparison replaces it.
      for (const v of values) if (v > best || Number.isNaN(v)) best = v;
      return best;
    }),
  // Each output takes its window's winner: the tangent is gathered at the argmax (the backward
  // pass keeps int32 indices, not the input, and scatter-adds to them).
  jvp: ({ g, primals: [x], attrs, tangent }) => {
    const t = tangent(0);
    if (!t) return null;
    const winners = g.apply("max_pool2d_argmax", [x!], attrs);
    return g.gatherSpatial(t, winners);
  },
});

/**
 * Mean over kernel windows of NCHW input: divided by the number of real (non-padding) elements,
 * or by the whole window when `countIncludePad`.
 */
const avgPool2d = defineOp<AvgPool2dAttrs>({
  name: "avg_pool2d",
  doc: "Mean over kernel windows of NCHW input, over the window's real elements unless countIncludePad.",
  category: "pool",
  kind: "primitive",
  operands: ["input"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, [...POOL_KEYS, "countIncludePad"], ctx);
    return { ...poolAttrs(raw, ctx), countIncludePad: attrBool(raw, "countIncludePad", ctx) };
  },
  inferShape: poolShape,
  inferDtype: (inputs, _attrs, ctx) => requireFloat32(inputs, ["input"], ctx),
  evaluate: ([x], attrs) =>
    poolRef(x!, attrs, (values, windowSize) => {
      let sum = 0;
      for (const v of values) sum += v;
      return sum / (attrs.countIncludePad ? windowSize : values.length);
    }),
  jvp: ({ g, attrs, tangent }) => {
    const t = tangent(0);
    return t && g.apply("avg_pool2d", [t], attrs);
  },
  linearity: { kind: "joint", operands: [0] },
  transpose: ({ g, ct, attrs, types }) => [
    g.avgPool2dBackward(ct, { ...attrs, inputShape: [types[0]!.shape[2]!, types[0]!.shape[3]!] }),
  ],
});

/** The records of the pooling ops. */
export const poolOps: OpFamily<PoolOp> = { max_pool2d: maxPool2d, avg_pool2d: avgPool2d };

import { attrInt, attrPadding2d, attrPair, checkKeys } from "../attr-check.js";
import { dilatedWindow } from "../conv-options.js";
import type { DType } from "../dtype.js";
import type { GraphBuilder } from "../graph-builder.js";
import type { Conv2dAttrs, Conv2dTransposeAttrs, Pair } from "../op-attrs.js";
import { defineOp, type OpFamily, type RefTensor, type RuleContext } from "../op-def.js";
import { formatShape, type Shape, sizeOf, type TensorType } from "../shape.js";
import type { Value } from "../value.js";
import { multilinearJvp, zeros } from "./ad-util.js";
import { refTensor } from "./ref-util.js";

/** The convolution ops. */
export type ConvOp = "conv2d" | "conv2d_transpose";

const SPATIAL_AXES = ["height", "width"] as const;

/** Fails with NNC2008 unless `type` has rank 4; returns its extents. */
export function rank4(
  type: TensorType,
  role: string,
  layout: string,
  ctx: RuleContext,
): [number, number, number, number] {
  if (type.shape.length !== 4) {
    ctx.fail("NNC2008", `${role} must have rank 4 (${layout}), got ${formatShape(type.shape)}`);
  }
  return [type.shape[0]!, type.shape[1]!, type.shape[2]!, type.shape[3]!];
}

/** Fails with NNC2002 unless every operand is float32 (the only dtype windowed kernels take). */
export function requireFloat32(
  inputs: readonly TensorType[],
  roles: readonly string[],
  ctx: RuleContext,
): DType {
  inputs.forEach((t, i) => {
    if (t.dtype !== "float32") ctx.fail("NNC2002", `${roles[i]} must be float32, got ${t.dtype}`);
  });
  return "float32";
}

/**
 * Output extents of a window sliding over the two padded spatial axes:
 * floor((size + before + after − window) / stride) + 1, failing with NNC2007 when the window is
 * larger than the padded input. `describe(axis)` names the window for the message.
 */
export function slidingOutput(
  sizes: Pair,
  padding: readonly Pair[],
  windows: Pair,
  strides: Pair,
  describe: (axis: 0 | 1) => string,
  ctx: RuleContext,
): [number, number] {
  const extent = (axis: 0 | 1): number => {
    const [before, after] = padding[axis]!;
    const padded = sizes[axis] + before + after;
    if (padded < windows[axis]) {
      ctx.fail(
        "NNC2007",
        `along ${SPATIAL_AXES[axis]} the padded input extent ${padded} (${sizes[axis]} + ${before} + ${after}) is smaller than the ${describe(axis)}`,
      );
    }
    return Math.floor((padded - windows[axis]) / strides[axis]) + 1;
  };
  return [extent(0), extent(1)];
}

const CONV2D_KEYS = ["strides", "padding", "dilations", "groups"];

function validateConv2dAttrs(
  raw: Readonly<Record<string, unknown>>,
  ctx: RuleContext,
): Conv2dAttrs {
  checkKeys(raw, CONV2D_KEYS, ctx);
  return convAttrs(raw, ctx);
}

function convAttrs(raw: Readonly<Record<string, unknown>>, ctx: RuleContext): Conv2dAttrs {
  return {
    strides: attrPair(raw, "strides", ctx, 1),
    padding: attrPadding2d(raw, "padding", ctx),
    dilations: attrPair(raw, "dilations", ctx, 1),
    groups: attrInt(raw, "groups", ctx, 1),
  };
}

/** The kernel's spatial extents, failing with NNC2008 when one is 0 (there would be no window). */
function kernelHW(kernel: readonly number[], ctx: RuleContext): Pair {
  const kh = kernel[2]!;
  const kw = kernel[3]!;
  if (kh < 1 || kw < 1) {
    ctx.fail("NNC2008", `kernel spatial extents must be ≥ 1, got ${formatShape(kernel)}`);
  }
  return [kh, kw];
}

function checkDivisible(channels: number, groups: number, what: string, ctx: RuleContext): void {
  if (channels % groups !== 0) {
    ctx.fail("NNC2006", `${what} (${channels}) are not divisible by groups (${groups})`);
  }
}

/** 2-D cross-correlation of NCHW input with an OIHW kernel (I = C / groups). */
const conv2d = defineOp<Conv2dAttrs>({
  name: "conv2d",
  doc: "2-D cross-correlation of NCHW input with an OIHW kernel, with strides, padding, dilation and groups.",
  category: "conv",
  kind: "primitive",
  operands: ["input", "kernel"],
  validateAttrs: validateConv2dAttrs,
  inferShape: ([x, w], { strides, padding, dilations, groups }, ctx) => {
    const [n, c, h, wd] = rank4(x!, "input", "NCHW", ctx);
    const [o, cPerGroup] = rank4(w!, "kernel", "OIHW", ctx);
    const kernel = kernelHW(w!.shape, ctx);
    checkDivisible(c, groups, "input channels", ctx);
    if (cPerGroup * groups !== c) {
      ctx.fail(
        "NNC2006",
        groups === 1
          ? `input has ${c} channels but the kernel ${formatShape(w!.shape)} (OIHW) expects ${cPerGroup}`
          : `input has ${c} channels but the kernel expects ${cPerGroup} per group × ${groups} groups = ${cPerGroup * groups}`,
      );
    }
    checkDivisible(o, groups, "kernel output channels", ctx);
    const [ho, wo] = slidingOutput(
      [h, wd],
      padding,
      dilatedWindow(kernel, dilations),
      strides,
      (axis) =>
        `dilated kernel window ${dilatedWindow(kernel, dilations)[axis]} ((${kernel[axis]} − 1)·${dilations[axis]} + 1)`,
      ctx,
    );
    return [n, o, ho, wo];
  },
  inferDtype: (inputs, _attrs, ctx) => requireFloat32(inputs, ["input", "kernel"], ctx),
  evaluate: ([x, w], attrs) => conv2dRef(x!, w!, attrs),
  jvp: (args) => multilinearJvp(args, [0, 1], (ops) => args.g.apply("conv2d", ops, args.attrs)),
  linearity: { kind: "separate", operands: [0, 1] },
  // w.r.t. the input: a "full" correlation with the 180°-rotated kernel (conv2d_transpose);
  // w.r.t. the kernel: the correlation of the input with the output cotangent.
  transpose: ({ g, ct, attrs, types, residuals: [x, w], linear }) => [
    linear[0] ? conv2dInputAdjoint(g, ct, w!, attrs, types[0]!.shape) : null,
    linear[1]
      ? g.conv2dBackwardKernel(x!, ct, {
          ...attrs,
          kernel: [types[1]!.shape[2]!, types[1]!.shape[3]!],
        })
      : null,
  ],
});

/**
 * Reference conv2d by direct loops: out[n, o, y, x] = Σ in[n, g·Cg + c, y·sh − pt + i·dh,
 * x·sw − pl + j·dw] · w[o, c, i, j] over the group g of output channel o; reads outside the
 * input are the zero padding.
 */
function conv2dRef(x: RefTensor, w: RefTensor, attrs: Conv2dAttrs): RefTensor {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = w.shape as [number, number, number, number];
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const [[pt, pb], [pl, pr]] = attrs.padding;
  const ho = Math.floor((h + pt + pb - ((kh - 1) * dh + 1)) / sh) + 1;
  const wo = Math.floor((wd + pl + pr - ((kw - 1) * dw + 1)) / sw) + 1;
  const og = o / attrs.groups;
  const out = new Float64Array(n * o * ho * wo);
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < o; oc++) {
      const firstChannel = Math.floor(oc / og) * cg;
      for (let oy = 0; oy < ho; oy++) {
        for (let ox = 0; ox < wo; ox++) {
          let acc = 0;
          for (let ic = 0; ic < cg; ic++) {
            for (let i = 0; i < kh; i++) {
              const iy = oy * sh - pt + i * dh;
              if (iy < 0 || iy >= h) continue;
              for (let j = 0; j < kw; j++) {
                const ix = ox * sw - pl + j * dw;
                if (ix < 0 || ix >= wd) continue;
                acc +=
                  x.data[((b * c + firstChannel + ic) * h + iy) * wd + ix]! *
                  w.data[((oc * cg + ic) * kh + i) * kw + j]!;
              }
            }
          }
          out[((b * o + oc) * ho + oy) * wo + ox] = acc;
        }
      }
    }
  }
  return refTensor([n, o, ho, wo], out);
}

/**
 * The transpose of conv2d (PyTorch's ConvTranspose2d): NCHW input, IOHW kernel
 * `[C_in, C_out / groups, kh, kw]`; padding crops the full output, outputPadding extends it at the
 * bottom/right. With the same kernel and attributes it is the adjoint of conv2d.
 */
const conv2dTranspose = defineOp<Conv2dTransposeAttrs>({
  name: "conv2d_transpose",
  doc: "Transposed 2-D convolution (the adjoint of conv2d) of NCHW input with an IOHW kernel.",
  category: "conv",
  kind: "primitive",
  operands: ["input", "kernel"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, [...CONV2D_KEYS, "outputPadding"], ctx);
    const base = convAttrs(raw, ctx);
    const outputPadding = attrPair(raw, "outputPadding", ctx, 0);
    // outputPadding picks which of the `stride` input extents conv2d maps to one output extent
    // is meant, so it stays below the stride; PyTorch also allows anything below the dilation.
    for (const axis of [0, 1] as const) {
      if (outputPadding[axis] >= Math.max(base.strides[axis], base.dilations[axis])) {
        ctx.fail(
          "NNC1002",
          `attribute "outputPadding" must be smaller than the stride or the dilation along each axis, got ${formatShape(outputPadding)} with strides ${formatShape(base.strides)} and dilations ${formatShape(base.dilations)}`,
        );
      }
    }
    return { ...base, outputPadding };
  },
  inferShape: ([x, w], { strides, padding, dilations, groups, outputPadding }, ctx) => {
    const [n, c, h, wd] = rank4(x!, "input", "NCHW", ctx);
    const [cKernel, outPerGroup] = rank4(w!, "kernel", "IOHW", ctx);
    const kernel = kernelHW(w!.shape, ctx);
    checkDivisible(c, groups, "input channels", ctx);
    if (cKernel !== c) {
      ctx.fail(
        "NNC2006",
        `input has ${c} channels but the kernel ${formatShape(w!.shape)} (IOHW) expects ${cKernel}`,
      );
    }
    const window = dilatedWindow(kernel, dilations);
    const extent = (axis: 0 | 1): number => {
      const size = [h, wd][axis]!;
      const full = (size - 1) * strides[axis] + window[axis] + outputPadding[axis];
      const [before, after] = padding[axis];
      if (full - before - after < 1) {
        ctx.fail(
          "NNC2007",
          `along ${SPATIAL_AXES[axis]} the padding ${before} + ${after} crops away the whole output of extent ${full} ((${size} − 1)·${strides[axis]} + ${window[axis]} + ${outputPadding[axis]})`,
        );
      }
      return full - before - after;
    };
    const [ho, wo] = [extent(0), extent(1)];
    return [n, outPerGroup * groups, ho, wo];
  },
  inferDtype: (inputs, _attrs, ctx) => requireFloat32(inputs, ["input", "kernel"], ctx),
  evaluate: ([x, w], attrs) => conv2dTransposeRef(x!, w!, attrs),
  jvp: (args) =>
    multilinearJvp(args, [0, 1], (ops) => args.g.apply("conv2d_transpose", ops, args.attrs)),
  linearity: { kind: "separate", operands: [0, 1] },
  // conv2d_transpose(·, w) is the adjoint of conv2d(·, w): its own adjoint is conv2d, and its
  // kernel gradient is conv2d_backward_kernel with the roles of input and cotangent swapped.
  transpose: ({ g, ct, attrs, types, residuals: [x, w], linear }) => {
    const { outputPadding: _, ...conv } = attrs;
    return [
      linear[0] ? cropTo(g, g.conv2d(ct, w!, convOptions(conv)), types[0]!.shape) : null,
      linear[1]
        ? g.conv2dBackwardKernel(ct, padToConvOutput(g, x!, ct.shape, types[1]!.shape, conv), {
            ...conv,
            kernel: [types[1]!.shape[2]!, types[1]!.shape[3]!],
          })
        : null,
    ];
  },
});

/**
 * Reference conv2d_transpose as a scatter: each input element adds input · kernel into its
 * output window at (y·sh + i·dh − pt, x·sw + j·dw − pl); contributions landing in the cropped
 * padding are dropped.
 */
function conv2dTransposeRef(x: RefTensor, w: RefTensor, attrs: Conv2dTransposeAttrs): RefTensor {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [, og, kh, kw] = w.shape as [number, number, number, number];
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const [[pt, pb], [pl, pr]] = attrs.padding;
  const [oph, opw] = attrs.outputPadding;
  const ho = (h - 1) * sh - pt - pb + (kh - 1) * dh + 1 + oph;
  const wo = (wd - 1) * sw - pl - pr + (kw - 1) * dw + 1 + opw;
  const o = og * attrs.groups;
  const cg = c / attrs.groups;
  const out = new Float64Array(n * o * ho * wo);
  for (let b = 0; b < n; b++) {
    for (let ic = 0; ic < c; ic++) {
      const firstOut = Math.floor(ic / cg) * og;
      for (let iy = 0; iy < h; iy++) {
        for (let ix = 0; ix < wd; ix++) {
          const v = x.data[((b * c + ic) * h + iy) * wd + ix]!;
          for (let oc = 0; oc < og; oc++) {
            for (let i = 0; i < kh; i++) {
              const oy = iy * sh + i * dh - pt;
              if (oy < 0 || oy >= ho) continue;
              for (let j = 0; j < kw; j++) {
                const ox = ix * sw + j * dw - pl;
                if (ox < 0 || ox >= wo) continue;
                out[((b * o + firstOut + oc) * ho + oy) * wo + ox]! +=
                  v * w.data[((ic * og + oc) * kh + i) * kw + j]!;
              }
            }
          }
        }
      }
    }
  }
  return refTensor([n, o, ho, wo], out);
}

/** The records of the convolution ops. */
export const convOps: OpFamily<ConvOp> = { conv2d, conv2d_transpose: conv2dTranspose };

/**
 * The cotangent of conv2d's input: conv2d_transpose of the output cotangent with the same
 * kernel and attributes. Strides make several input extents map to one output extent; the
 * output padding picks back the input's own (H − the extent the transpose reaches by itself).
 */
export function conv2dInputAdjoint(
  g: GraphBuilder,
  cotangent: Value,
  kernel: Value,
  attrs: Conv2dAttrs,
  inputShape: Shape,
): Value {
  // An input without spatial extent has an empty cotangent, which conv2d_transpose cannot make.
  if (sizeOf(inputShape) === 0) return zeros(g, inputShape);
  const reach = (axis: 0 | 1): number => {
    const [before, after] = attrs.padding[axis];
    return (
      (cotangent.shape[2 + axis]! - 1) * attrs.strides[axis] -
      before -
      after +
      (kernel.shape[2 + axis]! - 1) * attrs.dilations[axis] +
      1
    );
  };
  return g.apply("conv2d_transpose", [cotangent, kernel], {
    ...attrs,
    outputPadding: [inputShape[2]! - reach(0), inputShape[3]! - reach(1)],
  });
}

/** conv2d options that reproduce canonical attributes exactly. */
function convOptions(attrs: Conv2dAttrs) {
  return {
    stride: attrs.strides,
    dilation: attrs.dilations,
    groups: attrs.groups,
    padding: attrs.padding,
  } as const;
}

/**
 * Crops the spatial extent of `x` to `shape` (an output padding ≥ stride makes conv2d's result
 * larger than the transpose's input; the extra rows never received a contribution).
 */
function cropTo(g: GraphBuilder, x: Value, shape: Shape): Value {
  if (x.shape[2] === shape[2] && x.shape[3] === shape[3]) return x;
  return g.slice(x, [0, 0, 0, 0], [...shape]);
}

/**
 * Zero-pads `x` at the bottom/right to the extent conv2d(`input`) would have with this kernel:
 * with an outputPadding ≥ stride, that extent exceeds x's, and the extra rows pair with zeros.
 */
function padToConvOutput(
  g: GraphBuilder,
  x: Value,
  input: Shape,
  kernel: Shape,
  attrs: Conv2dAttrs,
): Value {
  const extent = (axis: 0 | 1) => {
    const [before, after] = attrs.padding[axis];
    const window = (kernel[2 + axis]! - 1) * attrs.dilations[axis] + 1;
    return Math.floor((input[2 + axis]! + before + after - window) / attrs.strides[axis]) + 1;
  };
  const extra = [extent(0) - x.shape[2]!, extent(1) - x.shape[3]!];
  if (extra[0] === 0 && extra[1] === 0) return x;
  return g.pad(x, [
    [0, 0],
    [0, 0],
    [0, extra[0]!],
    [0, extra[1]!],
  ]);
}

import { attrInt, attrPadding2d, attrPair, checkKeys, noAttrs } from "../attr-check.js";
import { dilatedWindow } from "../conv-options.js";
import type {
  AvgPool2dBackwardAttrs,
  Conv2dBackwardKernelAttrs,
  NoAttrs,
  Pair,
  Pool2dAttrs,
} from "../op-attrs.js";
import {
  defineOp,
  type OpFamily,
  type RefTensor,
  type RuleContext,
  type TransposeArgs,
} from "../op-def.js";
import { formatShape, shapesEqual, type TensorType } from "../shape.js";
import type { Value } from "../value.js";
import { jointLinearJvp, multilinearJvp } from "./ad-util.js";
import { conv2dInputAdjoint, rank4, requireFloat32, slidingOutput } from "./conv.js";
import { poolOps } from "./pool.js";
import { refTensor } from "./ref-util.js";

// The primitives reverse-mode autodiff emits: the gradients of conv2d and the pools that are not
// themselves forward ops, the index plumbing of max-pool's derivative, and stop_gradient. Each is
// linear where the transpose pass needs it to be, with its transpose rule beside it.

/** The autodiff primitives. */
export type GradientOp =
  | "stop_gradient"
  | "conv2d_backward_kernel"
  | "avg_pool2d_backward"
  | "max_pool2d_argmax"
  | "gather_spatial"
  | "scatter_add_spatial";

/** Operand `i`'s primal value in a transpose rule, where the rule needs it as a residual. */
function residual(args: TransposeArgs<unknown>, i: number): Value {
  const value = args.residuals[i];
  if (!value) {
    // Ops linear in each operand separately are linear in one at a time, never in two.
    throw new Error(`nnc bug: transpose rule needs operand ${i} as a residual, but it is linear`);
  }
  return value;
}

function checkDivisible(channels: number, groups: number, what: string, ctx: RuleContext): void {
  if (channels % groups !== 0) {
    ctx.fail("NNC2006", `${what} (${channels}) are not divisible by groups (${groups})`);
  }
}

/**
 * The identity with a zero derivative: differentiation treats its operand as a constant (JAX's
 * `stop_gradient`). Used where a value is subtracted only for numerical stability.
 */
const stopGradient = defineOp<NoAttrs>({
  name: "stop_gradient",
  doc: "The identity, with a zero derivative: differentiation treats the operand as a constant.",
  category: "elementwise",
  kind: "primitive",
  operands: ["x"],
  validateAttrs: noAttrs,
  inferShape: ([x]) => [...x!.shape],
  inferDtype: ([x]) => x!.dtype,
  evaluate: ([x]) => refTensor(x!.shape, x!.data.slice()),
  jvp: () => null,
});

// ---- conv2d_backward_kernel --------------------------------------------------------------------

/**
 * The gradient of conv2d w.r.t. its kernel: given conv2d's input x [N, C, H, W] and its output's
 * cotangent ct [N, O, oh, ow], the OIHW kernel cotangent
 * dW[o, c, i, j] = Σ_{n,y,x} ct[n, o, y, x] · xpad[n, grp(o)·C/groups + c, y·sh + i·dh, x·sw + j·dw].
 * Bilinear, so ⟨conv2d(x, V), C⟩ = ⟨V, conv2d_backward_kernel(x, C)⟩.
 */
const conv2dBackwardKernel = defineOp<Conv2dBackwardKernelAttrs>({
  name: "conv2d_backward_kernel",
  doc: "The gradient of conv2d w.r.t. its OIHW kernel, from conv2d's input and output cotangent.",
  category: "conv",
  kind: "primitive",
  operands: ["input", "cotangent"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, ["strides", "padding", "dilations", "groups", "kernel"], ctx);
    return {
      strides: attrPair(raw, "strides", ctx, 1),
      padding: attrPadding2d(raw, "padding", ctx),
      dilations: attrPair(raw, "dilations", ctx, 1),
      groups: attrInt(raw, "groups", ctx, 1),
      kernel: attrPair(raw, "kernel", ctx, 1),
    };
  },
  inferShape: ([x, ct], { strides, padding, dilations, groups, kernel }, ctx) => {
    const [n, c, h, w] = rank4(x!, "input", "NCHW", ctx);
    const [, o] = rank4(ct!, "cotangent", "NCHW", ctx);
    checkDivisible(c, groups, "input channels", ctx);
    checkDivisible(o, groups, "cotangent channels", ctx);
    const window = dilatedWindow(kernel, dilations);
    const [oh, ow] = slidingOutput(
      [h, w],
      padding,
      window,
      strides,
      (axis) =>
        `dilated kernel window ${window[axis]} ((${kernel[axis]} − 1)·${dilations[axis]} + 1)`,
      ctx,
    );
    const expected = [n, o, oh, ow];
    if (!shapesEqual(ct!.shape, expected)) {
      ctx.fail(
        "NNC2008",
        `cotangent must have the conv2d output shape ${formatShape(expected)} for this input and a ${kernel[0]}×${kernel[1]} kernel, got ${formatShape(ct!.shape)}`,
      );
    }
    return [o, c / groups, kernel[0], kernel[1]];
  },
  inferDtype: (inputs, _attrs, ctx) => requireFloat32(inputs, ["input", "cotangent"], ctx),
  evaluate: ([x, ct], attrs) => conv2dBackwardKernelRef(x!, ct!, attrs),
  linearity: { kind: "separate", operands: [0, 1] },
  jvp: (args) =>
    multilinearJvp(args, [0, 1], ([x, ct]) => args.g.conv2dBackwardKernel(x!, ct!, args.attrs)),
  transpose: (args) => {
    const { g, ct, linear, types } = args;
    const { kernel: _kernel, ...conv } = args.attrs;
    return [
      // ⟨B(x, C), K⟩ = ⟨conv2d(x, K), C⟩: in x that is conv2d's input adjoint applied to C,
      // in C it is conv2d itself.
      linear[0] ? conv2dInputAdjoint(g, residual(args, 1), ct, conv, types[0]!.shape) : null,
      linear[1] ? g.apply("conv2d", [residual(args, 0), ct], conv) : null,
    ];
  },
});

/** Reference conv2d_backward_kernel by direct loops over the formula; padding reads as zero. */
function conv2dBackwardKernelRef(
  x: RefTensor,
  ct: RefTensor,
  attrs: Conv2dBackwardKernelAttrs,
): RefTensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [, o, oh, ow] = ct.shape as [number, number, number, number];
  const [kh, kw] = attrs.kernel;
  const [sh, sw] = attrs.strides;
  const [dh, dw] = attrs.dilations;
  const [[pt], [pl]] = attrs.padding;
  const cg = c / attrs.groups;
  const og = o / attrs.groups;
  const out = new Float64Array(o * cg * kh * kw);
  for (let oc = 0; oc < o; oc++) {
    const firstChannel = Math.floor(oc / og) * cg;
    for (let ic = 0; ic < cg; ic++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          let acc = 0;
          for (let b = 0; b < n; b++) {
            for (let oy = 0; oy < oh; oy++) {
              const iy = oy * sh - pt + i * dh;
              if (iy < 0 || iy >= h) continue;
              for (let ox = 0; ox < ow; ox++) {
                const ix = ox * sw - pl + j * dw;
                if (ix < 0 || ix >= w) continue;
                acc +=
                  ct.data[((b * o + oc) * oh + oy) * ow + ox]! *
                  x.data[((b * c + firstChannel + ic) * h + iy) * w + ix]!;
              }
            }
          }
          out[((oc * cg + ic) * kh + i) * kw + j] = acc;
        }
      }
    }
  }
  return refTensor([o, cg, kh, kw], out);
}

// ---- pooling -----------------------------------------------------------------------------------

/** The spatial rows (or columns) of the input a window starting at `first` covers. */
function windowRange(first: number, extent: number, size: number): [number, number] {
  return [Math.max(first, 0), Math.min(first + extent, size)];
}

/**
 * The adjoint of avg_pool2d (its transpose, linear in the cotangent): each cotangent element is
 * divided by its window's count — the real elements, or the whole window with countIncludePad,
 * exactly as avg_pool2d divides — and added to the window's real input positions.
 */
const avgPool2dBackward = defineOp<AvgPool2dBackwardAttrs>({
  name: "avg_pool2d_backward",
  doc: "The adjoint of avg_pool2d: spreads each cotangent element evenly over its window's input positions.",
  category: "pool",
  kind: "primitive",
  operands: ["cotangent"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, ["kernel", "strides", "padding", "countIncludePad", "inputShape"], ctx);
    const { inputShape: _inputShape, ...pool } = raw;
    return {
      ...poolOps.avg_pool2d.validateAttrs(pool, ctx),
      inputShape: attrPair(raw, "inputShape", ctx, 0),
    };
  },
  inferShape: ([ct], attrs, ctx) => {
    const [n, c] = rank4(ct!, "cotangent", "NCHW", ctx);
    const input = [n, c, ...attrs.inputShape];
    // avg_pool2d's own rule: the same window checks and messages for the pooled input.
    const pooled = poolOps.avg_pool2d.inferShape([{ dtype: "float32", shape: input }], attrs, ctx);
    if (!shapesEqual(ct!.shape, pooled)) {
      ctx.fail(
        "NNC2008",
        `cotangent must have the avg_pool2d output shape ${formatShape(pooled)} for an input of ${formatShape(input)}, got ${formatShape(ct!.shape)}`,
      );
    }
    return input;
  },
  inferDtype: (inputs, _attrs, ctx) => requireFloat32(inputs, ["cotangent"], ctx),
  evaluate: ([ct], attrs) => avgPool2dBackwardRef(ct!, attrs),
  linearity: { kind: "joint", operands: [0] },
  jvp: (args) => jointLinearJvp(args, "avg_pool2d_backward"),
  transpose: ({ g, ct, attrs: { inputShape: _inputShape, ...pool } }) => [
    g.apply("avg_pool2d", [ct], pool),
  ],
});

function avgPool2dBackwardRef(ct: RefTensor, attrs: AvgPool2dBackwardAttrs): RefTensor {
  const [n, c, oh, ow] = ct.shape as [number, number, number, number];
  const [h, w] = attrs.inputShape;
  const [kh, kw] = attrs.kernel;
  const [sh, sw] = attrs.strides;
  const [[pt], [pl]] = attrs.padding;
  const out = new Float64Array(n * c * h * w);
  for (let plane = 0; plane < n * c; plane++) {
    for (let oy = 0; oy < oh; oy++) {
      const [y0, y1] = windowRange(oy * sh - pt, kh, h);
      for (let ox = 0; ox < ow; ox++) {
        const [x0, x1] = windowRange(ox * sw - pl, kw, w);
        const count = attrs.countIncludePad ? kh * kw : (y1 - y0) * (x1 - x0);
        const share = ct.data[(plane * oh + oy) * ow + ox]! / count;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) out[(plane * h + iy) * w + ix]! += share;
        }
      }
    }
  }
  return refTensor([n, c, h, w], out);
}

/**
 * Where max_pool2d takes each maximum from: the int32 flat index h·W + w within the (n, c)
 * plane. It follows max_pool2d's scan exactly (row-major over the window's real elements, padding
 * never wins): the first maximum on ties, the last NaN when the window holds NaN (as PyTorch's
 * kernel), the first element when all are −∞. max_pool2d's derivative is the tangent gathered at
 * these indices.
 */
const maxPool2dArgmax = defineOp<Pool2dAttrs>({
  name: "max_pool2d_argmax",
  doc: "int32 flat index h·W + w within each (n, c) plane of the element max_pool2d picks per window.",
  category: "pool",
  kind: "primitive",
  operands: ["input"],
  validateAttrs: poolOps.max_pool2d.validateAttrs,
  inferShape: poolOps.max_pool2d.inferShape,
  inferDtype: (inputs, _attrs, ctx) => {
    requireFloat32(inputs, ["input"], ctx);
    return "int32";
  },
  evaluate: ([x], attrs) => maxPool2dArgmaxRef(x!, attrs),
});

function maxPool2dArgmaxRef(x: RefTensor, attrs: Pool2dAttrs): RefTensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [kh, kw] = attrs.kernel;
  const [sh, sw] = attrs.strides;
  const [[pt, pb], [pl, pr]] = attrs.padding;
  const oh = Math.floor((h + pt + pb - kh) / sh) + 1;
  const ow = Math.floor((w + pl + pr - kw) / sw) + 1;
  const out = new Float64Array(n * c * oh * ow);
  for (let plane = 0; plane < n * c; plane++) {
    for (let oy = 0; oy < oh; oy++) {
      const [y0, y1] = windowRange(oy * sh - pt, kh, h);
      for (let ox = 0; ox < ow; ox++) {
        const [x0, x1] = windowRange(ox * sw - pl, kw, w);
        let best = Number.NEGATIVE_INFINITY;
        let index = -1;
        for (let iy = y0; iy < y1; iy++) {
          for (let ix = x0; ix < x1; ix++) {
            const v = x.data[(plane * h + iy) * w + ix]!;
            // max_pool2d's update rule; the first element is taken unconditionally so a window
            // of −∞ still names one.
            if (index < 0 || v > best || Number.isNaN(v)) {
              best = v;
              index = iy * w + ix;
            }
          }
        }
        out[(plane * oh + oy) * ow + ox] = index;
      }
    }
  }
  return refTensor([n, c, oh, ow], out);
}

// ---- spatial gather and scatter ----------------------------------------------------------------

/** Fails unless two NCHW operands share batch (NNC2008) and channels (NNC2006). */
function checkSamePlanes(
  [n, c]: readonly number[],
  [ni, ci]: readonly number[],
  roles: readonly [string, string],
  ctx: RuleContext,
): void {
  if (ni !== n) ctx.fail("NNC2008", `${roles[0]} has batch ${n} but ${roles[1]} have ${ni}`);
  if (ci !== c) ctx.fail("NNC2006", `${roles[0]} has ${c} channels but ${roles[1]} have ${ci}`);
}

/** Fails with NNC2002 unless the first operand is float32 and the second int32. */
function floatAndIndices(inputs: readonly TensorType[], role: string, ctx: RuleContext): "float32" {
  requireFloat32([inputs[0]!], [role], ctx);
  if (inputs[1]!.dtype !== "int32") {
    ctx.fail("NNC2002", `indices must be int32, got ${inputs[1]!.dtype}`);
  }
  return "float32";
}

/**
 * Reads each (n, c) plane of x [N, C, H, W] at int32 flat spatial indices [N, C, oh, ow]:
 * out[n, c, i, j] = x[n, c, idx / W, idx % W]. An index outside [0, H·W) reads 0, as if the
 * plane were zero beyond its end: evaluation stays total, and gather stays the exact adjoint of
 * scatter_add_spatial, which drops such indices.
 */
const gatherSpatial = defineOp<NoAttrs>({
  name: "gather_spatial",
  doc: "Reads each NCHW plane at int32 flat spatial indices h·W + w; an index outside [0, H·W) reads 0.",
  category: "layout",
  kind: "primitive",
  operands: ["input", "indices"],
  validateAttrs: noAttrs,
  inferShape: ([x, indices], _attrs, ctx) => {
    const input = rank4(x!, "input", "NCHW", ctx);
    const [ni, ci, oh, ow] = rank4(indices!, "indices", "NCHW", ctx);
    checkSamePlanes(input, [ni, ci], ["input", "indices"], ctx);
    return [ni, ci, oh, ow];
  },
  inferDtype: (inputs, _attrs, ctx) => floatAndIndices(inputs, "input", ctx),
  evaluate: ([x, indices]) => {
    const [, , h, w] = x!.shape as [number, number, number, number];
    const [n, c, oh, ow] = indices!.shape as [number, number, number, number];
    const plane = h * w;
    const perPlane = oh * ow;
    const out = new Float64Array(n * c * perPlane);
    for (let k = 0; k < out.length; k++) {
      const index = indices!.data[k]!;
      const base = Math.floor(k / perPlane) * plane;
      out[k] = index >= 0 && index < plane ? x!.data[base + index]! : 0;
    }
    return refTensor([n, c, oh, ow], out);
  },
  linearity: { kind: "joint", operands: [0] },
  // The indices are integers: no tangent of theirs is asked for (they may come from an argmax).
  jvp: ({ g, primals, tangent }) => {
    const t = tangent(0);
    return t && g.gatherSpatial(t, primals[1]!);
  },
  transpose: (args) => {
    const [, , h, w] = args.types[0]!.shape;
    return [args.g.scatterAddSpatial(args.ct, residual(args, 1), { inputShape: [h!, w!] }), null];
  },
});

/**
 * Adds values [N, C, oh, ow] into zero planes of `inputShape` at int32 flat spatial indices of
 * the same shape; repeated indices accumulate, indices outside [0, H·W) are dropped. The adjoint
 * of gather_spatial: ⟨gather(x, i), y⟩ = ⟨x, scatter_add(y, i)⟩.
 */
const scatterAddSpatial = defineOp<{ readonly inputShape: Pair }>({
  name: "scatter_add_spatial",
  doc: "Adds NCHW values into zero planes of inputShape at int32 flat spatial indices; out-of-range indices are dropped.",
  category: "layout",
  kind: "primitive",
  operands: ["values", "indices"],
  validateAttrs: (raw, ctx) => {
    checkKeys(raw, ["inputShape"], ctx);
    return { inputShape: attrPair(raw, "inputShape", ctx, 0) };
  },
  inferShape: ([values, indices], { inputShape }, ctx) => {
    const [n, c] = rank4(values!, "values", "NCHW", ctx);
    if (!shapesEqual(indices!.shape, values!.shape)) {
      ctx.fail(
        "NNC2008",
        `indices must have the shape of values ${formatShape(values!.shape)}, got ${formatShape(indices!.shape)}`,
      );
    }
    return [n, c, ...inputShape];
  },
  inferDtype: (inputs, _attrs, ctx) => floatAndIndices(inputs, "values", ctx),
  evaluate: ([values, indices], { inputShape: [h, w] }) => {
    const [n, c, oh, ow] = values!.shape as [number, number, number, number];
    const plane = h * w;
    const perPlane = oh * ow;
    const out = new Float64Array(n * c * plane);
    for (let k = 0; k < values!.data.length; k++) {
      const index = indices!.data[k]!;
      if (index < 0 || index >= plane) continue;
      out[Math.floor(k / perPlane) * plane + index]! += values!.data[k]!;
    }
    return refTensor([n, c, h, w], out);
  },
  linearity: { kind: "joint", operands: [0] },
  jvp: ({ g, primals, tangent, attrs }) => {
    const t = tangent(0);
    return t && g.scatterAddSpatial(t, primals[1]!, attrs);
  },
  transpose: (args) => [args.g.gatherSpatial(args.ct, residual(args, 1)), null],
});

/** The records of the autodiff primitives. */
export const gradientOps: OpFamily<GradientOp> = {
  stop_gradient: stopGradient,
  conv2d_backward_kernel: conv2dBackwardKernel,
  avg_pool2d_backward: avgPool2dBackward,
  max_pool2d_argmax: maxPool2dArgmax,
  gather_spatial: gatherSpatial,
  scatter_add_spatial: scatterAddSpatial,
};

import type {
  GlslEmitter,
  GlslEmitterSplit,
  GlslEmitterVec4,
  PrimitiveOp,
} from "./emit-context.js";
import {
  emitConv2d,
  emitConv2dBackwardKernel,
  emitConv2dSplit,
  emitConv2dTranspose,
  rowAligned,
} from "./ops/conv.js";
import {
  emitConv2dBackwardKernelSplit,
  emitConv2dBackwardKernelVec4,
  emitConv2dTransposeSplit,
  emitConv2dTransposeVec4,
} from "./ops/conv-grad-vec4.js";
import { emitConv2dAnyVec4, emitConv2dSharedSplit } from "./ops/conv-shared-vec4.js";
import { emitConv2dTransposeRowsSplit } from "./ops/conv-transpose-rows.js";
import { emitElementwise } from "./ops/elementwise.js";
import {
  emitBroadcastTo,
  emitConcat,
  emitOneHot,
  emitPad,
  emitReshape,
  emitSlice,
  emitTranspose,
} from "./ops/layout.js";
import { emitMatmul, emitMatmulSplit, emitMatmulVec4 } from "./ops/matmul.js";
import { emitDropout } from "./ops/misc.js";
import {
  emitAvgPool2d,
  emitAvgPool2dBackward,
  emitGatherSpatial,
  emitMaxPool2d,
  emitMaxPool2dArgmax,
  emitScatterAddSpatial,
} from "./ops/pool.js";
import { emitArgmax, emitMax, emitMin, emitSum } from "./ops/reduce.js";

/**
 * The WebGL backend's emitter for every primitive op: a mapped type over {@link PrimitiveOp},
 * so a primitive added to core without a shader here does not compile.
 */
export const KERNEL_TABLE: { readonly [P in PrimitiveOp]: GlslEmitter } = {
  neg: emitElementwise,
  abs: emitElementwise,
  sign: emitElementwise,
  exp: emitElementwise,
  log: emitElementwise,
  sqrt: emitElementwise,
  rsqrt: emitElementwise,
  square: emitElementwise,
  reciprocal: emitElementwise,
  sin: emitElementwise,
  erf: emitElementwise,
  cos: emitElementwise,
  tanh: emitElementwise,
  sigmoid: emitElementwise,
  relu: emitElementwise,
  leaky_relu: emitElementwise,
  elu: emitElementwise,
  softplus: emitElementwise,
  add: emitElementwise,
  sub: emitElementwise,
  mul: emitElementwise,
  div: emitElementwise,
  pow: emitElementwise,
  maximum: emitElementwise,
  minimum: emitElementwise,
  eq: emitElementwise,
  ne: emitElementwise,
  lt: emitElementwise,
  le: emitElementwise,
  gt: emitElementwise,
  ge: emitElementwise,
  select: emitElementwise,
  cast: emitElementwise,
  stop_gradient: emitElementwise,

  sum: emitSum,
  max: emitMax,
  min: emitMin,
  argmax: emitArgmax,

  reshape: emitReshape,
  transpose: emitTranspose,
  broadcast_to: emitBroadcastTo,
  slice: emitSlice,
  pad: emitPad,
  concat: emitConcat,
  one_hot: emitOneHot,

  matmul: emitMatmul,
  conv2d: emitConv2d,
  conv2d_transpose: emitConv2dTranspose,
  conv2d_backward_kernel: emitConv2dBackwardKernel,
  max_pool2d: emitMaxPool2d,
  avg_pool2d: emitAvgPool2d,
  avg_pool2d_backward: emitAvgPool2dBackward,
  max_pool2d_argmax: emitMaxPool2dArgmax,
  gather_spatial: emitGatherSpatial,
  scatter_add_spatial: emitScatterAddSpatial,

  dropout: emitDropout,
};

/**
 * The multi-target paths (several texels per fragment, see {@link GlslEmitterSplit}), tried
 * first; they need float32 and shapes whose texels split evenly into lanes.
 */
export const SPLIT_TABLE: { readonly [P in PrimitiveOp]?: GlslEmitterSplit } = {
  matmul: emitMatmulSplit,
  // The shared-loop split only where the row-aligned 4-wide path does not apply: that path's
  // static texel reads beat the shared loop's per-pixel fetches even with lanes (LeNet's conv1,
  // 1 channel, 28 wide: 15 ms 4-wide, 37 ms with 3 lanes of the shared loop).
  conv2d: (ctx, node) =>
    emitConv2dSplit(ctx, node) ??
    (rowAligned(ctx, node) ? undefined : emitConv2dSharedSplit(ctx, node)),
  conv2d_transpose: (ctx, node) =>
    emitConv2dTransposeRowsSplit(ctx, node) ?? emitConv2dTransposeSplit(ctx, node),
  conv2d_backward_kernel: emitConv2dBackwardKernelSplit,
};

/**
 * The 4-wide paths (`vec4 n<id>_4(int base)`) the shader builder uses when a kernel's shapes
 * allow them and no multi-target path does; every other op computes its fragment's 4 elements
 * one at a time.
 */
export const VEC4_TABLE: { readonly [P in PrimitiveOp]?: GlslEmitterVec4 } = {
  matmul: emitMatmulVec4,
  conv2d: emitConv2dAnyVec4,
  conv2d_backward_kernel: emitConv2dBackwardKernelVec4,
  conv2d_transpose: emitConv2dTransposeVec4,
};

import type { DType } from "./dtype.js";

/**
 * Canonical (validated, normalised) attributes of every op, keyed by op name. Builder methods turn
 * friendly options (`padding: "same"`, `stride: 2`) into these; JSON files store exactly these.
 * Adding a key here without a record in the registry is a type error, and vice versa.
 */
export interface OpAttrMap {
  // unary elementwise
  neg: NoAttrs;
  abs: NoAttrs;
  sign: NoAttrs;
  exp: NoAttrs;
  log: NoAttrs;
  sqrt: NoAttrs;
  rsqrt: NoAttrs;
  square: NoAttrs;
  reciprocal: NoAttrs;
  sin: NoAttrs;
  erf: NoAttrs;
  cos: NoAttrs;
  tanh: NoAttrs;
  sigmoid: NoAttrs;
  relu: NoAttrs;
  leaky_relu: { readonly alpha: number };
  elu: { readonly alpha: number };
  softplus: NoAttrs;
  swish: { readonly beta: number };
  gelu: { readonly approximate: "none" | "tanh" };
  // binary elementwise, NumPy broadcasting
  add: NoAttrs;
  sub: NoAttrs;
  mul: NoAttrs;
  div: NoAttrs;
  pow: NoAttrs;
  maximum: NoAttrs;
  minimum: NoAttrs;
  eq: NoAttrs;
  ne: NoAttrs;
  lt: NoAttrs;
  le: NoAttrs;
  gt: NoAttrs;
  ge: NoAttrs;
  select: NoAttrs;
  cast: { readonly to: DType };
  // reductions
  sum: ReduceAttrs;
  mean: ReduceAttrs;
  max: ReduceAttrs;
  min: ReduceAttrs;
  argmax: { readonly axis: number; readonly keepDims: boolean };
  log_sum_exp: ReduceAttrs;
  // layout
  reshape: { readonly shape: readonly number[] };
  transpose: { readonly perm: readonly number[] };
  broadcast_to: { readonly shape: readonly number[] };
  slice: SliceAttrs;
  pad: PadAttrs;
  concat: { readonly axis: number };
  flatten: { readonly axis: number };
  squeeze: { readonly axes: readonly number[] };
  expand_dims: { readonly axes: readonly number[] };
  one_hot: { readonly depth: number; readonly onValue: number; readonly offValue: number };
  // linear algebra
  matmul: NoAttrs;
  dense: NoAttrs;
  // convolution and pooling, NCHW activations, OIHW kernels
  conv2d: Conv2dAttrs;
  conv2d_transpose: Conv2dTransposeAttrs;
  max_pool2d: Pool2dAttrs;
  avg_pool2d: AvgPool2dAttrs;
  // network building blocks
  batch_norm: { readonly epsilon: number; readonly training: boolean };
  softmax: { readonly axis: number };
  log_softmax: { readonly axis: number };
  dropout: { readonly rate: number; readonly seed: number };
  // losses (reduced over the batch unless reduction is "none")
  mse: LossAttrs;
  softmax_cross_entropy: LossAttrs;
  binary_cross_entropy: LossAttrs;
  // autodiff primitives: what linearize and transpose emit (see ops/gradient.ts)
  stop_gradient: NoAttrs;
  conv2d_backward_kernel: Conv2dBackwardKernelAttrs;
  avg_pool2d_backward: AvgPool2dBackwardAttrs;
  max_pool2d_argmax: Pool2dAttrs;
  gather_spatial: NoAttrs;
  scatter_add_spatial: { readonly inputShape: Pair };
}

/** The name of an op with a record in the registry. */
export type OpName = keyof OpAttrMap;

/**
 * The composite ops: defined by a decomposition into other ops, expanded by the compiler before
 * a backend sees a program (a registry test keeps this list equal to the records' `kind`).
 */
export type CompositeOpName =
  | "swish"
  | "gelu"
  | "mean"
  | "log_sum_exp"
  | "flatten"
  | "squeeze"
  | "expand_dims"
  | "dense"
  | "batch_norm"
  | "softmax"
  | "log_softmax"
  | "mse"
  | "softmax_cross_entropy"
  | "binary_cross_entropy";

/**
 * The primitive ops: what a backend implements. A mapped type over it (`{ [P in
 * PrimitiveOpName]: Kernel }`) makes a backend stop compiling when core gains a primitive.
 */
export type PrimitiveOpName = Exclude<OpName, CompositeOpName>;

/** Attributes of an op that takes none. */
export type NoAttrs = Readonly<Record<string, never>>;

/** A `[first, second]` pair of integers, e.g. `[height, width]` or `[before, after]`. */
export type Pair = readonly [number, number];

/** Explicit 2-D padding: `[[top, bottom], [left, right]]`. */
export type Padding2d = readonly [Pair, Pair];

/** Reductions: the (normalised, sorted, unique) axes reduced, and whether they are kept as size 1. */
export interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepDims: boolean;
}

/** A strided slice with one normalised entry per axis: `start` inclusive, `end` exclusive, `step` ≥ 1. */
export interface SliceAttrs {
  readonly start: readonly number[];
  readonly end: readonly number[];
  readonly step: readonly number[];
}

/**
 * Constant padding: `[before, after]` elements per axis, and, when `interior` is present, that
 * many elements between neighbours along each axis (as lax.pad; the transpose of a strided
 * slice). `interior` is stored only when some entry is non-zero.
 */
export interface PadAttrs {
  readonly pads: readonly Pair[];
  readonly value: number;
  readonly interior?: readonly number[];
}

/** conv2d over NCHW input with an OIHW kernel (I = C / groups). */
export interface Conv2dAttrs {
  readonly strides: Pair;
  readonly padding: Padding2d;
  readonly dilations: Pair;
  readonly groups: number;
}

/**
 * The transpose (gradient w.r.t. input) of conv2d, used as an upsampling layer. Kernel layout
 * is IOHW: `[C_in, C_out / groups, kh, kw]`, as in PyTorch's ConvTranspose2d.
 */
export interface Conv2dTransposeAttrs extends Conv2dAttrs {
  readonly outputPadding: Pair;
}

/** Pooling windows over the two spatial axes of NCHW input. */
export interface Pool2dAttrs {
  readonly kernel: Pair;
  readonly strides: Pair;
  readonly padding: Padding2d;
}

/** Average pooling; `countIncludePad` divides by the full window instead of its valid part. */
export interface AvgPool2dAttrs extends Pool2dAttrs {
  readonly countIncludePad: boolean;
}

/** The gradient of conv2d w.r.t. its kernel: conv2d's attributes plus the kernel's `[kh, kw]`. */
export interface Conv2dBackwardKernelAttrs extends Conv2dAttrs {
  readonly kernel: Pair;
}

/** The adjoint of avg_pool2d: its attributes plus the pooled input's spatial `[H, W]`. */
export interface AvgPool2dBackwardAttrs extends AvgPool2dAttrs {
  readonly inputShape: Pair;
}

/** How a loss reduces its per-example values. */
export interface LossAttrs {
  readonly reduction: "mean" | "sum" | "none";
}

import {
  dilatedWindow,
  type PaddingOption,
  resolvePadding,
  type Spatial,
  toPair,
} from "./conv-options.js";
import type { DType } from "./dtype.js";
import { NncError } from "./errors.js";
import { GraphBuilderBase, type Operand } from "./graph-builder-base.js";
import { Layers } from "./layers.js";
import type { AvgPool2dBackwardAttrs, Conv2dBackwardKernelAttrs, Pair } from "./op-attrs.js";
import { type Shape, tryNormalizeAxis } from "./shape.js";
import { captureSourceLocation } from "./source-location.js";
import type { Value } from "./value.js";

/** Options of reductions. */
export interface ReduceOptions {
  /** Keep reduced axes as size 1. Default false. */
  readonly keepDims?: boolean;
}

/** Options of `conv2d`. */
export interface Conv2dOptions {
  readonly stride?: Spatial;
  readonly padding?: PaddingOption;
  readonly dilation?: Spatial;
  readonly groups?: number;
}

/** Options of `conv2dTranspose`. `padding: "same"` gives an output of input · stride. */
export interface Conv2dTransposeOptions extends Conv2dOptions {
  readonly outputPadding?: Spatial;
}

/** Options of the pooling ops; `stride` defaults to the kernel size. */
export interface Pool2dOptions {
  readonly kernel: Spatial;
  readonly stride?: Spatial;
  readonly padding?: PaddingOption;
}

/** Options of `avgPool2d`. */
export interface AvgPool2dOptions extends Pool2dOptions {
  /** Divide by the whole window, padding included (default false: by its valid part). */
  readonly countIncludePad?: boolean;
}

/** Options of `batchNorm`: batch statistics in training, given statistics in inference. */
export type BatchNormOptions =
  | { readonly training: true; readonly epsilon?: number }
  | {
      readonly training?: false;
      readonly mean: Value;
      readonly variance: Value;
      readonly epsilon?: number;
    };

/** How a loss reduces over the batch. */
export interface LossOptions {
  readonly reduction?: "mean" | "sum" | "none";
}

/**
 * Builds a graph in code that reads like a model. Every op is a method (`g.matmul`, `g.conv2d`,
 * `g.softmaxCrossEntropy`); numbers are accepted wherever a value is (`g.mul(x, 2)`); layer
 * helpers with named parameters live under `g.layers`. Shape and dtype errors are thrown by the
 * call that builds the bad node, pointing at the caller's line.
 *
 * ```ts
 * const g = new GraphBuilder("mlp");
 * const x = g.input("x", [64, 784]);
 * const h = g.layers.dense(x, 256, { name: "fc1", activation: "relu" });
 * g.output("logits", g.layers.dense(h, 10, { name: "fc2" }));
 * const graph = g.build();
 * ```
 */
export class GraphBuilder extends GraphBuilderBase {
  /** Layer helpers (`dense`, `conv2d`, `batchNorm`, `maxPool2d`, ...) with named parameters. */
  readonly layers: Layers = new Layers(this);

  // ---- unary elementwise -------------------------------------------------------------------
  /** −x */
  neg(x: Value): Value {
    return this.apply("neg", [x]);
  }
  /** |x| */
  abs(x: Value): Value {
    return this.apply("abs", [x]);
  }
  /** −1, 0 or 1. */
  sign(x: Value): Value {
    return this.apply("sign", [x]);
  }
  /** eˣ */
  exp(x: Value): Value {
    return this.apply("exp", [x]);
  }
  /** Natural logarithm. */
  log(x: Value): Value {
    return this.apply("log", [x]);
  }
  /** √x */
  sqrt(x: Value): Value {
    return this.apply("sqrt", [x]);
  }
  /** 1/√x */
  rsqrt(x: Value): Value {
    return this.apply("rsqrt", [x]);
  }
  /** x² */
  square(x: Value): Value {
    return this.apply("square", [x]);
  }
  /** 1/x */
  reciprocal(x: Value): Value {
    return this.apply("reciprocal", [x]);
  }
  /** sin x */
  sin(x: Value): Value {
    return this.apply("sin", [x]);
  }
  /** The error function erf(x). */
  erf(x: Value): Value {
    return this.apply("erf", [x]);
  }
  /** cos x */
  cos(x: Value): Value {
    return this.apply("cos", [x]);
  }
  /** tanh x */
  tanh(x: Value): Value {
    return this.apply("tanh", [x]);
  }
  /** 1 / (1 + e⁻ˣ) */
  sigmoid(x: Value): Value {
    return this.apply("sigmoid", [x]);
  }
  /** max(x, 0); its derivative at exactly 0 is 0 (as in PyTorch and JAX). */
  relu(x: Value): Value {
    return this.apply("relu", [x]);
  }
  /** x for x > 0, αx otherwise (α default 0.01). */
  leakyRelu(x: Value, alpha = 0.01): Value {
    return this.apply("leaky_relu", [x], { alpha });
  }
  /** x for x > 0, α(eˣ − 1) otherwise (α default 1). */
  elu(x: Value, alpha = 1): Value {
    return this.apply("elu", [x], { alpha });
  }
  /** log(1 + eˣ), computed stably. */
  softplus(x: Value): Value {
    return this.apply("softplus", [x]);
  }
  /** x · σ(βx) (β default 1; SiLU). */
  swish(x: Value, beta = 1): Value {
    return this.apply("swish", [x], { beta });
  }
  /** GELU: exact (erf) by default, or the tanh approximation. */
  gelu(x: Value, options: { readonly approximate?: "none" | "tanh" } = {}): Value {
    return this.apply("gelu", [x], { approximate: options.approximate ?? "none" });
  }

  // ---- binary elementwise (NumPy broadcasting) ------------------------------------------------
  /** a + b */
  add(a: Operand, b: Operand): Value {
    return this.apply("add", [a, b]);
  }
  /** a − b */
  sub(a: Operand, b: Operand): Value {
    return this.apply("sub", [a, b]);
  }
  /** a · b */
  mul(a: Operand, b: Operand): Value {
    return this.apply("mul", [a, b]);
  }
  /** a / b (integer division truncates toward zero for int32). */
  div(a: Operand, b: Operand): Value {
    return this.apply("div", [a, b]);
  }
  /** aᵇ */
  pow(a: Operand, b: Operand): Value {
    return this.apply("pow", [a, b]);
  }
  /** Elementwise maximum. */
  maximum(a: Operand, b: Operand): Value {
    return this.apply("maximum", [a, b]);
  }
  /** Elementwise minimum. */
  minimum(a: Operand, b: Operand): Value {
    return this.apply("minimum", [a, b]);
  }
  /** a == b (bool). */
  eq(a: Operand, b: Operand): Value {
    return this.apply("eq", [a, b]);
  }
  /** a != b (bool). */
  ne(a: Operand, b: Operand): Value {
    return this.apply("ne", [a, b]);
  }
  /** a < b (bool). */
  lt(a: Operand, b: Operand): Value {
    return this.apply("lt", [a, b]);
  }
  /** a ≤ b (bool). */
  le(a: Operand, b: Operand): Value {
    return this.apply("le", [a, b]);
  }
  /** a > b (bool). */
  gt(a: Operand, b: Operand): Value {
    return this.apply("gt", [a, b]);
  }
  /** a ≥ b (bool). */
  ge(a: Operand, b: Operand): Value {
    return this.apply("ge", [a, b]);
  }
  /** `cond ? a : b` elementwise, with broadcasting of all three. */
  select(cond: Value, a: Operand, b: Operand): Value {
    return this.apply("select", [cond, a, b]);
  }
  /** Converts to another dtype (float → int truncates toward zero; nonzero → true). */
  cast(x: Value, to: DType): Value {
    return this.apply("cast", [x], { to });
  }

  // ---- reductions ---------------------------------------------------------------------------
  /** Sum over `axes` (all when omitted). */
  sum(x: Value, axes?: number | readonly number[], options: ReduceOptions = {}): Value {
    return this.apply("sum", [x], reduceAttrs(x, axes, options));
  }
  /** Mean over `axes` (all when omitted). */
  mean(x: Value, axes?: number | readonly number[], options: ReduceOptions = {}): Value {
    return this.apply("mean", [x], reduceAttrs(x, axes, options));
  }
  /** Maximum over `axes` (all when omitted). */
  max(x: Value, axes?: number | readonly number[], options: ReduceOptions = {}): Value {
    return this.apply("max", [x], reduceAttrs(x, axes, options));
  }
  /** Minimum over `axes` (all when omitted). */
  min(x: Value, axes?: number | readonly number[], options: ReduceOptions = {}): Value {
    return this.apply("min", [x], reduceAttrs(x, axes, options));
  }
  /** Index (int32) of the first maximum along `axis` (default the last). */
  argmax(x: Value, axis = -1, options: ReduceOptions = {}): Value {
    return this.apply("argmax", [x], { axis, keepDims: options.keepDims ?? false });
  }
  /** log Σ eˣ over `axes`, computed stably (the maximum is subtracted first). */
  logSumExp(x: Value, axes?: number | readonly number[], options: ReduceOptions = {}): Value {
    return this.apply("log_sum_exp", [x], reduceAttrs(x, axes, options));
  }

  // ---- layout -------------------------------------------------------------------------------
  /** Same elements, new shape; one extent may be −1 (inferred). */
  reshape(x: Value, shape: Shape): Value {
    return this.apply("reshape", [x], { shape: [...shape] });
  }
  /** Permutes axes (reverses them when `perm` is omitted). */
  transpose(x: Value, perm?: readonly number[]): Value {
    return this.apply("transpose", [x], {
      perm: perm ? [...perm] : x.shape.map((_, i) => x.rank - 1 - i),
    });
  }
  /** Broadcasts to `shape` by NumPy rules. */
  broadcastTo(x: Value, shape: Shape): Value {
    return this.apply("broadcast_to", [x], { shape: [...shape] });
  }
  /**
   * Strided slice, NumPy style: per leading axis a start (inclusive), end (exclusive) and step
   * ≥ 1; negative indices count from the end; missing entries take the whole axis.
   */
  slice(
    x: Value,
    start: readonly number[],
    end?: readonly number[],
    step?: readonly number[],
  ): Value {
    return this.apply("slice", [x], {
      start: x.shape.map((_, i) => start[i] ?? 0),
      end: x.shape.map((d, i) => end?.[i] ?? d),
      step: x.shape.map((_, i) => step?.[i] ?? 1),
    });
  }
  /**
   * Pads with a constant: one `[before, after]` pair per axis, or one number for every side.
   * `interior` (one number per axis, or one for all) inserts that many elements between
   * neighbours, as lax.pad: an axis of extent d grows to before + after + d + (d − 1)·interior.
   */
  pad(
    x: Value,
    pads: number | readonly (readonly [number, number])[],
    value = 0,
    options: { readonly interior?: number | readonly number[] } = {},
  ): Value {
    const pairs = typeof pads === "number" ? x.shape.map(() => [pads, pads] as const) : pads;
    const { interior } = options;
    return this.apply("pad", [x], {
      pads: pairs.map((p) => [...p]),
      value,
      ...(interior !== undefined && {
        interior: typeof interior === "number" ? x.shape.map(() => interior) : [...interior],
      }),
    });
  }
  /** Joins values along `axis`. */
  concat(values: readonly Value[], axis = 0): Value {
    return this.apply("concat", values, { axis });
  }
  /**
   * Splits along `axis` into `sections` equal parts, or into parts of the given sizes; each part
   * is a `slice` node, so its transpose is a `pad` and concat's transpose is a split.
   */
  split(x: Value, sections: number | readonly number[], axis = 0): Value[] {
    const sizes = this.#splitSizes(x, sections, axis);
    const a = axis < 0 ? axis + x.rank : axis;
    let offset = 0;
    return sizes.map((size) => {
      const start = x.shape.map((_, i) => (i === a ? offset : 0));
      const end = x.shape.map((d, i) => (i === a ? offset + size : d));
      offset += size;
      return this.apply("slice", [x], { start, end, step: x.shape.map(() => 1) }, "split");
    });
  }
  #splitSizes(x: Value, sections: number | readonly number[], axis: number): number[] {
    const fail = (message: string): never => {
      const location = captureSourceLocation();
      throw new NncError("NNC1002", message, { op: "split", ...(location && { location }) });
    };
    const a = tryNormalizeAxis(axis, x.rank);
    if (a === undefined) {
      throw new NncError("NNC2004", `axis ${axis} is out of range for rank ${x.rank}`, {
        op: "split",
      });
    }
    const extent = x.shape[a]!;
    if (typeof sections === "number") {
      if (!Number.isSafeInteger(sections) || sections < 1)
        fail(`sections must be a positive integer, got ${sections}`);
      if (extent % sections !== 0) {
        fail(
          `axis ${a} of extent ${extent} does not split into ${sections} equal sections; give sizes instead`,
        );
      }
      return new Array<number>(sections).fill(extent / sections);
    }
    const sizes = [...sections];
    if (sizes.length === 0 || !sizes.every((s) => Number.isSafeInteger(s) && s >= 0)) {
      fail(`sizes must be non-negative integers, got [${sizes.join(", ")}]`);
    }
    const total = sizes.reduce((sum, s) => sum + s, 0);
    if (total !== extent)
      fail(`sizes [${sizes.join(", ")}] add up to ${total}, but axis ${a} has extent ${extent}`);
    return sizes;
  }

  /** Collapses axes before `axis` into one and axes from `axis` on into another (default 1). */
  flatten(x: Value, axis = 1): Value {
    return this.apply("flatten", [x], { axis });
  }
  /** Removes size-1 axes (all of them when `axes` is omitted). */
  squeeze(x: Value, axes?: number | readonly number[]): Value {
    const list =
      axes === undefined
        ? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))
        : typeof axes === "number"
          ? [axes]
          : [...axes];
    return this.apply("squeeze", [x], { axes: list });
  }
  /** Inserts size-1 axes at the given positions of the output. */
  expandDims(x: Value, axes: number | readonly number[]): Value {
    return this.apply("expand_dims", [x], { axes: typeof axes === "number" ? [axes] : [...axes] });
  }
  /** One-hot encodes int32 indices into a new last axis of size `depth` (float32). */
  oneHot(
    indices: Value,
    depth: number,
    options: { readonly onValue?: number; readonly offValue?: number } = {},
  ): Value {
    return this.apply("one_hot", [indices], {
      depth,
      onValue: options.onValue ?? 1,
      offValue: options.offValue ?? 0,
    });
  }

  // ---- linear algebra -----------------------------------------------------------------------
  /** Matrix product over the last two axes; leading (batch) axes broadcast. */
  matmul(a: Value, b: Value): Value {
    return this.apply("matmul", [a, b]);
  }
  /** `x · w (+ b)` for x `[batch, in]`, w `[in, out]`, b `[out]` (a composite of matmul and add). */
  dense(x: Value, w: Value, b?: Value): Value {
    return this.apply("dense", b ? [x, w, b] : [x, w]);
  }

  // ---- convolution and pooling (NCHW) -------------------------------------------------------
  /** 2-D cross-correlation of NCHW input with an OIHW kernel (I = C / groups). */
  conv2d(x: Value, w: Value, options: Conv2dOptions = {}): Value {
    const strides = toPair(options.stride, 1);
    const dilations = toPair(options.dilation, 1);
    const kernel: Pair = [w.shape[2] ?? 1, w.shape[3] ?? 1];
    const padding = resolvePadding(
      options.padding,
      x.shape,
      dilatedWindow(kernel, dilations),
      strides,
    );
    return this.apply("conv2d", [x, w], {
      strides,
      padding,
      dilations,
      groups: options.groups ?? 1,
    });
  }
  /**
   * The transpose of conv2d (a "deconvolution"): NCHW input, IOHW kernel `[C_in, C_out/groups,
   * kh, kw]`. Output extent: (in − 1)·s − pads + (k − 1)·d + 1 + outputPadding.
   */
  conv2dTranspose(x: Value, w: Value, options: Conv2dTransposeOptions = {}): Value {
    const strides = toPair(options.stride, 1);
    const dilations = toPair(options.dilation, 1);
    const window = dilatedWindow([w.shape[2] ?? 1, w.shape[3] ?? 1], dilations);
    const padding =
      options.padding === "same"
        ? ([0, 1].map((i) => {
            // out = in · s  ⇔  pads = window − s (split with the extra at the end).
            const total = Math.max(window[i]! - strides[i]!, 0);
            return [Math.floor(total / 2), total - Math.floor(total / 2)];
          }) as unknown as Conv2dOptions["padding"])
        : options.padding;
    return this.apply("conv2d_transpose", [x, w], {
      strides,
      padding: resolvePadding(padding, x.shape, window, strides),
      dilations,
      groups: options.groups ?? 1,
      outputPadding: toPair(options.outputPadding, 0),
    });
  }
  /** Max over kernel windows; padded positions never win. */
  maxPool2d(x: Value, options: Pool2dOptions): Value {
    return this.apply("max_pool2d", [x], poolAttrs(x, options));
  }
  /** Mean over kernel windows. */
  avgPool2d(x: Value, options: AvgPool2dOptions): Value {
    return this.apply("avg_pool2d", [x], {
      ...poolAttrs(x, options),
      countIncludePad: options.countIncludePad ?? false,
    });
  }

  // ---- network building blocks --------------------------------------------------------------
  /**
   * Batch normalisation over axis 1 (channels): with batch statistics when training, with the
   * given `mean` and `variance` otherwise. `scale` (γ) and `offset` (β) have shape `[C]`.
   */
  batchNorm(x: Value, scale: Value, offset: Value, options: BatchNormOptions): Value {
    const epsilon = options.epsilon ?? 1e-5;
    if (options.training) {
      return this.apply("batch_norm", [x, scale, offset], { epsilon, training: true });
    }
    return this.apply("batch_norm", [x, scale, offset, options.mean, options.variance], {
      epsilon,
      training: false,
    });
  }
  /** Softmax along `axis` (default the last). */
  softmax(x: Value, axis = -1): Value {
    return this.apply("softmax", [x], { axis });
  }
  /** log softmax along `axis` (default the last), computed stably. */
  logSoftmax(x: Value, axis = -1): Value {
    return this.apply("log_softmax", [x], { axis });
  }
  /**
   * Zeroes each element with probability `rate` and scales the rest by 1/(1 − rate). The mask is
   * a function of `seed` (default 0) and, when given, of `salt`, a float32 scalar read as an
   * integer (a step counter): a new salt draws a new mask.
   */
  dropout(
    x: Value,
    options: { readonly rate: number; readonly seed?: number; readonly salt?: Value },
  ): Value {
    const operands = options.salt === undefined ? [x] : [x, options.salt];
    return this.apply("dropout", operands, { rate: options.rate, seed: options.seed ?? 0 });
  }

  // ---- losses -------------------------------------------------------------------------------
  /** Mean squared error; per example it averages over all non-batch axes. */
  mse(prediction: Value, target: Value, options: LossOptions = {}): Value {
    return this.apply("mse", [prediction, target], { reduction: options.reduction ?? "mean" });
  }
  /**
   * Softmax cross-entropy from logits `[N, C]` with int32 class labels `[N]` or float
   * probabilities `[N, C]`; stable for any logits (log-sum-exp).
   */
  softmaxCrossEntropy(logits: Value, labels: Value, options: LossOptions = {}): Value {
    return this.apply("softmax_cross_entropy", [logits, labels], {
      reduction: options.reduction ?? "mean",
    });
  }
  /** Binary cross-entropy from logits with float targets in [0, 1]; stable for any logits. */
  binaryCrossEntropy(logits: Value, targets: Value, options: LossOptions = {}): Value {
    return this.apply("binary_cross_entropy", [logits, targets], {
      reduction: options.reduction ?? "mean",
    });
  }

  // ---- autodiff primitives (what gradients are built from; canonical attributes) -------------
  /**
   * The identity, with a zero derivative: differentiation treats `x` as a constant (JAX's
   * `stop_gradient`), e.g. for a maximum subtracted only for numerical stability.
   */
  stopGradient(x: Value): Value {
    return this.apply("stop_gradient", [x]);
  }
  /**
   * The gradient of `conv2d(x, w)` w.r.t. the OIHW kernel `w` (of spatial size `attrs.kernel`),
   * given the cotangent `ct` of conv2d's output: `[O, C / groups, kh, kw]`. `ct` must have exactly
   * conv2d's output shape for `x` and the kernel. Takes conv2d's canonical attributes.
   */
  conv2dBackwardKernel(x: Value, ct: Value, attrs: Conv2dBackwardKernelAttrs): Value {
    return this.apply("conv2d_backward_kernel", [x, ct], attrs);
  }
  /**
   * The adjoint of avg_pool2d: each element of `ct` divided by its window's count and added to
   * the window's input positions, giving `[N, C, ...attrs.inputShape]`. Canonical attributes.
   */
  avgPool2dBackward(ct: Value, attrs: AvgPool2dBackwardAttrs): Value {
    return this.apply("avg_pool2d_backward", [ct], attrs);
  }
  /**
   * The int32 flat index h·W + w, within its (n, c) plane, of the element `maxPool2d(x, options)`
   * picks in each window (the first on ties). Feed it to `gatherSpatial` to route values.
   */
  maxPool2dArgmax(x: Value, options: Pool2dOptions): Value {
    return this.apply("max_pool2d_argmax", [x], poolAttrs(x, options));
  }
  /**
   * `out[n, c, i, j] = x[n, c, idx / W, idx % W]` for int32 flat spatial `indices`
   * `[N, C, oh, ow]`; an index outside [0, H·W) reads 0.
   */
  gatherSpatial(x: Value, indices: Value): Value {
    return this.apply("gather_spatial", [x, indices]);
  }
  /**
   * Zero planes of `inputShape` `[H, W]` with each of `values` added at its int32 flat spatial
   * index (repeats accumulate, out-of-range indices are dropped): the adjoint of `gatherSpatial`.
   */
  scatterAddSpatial(values: Value, indices: Value, attrs: { readonly inputShape: Pair }): Value {
    return this.apply("scatter_add_spatial", [values, indices], attrs);
  }
}

function reduceAttrs(
  x: Value,
  axes: number | readonly number[] | undefined,
  options: ReduceOptions,
): { axes: number[]; keepDims: boolean } {
  const list =
    axes === undefined ? x.shape.map((_, i) => i) : typeof axes === "number" ? [axes] : [...axes];
  return { axes: list, keepDims: options.keepDims ?? false };
}

function poolAttrs(x: Value, options: Pool2dOptions) {
  const kernel = toPair(options.kernel, 1);
  const strides = options.stride === undefined ? kernel : toPair(options.stride, 1);
  return { kernel, strides, padding: resolvePadding(options.padding, x.shape, kernel, strides) };
}

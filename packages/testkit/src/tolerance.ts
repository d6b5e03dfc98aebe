import {
  isOpName,
  NncError,
  type OpAttrMap,
  type OpName,
  opDef,
  type RefTensor,
  sizeOf,
  type TensorType,
} from "@nnc/core";

/** An error bound `|got − want| ≤ atol + rtol·|want|` on each float32 element. */
export interface Tolerance {
  /** Relative part, scaled by the reference value's magnitude. */
  readonly rtol: number;
  /** Absolute part, for values near zero. */
  readonly atol: number;
}

/**
 * How closely a backend must match the float64 reference evaluator. Every field is optional;
 * the defaults are documented on {@link DEFAULT_TOLERANCES}. int32 and bool results are always
 * compared exactly.
 */
export interface ConformanceTolerances {
  /** Kernels whose float32 result is one rounding of the exact value (elementwise math). */
  readonly kernel?: Partial<Tolerance>;
  /**
   * Extra error allowed per summed term in accumulating kernels (matmul, conv, pooling sums,
   * scatter-add): the bound grows by `perTerm · K · Σ|terms|` for a K-term sum.
   */
  readonly perTerm?: number;
  /** Per-kernel replacements of `kernel`; also turns an exactly compared kernel into a toleranced one. */
  readonly kernels?: Partial<Record<OpName, Partial<Tolerance>>>;
  /**
   * Composite ops run through the compiler's decomposition, where rounding errors compound;
   * 16 float32 ulps of the largest input magnitude are allowed on top.
   */
  readonly composite?: Partial<Tolerance>;
  /** Whole models: outputs, losses per step, parameters after training steps. */
  readonly model?: Partial<Tolerance>;
  /**
   * Training: the parameters' change over the steps must match the reference's in norm,
   * `‖Δgot − Δwant‖ ≤ update·‖Δwant‖ + 2⁻²³·(4‖want‖ + √n)` (the last term: float32
   * resolution of the parameter's n elements), so a wrong gradient cannot hide behind a small
   * learning rate.
   */
  readonly update?: number;
}

/** Every tolerance with its default filled in. */
export interface ResolvedTolerances {
  readonly kernel: Tolerance;
  readonly perTerm: number;
  readonly kernels: Partial<Record<OpName, Tolerance>>;
  readonly composite: Tolerance;
  readonly model: Tolerance;
  readonly update: number;
}

/**
 * The defaults, for float32 backends:
 * - `kernel` rtol 1e-4, atol 1e-5: a correctly rounded float32 result is within 6e-8
 *   relative; the margin admits GPU transcendental functions (a few ulp, argument reduction of
 *   sin/cos) and catches half-precision arithmetic (1e-3).
 * - `perTerm` 2⁻²³ (float32 machine epsilon): a K-term sum accumulated in float32 in any order
 *   is within K·2⁻²⁴·Σ|terms| of the exact sum (Higham's γ_K bound), so this admits plain
 *   float32 accumulation with a factor 2 to spare, and anything more accurate.
 * - `composite` rtol 1e-4, atol 1e-5, plus 16 float32 ulps of the largest input magnitude s
 *   (16·2⁻²³·s): a chain of float32 ops carries absolute errors of a few ulps of s through
 *   cancellations (log-softmax of logits near ±1000 loses ulps of 1000).
 * - `model` rtol 1e-3, atol 1e-4: errors compound through layers and training steps, and a
 *   ReLU or max-pool whose input lies within rounding error of its switch point may route a
 *   gradient differently.
 * - `update` 1e-2: the parameter change must match to 1 % in norm.
 */
export const DEFAULT_TOLERANCES: ResolvedTolerances = Object.freeze({
  kernel: { rtol: 1e-4, atol: 1e-5 },
  perTerm: 2 ** -23,
  kernels: {},
  composite: { rtol: 1e-4, atol: 1e-5 },
  model: { rtol: 1e-3, atol: 1e-4 },
  update: 1e-2,
});

/** Fills in the defaults and rejects negative or non-finite numbers (NNC1002). */
export function resolveTolerances(options: ConformanceTolerances = {}): ResolvedTolerances {
  const merge = (what: string, base: Tolerance, over: Partial<Tolerance> | undefined) => {
    const t = { ...base, ...over };
    checkNumber(`${what}.rtol`, t.rtol);
    checkNumber(`${what}.atol`, t.atol);
    return t;
  };
  const kernel = merge("kernel", DEFAULT_TOLERANCES.kernel, options.kernel);
  const kernels: Partial<Record<OpName, Tolerance>> = {};
  for (const [op, over] of Object.entries(options.kernels ?? {})) {
    if (!isOpName(op)) {
      throw new NncError(
        "NNC1005",
        `describeBackendConformance: tolerance.kernels names "${op}", which is not an op`,
      );
    }
    kernels[op] = merge(`kernels.${op}`, kernel, over);
  }
  const perTerm = options.perTerm ?? DEFAULT_TOLERANCES.perTerm;
  const update = options.update ?? DEFAULT_TOLERANCES.update;
  checkNumber("perTerm", perTerm);
  checkNumber("update", update);
  return {
    kernel,
    perTerm,
    kernels,
    composite: merge("composite", DEFAULT_TOLERANCES.composite, options.composite),
    model: merge("model", DEFAULT_TOLERANCES.model, options.model),
    update,
  };
}

function checkNumber(what: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new NncError(
      "NNC1002",
      `describeBackendConformance: tolerance.${what} must be a finite number ≥ 0, got ${String(value)}`,
    );
  }
}

/**
 * How a primitive kernel's float32 result is checked:
 * - `exact`: it moves, selects or compares float32 values without arithmetic, so the result is
 *   exactly representable and must be bit-equal (±0 aside);
 * - `rounded`: one rounding of the exact value, within {@link ResolvedTolerances.kernel};
 * - `accumulated`: a sum of `terms` products, within the kernel tolerance plus
 *   `perTerm · terms · Σ|terms|`, where Σ|terms| is the kernel applied to the absolute values
 *   of its float operands (exact for the multilinear kernels listed here).
 */
export type KernelCheck =
  | { readonly kind: "exact" }
  | { readonly kind: "rounded" }
  | {
      readonly kind: "accumulated";
      /** Bound on the number of terms summed into one output element. */
      readonly terms: (
        inputs: readonly TensorType[],
        attrs: Readonly<Record<string, unknown>>,
      ) => number;
    };

const EXACT: KernelCheck = { kind: "exact" };
const ROUNDED: KernelCheck = { kind: "rounded" };
const accumulated = (
  terms: (inputs: readonly TensorType[], attrs: Readonly<Record<string, unknown>>) => number,
): KernelCheck => ({ kind: "accumulated", terms });
const dim = (t: TensorType | undefined, axis: number): number => t?.shape.at(axis) ?? 1;
const windowSize = (attrs: Readonly<Record<string, unknown>>): number => {
  const [kh, kw] = attrs.kernel as OpAttrMap["max_pool2d"]["kernel"];
  return kh * kw;
};

/**
 * The check of every op's float32 results, exhaustive over the registry (a new op does not
 * compile until it is classified). Composites are listed as `rounded` but are checked with the
 * composite tolerance, since they run as several kernels.
 */
export const KERNEL_CHECKS: { readonly [P in OpName]: KernelCheck } = {
  neg: EXACT,
  abs: EXACT,
  sign: EXACT,
  exp: ROUNDED,
  log: ROUNDED,
  sqrt: ROUNDED,
  rsqrt: ROUNDED,
  square: ROUNDED,
  reciprocal: ROUNDED,
  sin: ROUNDED,
  erf: ROUNDED,
  cos: ROUNDED,
  tanh: ROUNDED,
  sigmoid: ROUNDED,
  relu: EXACT,
  leaky_relu: ROUNDED,
  elu: ROUNDED,
  softplus: ROUNDED,
  swish: ROUNDED,
  gelu: ROUNDED,
  add: ROUNDED,
  sub: ROUNDED,
  mul: ROUNDED,
  div: ROUNDED,
  pow: ROUNDED,
  maximum: EXACT,
  minimum: EXACT,
  eq: EXACT,
  ne: EXACT,
  lt: EXACT,
  le: EXACT,
  gt: EXACT,
  ge: EXACT,
  select: EXACT,
  cast: EXACT,
  // Σ over the reduced axes: input elements per output element.
  sum: accumulated(([x], attrs) => {
    const axes = (attrs as unknown as OpAttrMap["sum"]).axes;
    const shape = x?.shape ?? [];
    const reduced = axes.length === 0 ? shape : axes.map((a) => shape.at(a) ?? 1);
    return Math.max(1, sizeOf(reduced));
  }),
  mean: ROUNDED,
  max: EXACT,
  min: EXACT,
  argmax: EXACT,
  log_sum_exp: ROUNDED,
  reshape: EXACT,
  transpose: EXACT,
  broadcast_to: EXACT,
  slice: EXACT,
  pad: EXACT,
  concat: EXACT,
  flatten: EXACT,
  squeeze: EXACT,
  expand_dims: EXACT,
  one_hot: EXACT,
  matmul: accumulated(([lhs]) => dim(lhs, -1)),
  dense: ROUNDED,
  // OIHW kernel: I·kh·kw products per output.
  conv2d: accumulated(([, w]) => dim(w, 1) * dim(w, 2) * dim(w, 3)),
  // IOHW kernel: each output gathers at most (C_in / groups)·kh·kw products.
  conv2d_transpose: accumulated(([x, w], attrs) => {
    const groups = (attrs as unknown as OpAttrMap["conv2d_transpose"]).groups;
    return Math.max(1, Math.ceil(dim(x, 1) / groups)) * dim(w, 2) * dim(w, 3);
  }),
  max_pool2d: EXACT,
  avg_pool2d: accumulated((_inputs, attrs) => windowSize(attrs)),
  batch_norm: ROUNDED,
  softmax: ROUNDED,
  log_softmax: ROUNDED,
  // x·1/(1 − rate): one product with a rounded scale.
  dropout: ROUNDED,
  mse: ROUNDED,
  softmax_cross_entropy: ROUNDED,
  binary_cross_entropy: ROUNDED,
  stop_gradient: EXACT,
  // Each kernel element sums over the batch and the output positions: N·Ho·Wo products.
  conv2d_backward_kernel: accumulated(([, ct]) => dim(ct, 0) * dim(ct, 2) * dim(ct, 3)),
  // Overlapping windows: at most kh·kw of them cover an input element.
  avg_pool2d_backward: accumulated((_inputs, attrs) => windowSize(attrs)),
  max_pool2d_argmax: EXACT,
  gather_spatial: EXACT,
  // Any number of positions of a channel may scatter to one element.
  scatter_add_spatial: accumulated(([ct]) => dim(ct, 2) * dim(ct, 3)),
};

/** The per-element bounds of a primitive kernel's float32 result (undefined: exact). */
export function kernelBounds(
  op: OpName,
  operands: readonly RefTensor[],
  types: readonly TensorType[],
  attrs: Readonly<Record<string, unknown>>,
  want: ArrayLike<number>,
  tolerances: ResolvedTolerances,
): Float64Array | undefined {
  const check = KERNEL_CHECKS[op];
  const override = tolerances.kernels[op];
  if (check.kind === "exact" && !override) return undefined;
  const { rtol, atol } = override ?? tolerances.kernel;
  const bounds = Float64Array.from(want, (w) => atol + rtol * Math.abs(w));
  if (check.kind === "accumulated") {
    // Σ|terms|: the (multilinear) kernel applied to the absolute values of its float operands;
    // integer operands (indices) stay as they are.
    const absolute = operands.map((t, i) =>
      types[i]!.dtype === "float32" ? { shape: t.shape, data: t.data.map(Math.abs) } : t,
    );
    const magnitude = opDef(op).evaluate(absolute, attrs, types).data;
    const perTerm = tolerances.perTerm * check.terms(types, attrs);
    for (let i = 0; i < bounds.length; i++) bounds[i]! += perTerm * Math.abs(magnitude[i]!);
  }
  return bounds;
}

/** Bounds `atol + rtol·|want|` for each element. */
export function uniformBounds(want: ArrayLike<number>, { rtol, atol }: Tolerance): Float64Array {
  return Float64Array.from(want, (w) => atol + rtol * Math.abs(w));
}

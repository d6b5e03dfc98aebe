import type { DType } from "./dtype.js";
import type { ErrorCode } from "./errors.js";
import type { GraphBuilder } from "./graph-builder.js";
import type { OpAttrMap, OpName } from "./op-attrs.js";
import type { Shape, TensorType } from "./shape.js";
import type { Value } from "./value.js";

/** What a shape, dtype or attribute rule can see and how it reports a failure. */
export interface RuleContext {
  /** The op being checked. */
  readonly op: string;
  /** The operands' types, in order. */
  readonly inputs: readonly TensorType[];
  /** Throws an NncError naming the op, its operands and the user's source line. */
  fail(code: ErrorCode, message: string): never;
}

/** A value in the reference evaluator: float64 data in row-major order, whatever the dtype. */
export interface RefTensor {
  readonly shape: Shape;
  readonly data: Float64Array;
}

/** Broad op families: backends, fusion and the summary use them. */
export type OpCategory =
  | "elementwise"
  | "reduction"
  | "layout"
  | "linalg"
  | "conv"
  | "pool"
  | "nn"
  | "loss";

/**
 * Everything nnc knows about one op, declared in one record (STYLE.md "One op, one record").
 * `A` is the op's canonical attribute type from {@link OpAttrMap}.
 */
export interface OpDef<A> {
  /** The op's snake_case name. */
  readonly name: string;
  /** One sentence for docs and `--help`. */
  readonly doc: string;
  readonly category: OpCategory;
  /** `primitive` ops are kernels backends implement; `composite` ops carry a decomposition. */
  readonly kind: "primitive" | "composite";
  /** Operand roles in order (`["lhs", "rhs"]`), used in error messages. */
  readonly operands: readonly string[];
  /** How many trailing operands may be left out (e.g. dense's bias). Default 0. */
  readonly optionalOperands?: number;
  /** When true the op takes one or more operands of the last role (concat). */
  readonly variadic?: boolean;
  /** Checks canonical attributes (as stored in JSON) and returns them normalised. */
  validateAttrs(raw: Readonly<Record<string, unknown>>, ctx: RuleContext): A;
  /** The output shape, or `ctx.fail(...)` for operands the op does not accept. */
  inferShape(inputs: readonly TensorType[], attrs: A, ctx: RuleContext): Shape;
  /** The output dtype, or `ctx.fail(...)`. */
  inferDtype(inputs: readonly TensorType[], attrs: A, ctx: RuleContext): DType;
  /**
   * Float64 reference semantics: the oracle every backend is tested against. `types` are the
   * operands' static types, since data alone cannot tell int32 from float32 (7 / 2 is 3 or 3.5).
   */
  evaluate(inputs: readonly RefTensor[], attrs: A, types: readonly TensorType[]): RefTensor;
  /**
   * Forward-mode rule (JVP): the output's tangent, built with ops that are linear in the
   * operands' tangents (the primal values only as residual factors), or null when it is zero.
   * Absent on a primitive: the op is not differentiable (asking for a gradient through it is an
   * NNC6001 error). Composites are differentiated through their decomposition.
   */
  jvp?(args: JvpArgs<A>): Value | null;
  /**
   * For ops linear in some operands: which ones, and whether jointly (`add(a, b)`: linear in
   * (a, b) together) or separately (`mul(a, b)`, `matmul`: linear in each with the others fixed).
   */
  readonly linearity?: Linearity;
  /**
   * Reverse rule for a linear op: given the output's cotangent, the cotangent of every operand
   * marked linear (null when zero; entries for residual operands are ignored).
   */
  transpose?(args: TransposeArgs<A>): readonly (Value | null)[];
  /** For composites: the same computation in primitives, built with `g`. */
  decompose?(g: GraphBuilder, inputs: readonly Value[], attrs: A): Value;
}

/** Declares an op; a typed identity that keeps the record's attribute type. */
export function defineOp<A>(def: OpDef<A>): OpDef<A> {
  return def;
}

/** The records of a family of ops, typed so each carries its own attribute type. */
export type OpFamily<K extends OpName> = { readonly [P in K]: OpDef<OpAttrMap[P]> };

/** Which operands an op is linear in (see {@link OpDef.linearity}). */
export interface Linearity {
  readonly kind: "joint" | "separate";
  /** Operand indices, or "all" for variadic ops (concat). */
  readonly operands: readonly number[] | "all";
}

/** What a JVP rule sees. Values live in the graph being built by `g`. */
export interface JvpArgs<A> {
  readonly g: GraphBuilder;
  /** The operands' primal values. */
  readonly primals: readonly Value[];
  /** The op's primal output (already built). */
  readonly out: Value;
  readonly attrs: A;
  /**
   * The tangent of operand `i`, or null when it is zero. Throws NNC6001 when a tangent reached
   * operand `i` only through a non-differentiable op, so rules that ignore an operand (select's
   * condition, integer labels) never trip over it.
   */
  tangent(i: number): Value | null;
}

/** What a transpose rule sees. Values live in the graph being built by `g`. */
export interface TransposeArgs<A> {
  readonly g: GraphBuilder;
  /** The cotangent of the op's output. */
  readonly ct: Value;
  readonly attrs: A;
  /** Every operand's type. */
  readonly types: readonly TensorType[];
  /** Operand `i`'s primal value when it is a residual, undefined when it is linear. */
  readonly residuals: readonly (Value | undefined)[];
  /** Whether operand `i` is linear (needs a cotangent). */
  readonly linear: readonly boolean[];
  /** The op's output type. */
  readonly outType: TensorType;
}

import type { GraphBuilder } from "../graph-builder.js";
import type { OpAttrMap, OpName } from "../op-attrs.js";
import type { JvpArgs, TransposeArgs } from "../op-def.js";
import { type Shape, shapesEqual } from "../shape.js";
import type { Value } from "../value.js";

// Helpers that keep JVP and transpose rules to a line or two (STYLE.md: "helpers for linear and
// bilinear ops so transpose rules are two lines").

/**
 * The adjoint of NumPy broadcasting: sums `ct` over the axes along which a value of `shape` was
 * broadcast (leading extra axes and size-1 axes), then reshapes to `shape`. Emits nothing when
 * the shapes already agree.
 */
export function unbroadcast(g: GraphBuilder, ct: Value, shape: Shape): Value {
  if (shapesEqual(ct.shape, shape)) return ct;
  const lead = ct.rank - shape.length;
  const axes: number[] = [];
  for (let axis = 0; axis < ct.rank; axis++) {
    if (axis < lead || (shape[axis - lead] === 1 && ct.shape[axis] !== 1)) axes.push(axis);
  }
  const summed = axes.length ? g.sum(ct, axes, { keepDims: true }) : ct;
  return shapesEqual(summed.shape, shape) ? summed : g.reshape(summed, shape);
}

/** Broadcasts `value` to `shape` unless it already has it. */
export function broadcastIfNeeded(g: GraphBuilder, value: Value, shape: Shape): Value {
  return shapesEqual(value.shape, shape) ? value : g.broadcastTo(value, shape);
}

/** Adds two possibly-zero (null) tangents. */
export function addTangents(g: GraphBuilder, a: Value | null, b: Value | null): Value | null {
  if (!a) return b;
  if (!b) return a;
  return g.add(a, b);
}

/** A float32 zero of `shape` (a broadcast scalar constant). */
export function zeros(g: GraphBuilder, shape: Shape): Value {
  return broadcastIfNeeded(g, g.constant(0), shape);
}

/**
 * JVP of an op that is linear in the given operands (jointly or separately): the op applied
 * with each of those operands replaced by its tangent, summed over them (multilinear rule), with
 * the other operands kept. `apply` rebuilds the op from a full operand list.
 */
export function multilinearJvp<A>(
  args: JvpArgs<A>,
  operands: readonly number[],
  apply: (operands: Value[]) => Value,
): Value | null {
  let total: Value | null = null;
  for (const i of operands) {
    const t = args.tangent(i);
    if (!t) continue;
    const replaced = args.primals.map((p, k) => (k === i ? t : p));
    total = addTangents(args.g, total, apply(replaced));
  }
  return total;
}

/** JVP of an op linear jointly in all operands: the op applied to the tangents (zeros where null). */
export function jointLinearJvp<P extends OpName>(args: JvpArgs<OpAttrMap[P]>, op: P): Value | null {
  const tangents = args.primals.map((_, i) => args.tangent(i));
  if (tangents.every((t) => t === null)) return null;
  const filled = tangents.map((t, i) => t ?? zeros(args.g, args.primals[i]!.shape));
  return args.g.apply(op, filled, args.attrs as Record<string, unknown>);
}

/** JVP of a unary op: the tangent times a factor built from the primal input and output. */
export function scaleJvp<A>(args: JvpArgs<A>, factor: (x: Value, y: Value) => Value): Value | null {
  const t = args.tangent(0);
  return t && args.g.mul(t, factor(args.primals[0]!, args.out));
}

/** The cotangent list of a transpose rule where only operand `i` receives `value`. */
export function onlyOperand(
  args: TransposeArgs<unknown>,
  i: number,
  value: Value,
): (Value | null)[] {
  return args.types.map((_, k) => (k === i ? value : null));
}

import { dtypeByteSize, type Node, type Shape, shapesEqual, sizeOf, stridesOf } from "@nnc/core";
import type { EmitContext, NodeEmitter, PrimitiveOp, ScalarExpression } from "../emit-context.js";
import { erfHelper } from "./erf.js";
import { broadcastStrides, collapseAxes, element, LoopNest, literal } from "./loop-nest.js";
import { attachReduction, emitEmptyReduction, isFoldOp, reductionOutputStrides } from "./reduce.js";

// Elementwise kernels: every elementwise primitive as a scalar expression, and one generator
// for a loop over an iteration space that computes a whole fused chain per element, reading
// operands with NumPy broadcasting (running offsets per access pattern, never division or
// modulo), keeping intermediates in locals and storing only what is read outside the chain.
// The same loop can end in a sum/max/min (a reduction prologue).

/** The elementwise primitives: the ops {@link SCALAR} has an expression for. */
export type ElementwisePrimitive = Extract<
  PrimitiveOp,
  | "neg"
  | "abs"
  | "sign"
  | "exp"
  | "log"
  | "sqrt"
  | "rsqrt"
  | "square"
  | "reciprocal"
  | "sin"
  | "erf"
  | "cos"
  | "tanh"
  | "sigmoid"
  | "relu"
  | "leaky_relu"
  | "elu"
  | "softplus"
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "pow"
  | "maximum"
  | "minimum"
  | "eq"
  | "ne"
  | "lt"
  | "le"
  | "gt"
  | "ge"
  | "select"
  | "cast"
  | "stop_gradient"
>;

const isInt = (node: Node) => node.type.dtype === "int32";

/** A float-only unary op from a function of its operand. */
const unary =
  (f: (a: string, node: Node) => string): ScalarExpression =>
  ([a], node) =>
    f(a!, node);

/** A binary op with separate float32 and int32 (wrapping) forms. */
const binary =
  (float: (a: string, b: string) => string, int: (a: string, b: string) => string = float) =>
  ([a, b]: readonly string[], node: Node): string =>
    isInt(node) ? int(a!, b!) : float(a!, b!);

// V8 compiles `c ? x : y` on floats to a branch, which mispredicts on data like activations
// (random signs): 5–6 ns per element instead of 1–2. The expressions below avoid data-dependent
// branches where that keeps the reference semantics exactly; the branches left guard rare values
// (±∞, NaN) and are predictable.

/** A comparison as 0/1 without a branch: `+(a < b)` is a setcc. */
const compare =
  (op: string): ScalarExpression =>
  ([a, b]) =>
    `+(${a} ${op} ${b})`;

/**
 * max(x, 0) without a branch: (x + |x|) / 2 is exact for every float below 2¹⁰²³ (NaN stays
 * NaN, −0 gives +0), except −∞, where it is NaN: that one value takes a predictable branch.
 */
const positivePart = (a: string) => `(${a} !== -Infinity ? (${a} + Math.abs(${a})) * 0.5 : 0)`;

/**
 * `positive(x) + f(min(x, 0))` for a piecewise op equal to x for x > 0, with min(x, 0) as the
 * exact (x − |x|) / 2; ±∞, where x − |x| or x + |x| is NaN, take the reference's branch.
 */
const piecewise = (a: string, negative: (min: string) => string, reference: string) =>
  `(Math.abs(${a}) !== Infinity ? (${a} + Math.abs(${a})) * 0.5 + ${negative(`(${a} - Math.abs(${a})) * 0.5`)} : ${reference})`;

const SELECT = "const nncSelect = new Float64Array(2);";

const INT_POW = `function nncIntPow(a, b) {
  // trunc(a^b) for negative b is 0 unless |a| = 1 (0^-n divides by zero, which int32 maps to 0).
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b % 2 === 0 ? 1 : -1) : 0;
  let result = 1;
  let base = a | 0;
  for (let e = b; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
  }
  return result;
}`;

/**
 * Every elementwise primitive as an expression over its operands (local names, each evaluated
 * once per element). Exactly the reference semantics of core's ops/elementwise.ts: int32
 * arithmetic wraps, int32 division truncates and maps division by zero to 0, comparisons give
 * 0/1, float → int32 casts truncate and saturate with NaN → 0.
 */
export const SCALAR: { readonly [P in ElementwisePrimitive]: ScalarExpression } = {
  neg: ([a], node) => (isInt(node) ? `(-${a} | 0)` : `-${a}`),
  abs: ([a], node) => (isInt(node) ? `(Math.abs(${a}) | 0)` : `Math.abs(${a})`),
  // sign(±0) is 0 and sign(NaN) NaN.
  sign: unary((a) => `(${a} === ${a} ? +(${a} > 0) - +(${a} < 0) : ${a})`),
  exp: unary((a) => `Math.exp(${a})`),
  log: unary((a) => `Math.log(${a})`),
  sqrt: unary((a) => `Math.sqrt(${a})`),
  rsqrt: unary((a) => `1 / Math.sqrt(${a})`),
  square: ([a], node) => (isInt(node) ? `Math.imul(${a}, ${a})` : `${a} * ${a}`),
  reciprocal: unary((a) => `1 / ${a}`),
  sin: unary((a) => `Math.sin(${a})`),
  erf: ([a], _node, helper) => `${helper("nncErf", erfHelper())}(${a})`,
  cos: unary((a) => `Math.cos(${a})`),
  tanh: unary((a) => `Math.tanh(${a})`),
  // In float64, e^{-x} overflows to ∞ only where σ(x) is 0 in float32 anyway.
  sigmoid: unary((a) => `1 / (1 + Math.exp(-${a}))`),
  // NaN stays NaN and −0 gives +0, as Math.max(x, 0) in the reference; for int32, x & ~(x >> 31)
  // clears negative values.
  relu: ([a], node) => (isInt(node) ? `(${a} & ~(${a} >> 31))` : positivePart(a!)),
  leaky_relu: unary((a, node) => {
    const alpha = literal(node.attrs.alpha as number);
    return piecewise(a, (min) => `${alpha} * (${min})`, `${a} > 0 ? ${a} : ${alpha} * ${a}`);
  }),
  // expm1 keeps eˣ − 1 accurate near 0; expm1(0) = 0 leaves the positive part alone.
  elu: unary((a, node) => {
    const alpha = literal(node.attrs.alpha as number);
    return piecewise(
      a,
      (min) => `${alpha} * Math.expm1(${min})`,
      `${a} > 0 ? ${a} : ${alpha} * Math.expm1(${a})`,
    );
  }),
  // max(x, 0) + log1p(e^{−|x|}): no overflow, exact in both tails.
  softplus: unary((a) => `${positivePart(a)} + Math.log1p(Math.exp(-Math.abs(${a})))`),

  // A sum or difference of int32 values is exact in float64, so `| 0` wraps it; a product may
  // not be, hence Math.imul.
  add: binary(
    (a, b) => `${a} + ${b}`,
    (a, b) => `(${a} + ${b}) | 0`,
  ),
  sub: binary(
    (a, b) => `${a} - ${b}`,
    (a, b) => `(${a} - ${b}) | 0`,
  ),
  mul: binary(
    (a, b) => `${a} * ${b}`,
    (a, b) => `Math.imul(${a}, ${b})`,
  ),
  // (a / b) | 0 truncates toward zero, −2³¹ / −1 wraps to −2³¹, and a division by zero gives
  // ±∞ or NaN, which `| 0` maps to 0 as the reference does.
  div: binary(
    (a, b) => `${a} / ${b}`,
    (a, b) => `(${a} / ${b}) | 0`,
  ),
  pow: ([a, b], node, helper) =>
    isInt(node) ? `${helper("nncIntPow", INT_POW)}(${a}, ${b})` : `Math.pow(${a}, ${b})`,
  maximum: binary((a, b) => `Math.max(${a}, ${b})`),
  minimum: binary((a, b) => `Math.min(${a}, ${b})`),

  eq: compare("==="),
  ne: compare("!=="),
  lt: compare("<"),
  le: compare("<="),
  gt: compare(">"),
  ge: compare(">="),

  // cond is 0/1: pick from a two-slot scratch array instead of branching on it.
  select: ([c, a, b], _node, helper) => {
    const slots = helper("nncSelect", SELECT);
    return `(${slots}[1] = ${a}, ${slots}[0] = ${b}, ${slots}[${c}])`;
  },
  // Values are carried as numbers: only the int32 and bool targets change anything. `x | 0`
  // truncates within the int32 range (and maps NaN to 0); beyond it the cast saturates.
  cast: ([a], node) => {
    const to = node.attrs.to as Node["type"]["dtype"];
    if (to === "bool") return `+(${a} !== 0)`;
    if (to === "int32") {
      return `(${a} >= 2147483647 ? 2147483647 : ${a} <= -2147483648 ? -2147483648 : ${a} | 0)`;
    }
    return a!;
  },
  stop_gradient: ([a]) => a!,
};

/** True when `node` is an elementwise primitive (it has a {@link SCALAR} expression). */
export function isElementwiseNode(node: Node): node is Node & { op: ElementwisePrimitive } {
  return Object.hasOwn(SCALAR, node.op);
}

/** One elementwise node: a loop over its output with broadcasting operands. */
export const emitElementwise: NodeEmitter = (ctx, node) => {
  const input = ctx.program.graph.node(node.inputs[0]!);
  // An identity over an operand of the same shape and view is a copy (or nothing, in place).
  const identity =
    node.op === "stop_gradient" || (node.op === "cast" && input.type.dtype === node.type.dtype);
  if (identity && shapesEqual(input.type.shape, node.type.shape)) {
    return emitCopy(ctx, input.id, node.id);
  }
  return emitLoop(ctx, [node], undefined, node.type.shape, new Set([node.id]));
};

/** Copies a whole value into another buffer of the same dtype (nothing when they coincide). */
export function emitCopy(ctx: EmitContext, from: number, to: number): string {
  const src = ctx.ref(from);
  const dst = ctx.ref(to);
  const n = sizeOf(ctx.program.graph.node(to).type.shape);
  if (n === 0 || src.base === dst.base) return "";
  // copyWithin is a memmove: correct even when the two ranges overlap.
  return `${dst.view}.copyWithin(${dst.base}, ${src.base}, ${src.base + n});`;
}

/**
 * A kernel of several nodes ("elementwise", "epilogue" or "prologue"): the nodes that are not
 * elementwise over the kernel's iteration space (a matmul or conv producer, or an odd-shaped
 * side input) are emitted first by `emitNode`, then one loop computes the elementwise chain,
 * ending in the root's sum/max/min for a prologue. Falls back to one loop per node when fusing
 * would be unsafe: when a buffer the loop writes overlaps one it reads at another position
 * (the planner lets a value reuse the memory of operands that died earlier in the kernel, which
 * node-by-node execution respects and a single loop would not).
 */
export function emitFusedKernel(
  ctx: EmitContext,
  nodes: readonly Node[],
  emitNode: NodeEmitter,
): string {
  const nodeByNode = () =>
    nodes
      .map((n) => emitNode(ctx, n))
      .filter((s) => s)
      .join("\n");
  const root = nodes.at(-1)!;
  const graph = ctx.program.graph;
  let reduction: Node | undefined;
  let space: Shape;
  if (isFoldOp(root.op)) {
    reduction = root;
    space = graph.node(root.inputs[0]!).type.shape;
  } else if (isElementwiseNode(root)) {
    space = root.type.shape;
  } else {
    return nodeByNode();
  }
  const chain = nodes.filter(
    (n) => n !== reduction && isElementwiseNode(n) && shapesEqual(n.type.shape, space),
  );
  const inChain = new Set(chain.map((n) => n.id));
  const before = nodes.filter((n) => n !== reduction && !inChain.has(n.id));
  if (before.some((n) => n.inputs.some((i) => inChain.has(i)))) return nodeByNode();

  const surviving = new Set([
    ...graph.outputs.map((o) => o.node),
    ...graph.updates.map((u) => u.node),
  ]);
  const written = new Set(
    chain
      .filter(
        (n) =>
          surviving.has(n.id) ||
          graph.consumers[n.id]!.some((c) => !inChain.has(c) && c !== reduction?.id),
      )
      .map((n) => n.id),
  );
  const operands = loopOperands(chain, reduction, inChain);
  if (unsafeToFuse(ctx, space, operands, written, reduction, before)) return nodeByNode();
  const loop = emitLoop(ctx, chain, reduction, space, written);
  return [...before.map((n) => emitNode(ctx, n)), loop].filter((s) => s).join("\n");
}

/** The values a loop reads from buffers: operands of the chain from outside it. */
function loopOperands(
  chain: readonly Node[],
  reduction: Node | undefined,
  inChain: ReadonlySet<number>,
): number[] {
  const operands = new Set<number>();
  for (const n of chain) for (const i of n.inputs) if (!inChain.has(i)) operands.add(i);
  if (reduction && !inChain.has(reduction.inputs[0]!)) operands.add(reduction.inputs[0]!);
  return [...operands];
}

/**
 * Whether one loop could clobber a value before reading it: a buffer written by the loop (or
 * before it) overlapping a buffer the loop reads, except a store over the very element the
 * same iteration has just read (an operand of the loop's shape written in place).
 */
function unsafeToFuse(
  ctx: EmitContext,
  space: Shape,
  operands: readonly number[],
  written: ReadonlySet<number>,
  reduction: Node | undefined,
  before: readonly Node[],
): boolean {
  const { program } = ctx;
  const range = (id: number): [number, number] => {
    const b = program.buffers[id]!;
    return [b.offset, b.offset + b.bytes];
  };
  const overlaps = (a: number, b: number) => {
    const [a0, a1] = range(a);
    const [b0, b1] = range(b);
    return a0 < a1 && b0 < b1 && a0 < b1 && b0 < a1;
  };
  const elementBytes = (id: number) => dtypeByteSize(program.graph.node(id).type.dtype);
  const flat = (id: number) => shapesEqual(program.graph.node(id).type.shape, space);
  for (const r of operands) {
    for (const w of written) {
      const inPlace =
        flat(r) &&
        program.buffers[w]!.offset === program.buffers[r]!.offset &&
        elementBytes(w) === elementBytes(r);
      if (overlaps(w, r) && !inPlace) return true;
    }
    if (reduction && overlaps(reduction.id, r)) return true;
    if (before.some((n) => n.id !== r && overlaps(n.id, r))) return true;
  }
  return false;
}

/**
 * The loop over `space` computing `chain` (elementwise nodes of that shape, in order), storing
 * the nodes in `written`, and folding into `reduction` when given (its operand is the last
 * chain node or a buffer). Values are placed at the outermost loop level where they can be
 * computed: an operand broadcast along the inner axis is loaded once per row.
 */
function emitLoop(
  ctx: EmitContext,
  chain: readonly Node[],
  reduction: Node | undefined,
  space: Shape,
  written: ReadonlySet<number>,
): string {
  const graph = ctx.program.graph;
  if (sizeOf(space) === 0) return reduction ? emitEmptyReduction(ctx, reduction) : "";
  const inChain = new Set(chain.map((n) => n.id));
  const operands = loopOperands(chain, reduction, inChain);
  // Pattern 0 walks the space row-major (stores, and operands of its shape).
  const patterns: number[][] = [stridesOf(space)];
  const patternOf = (strides: number[]): number => {
    const key = strides.join();
    const found = patterns.findIndex((p) => p.join() === key);
    return found === -1 ? patterns.push(strides) - 1 : found;
  };
  const operandPattern = operands.map((id) =>
    patternOf(broadcastStrides(graph.node(id).type.shape, space)),
  );
  const outPattern = reduction
    ? patternOf(reductionOutputStrides(space, reduction.attrs.axes as number[]))
    : -1;
  const nest = new LoopNest(ctx, collapseAxes(space, patterns));

  const values = new Map<number, { name: string; level: number }>();
  operands.forEach((id, k) => {
    const level = nest.levelOf(operandPattern[k]!);
    const name = ctx.local("x");
    const load = element(ctx.ref(id), nest.offset(operandPattern[k]!, level));
    nest.head(level).push(`const ${name} = ${load};`);
    values.set(id, { name, level });
  });
  const helper = ctx.helper.bind(ctx);
  for (const node of chain) {
    const args = node.inputs.map((i) => values.get(i)!);
    const level = Math.max(-1, ...args.map((a) => a.level));
    const name = ctx.local("v");
    const expression = SCALAR[node.op as ElementwisePrimitive](
      args.map((a) => a.name),
      node,
      helper,
    );
    nest.head(level).push(`const ${name} = ${expression};`);
    values.set(node.id, { name, level });
    if (written.has(node.id)) {
      nest
        .head(nest.inner)
        .push(`${element(ctx.ref(node.id), nest.offset(0, nest.inner))} = ${name};`);
    }
  }
  if (reduction) {
    attachReduction(ctx, nest, reduction, values.get(reduction.inputs[0]!)!.name, outPattern);
  }
  return nest.render();
}

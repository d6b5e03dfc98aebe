import { attrDType, attrEnum, attrNumber, checkKeys, noAttrs } from "../attr-check.js";
import type { DType } from "../dtype.js";
import type { GraphBuilder } from "../graph-builder.js";
import type { NoAttrs, OpAttrMap } from "../op-attrs.js";
import {
  defineOp,
  type JvpArgs,
  type OpDef,
  type OpFamily,
  type RefTensor,
  type RuleContext,
} from "../op-def.js";
import { formatShape, type Shape, type TensorType, tryBroadcastShapes } from "../shape.js";
import type { Value } from "../value.js";
import { addTangents, scaleJvp, unbroadcast } from "./ad-util.js";
import { ERF_COEFFICIENTS } from "./erf-coefficients.js";
import { mapBroadcast, mapUnary } from "./ref-util.js";

// Elementwise ops: unary math and activations, binary arithmetic with NumPy broadcasting,
// comparisons, select and cast. int32 arithmetic wraps around like two's-complement hardware
// (and JavaScript's Int32Array), so every int32 value the reference produces is a valid int32.

type UnaryOp =
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
  | "swish"
  | "gelu";
type ArithmeticOp = "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum";
type ComparisonOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge";

/** The name of every elementwise op. */
export type ElementwiseOp = UnaryOp | ArithmeticOp | ComparisonOp | "select" | "cast";

// ---- numerics ---------------------------------------------------------------------------------

const {
  a: ERF_A,
  b: ERF_B,
  c: ERFC_C,
  d: ERFC_D,
  p: ERFC_P,
  q: ERFC_Q,
  oneOverSqrtPi: ONE_OVER_SQRT_PI,
} = ERF_COEFFICIENTS;
// Beyond this erfc(x) underflows to 0 in float64.
const ERFC_ZERO_BEYOND = 26.543;

/** erf(x) for |x| ≤ 0.46875, where the series is well conditioned. */
function erfSmall(x: number): number {
  const z = x * x;
  let num = ERF_A[4]! * z;
  let den = z;
  for (let i = 0; i < 3; i++) {
    num = (num + ERF_A[i]!) * z;
    den = (den + ERF_B[i]!) * z;
  }
  return (x * (num + ERF_A[3]!)) / (den + ERF_B[3]!);
}

/** erfc(y) for y > 0.46875. */
function erfcLarge(y: number): number {
  let ratio: number;
  if (y <= 4) {
    let num = ERFC_C[8]! * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + ERFC_C[i]!) * y;
      den = (den + ERFC_D[i]!) * y;
    }
    ratio = (num + ERFC_C[7]!) / (den + ERFC_D[7]!);
  } else {
    if (y >= ERFC_ZERO_BEYOND) return 0;
    const z = 1 / (y * y);
    let num = ERFC_P[5]! * z;
    let den = z;
    for (let i = 0; i < 4; i++) {
      num = (num + ERFC_P[i]!) * z;
      den = (den + ERFC_Q[i]!) * z;
    }
    ratio = (ONE_OVER_SQRT_PI - (z * (num + ERFC_P[4]!)) / (den + ERFC_Q[4]!)) / y;
  }
  // e^{-y²} with y² split as r² + (y − r)(y + r), r = y rounded down to 1/16: r² is exact, so
  // the rounding error of y² is not amplified by the exponential.
  const r = Math.trunc(16 * y) / 16;
  return Math.exp(-r * r - (y - r) * (y + r)) * ratio;
}

/** The error function, accurate to about one unit in the last place (Cody 1969). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const y = Math.abs(x);
  if (y <= 0.46875) return erfSmall(x);
  const value = 1 - erfcLarge(y);
  return x < 0 ? -value : value;
}

/** The complementary error function 1 − erf(x), without cancellation for large x (Cody 1969). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return x;
  const y = Math.abs(x);
  if (y <= 0.46875) return 1 - erfSmall(x);
  const value = erfcLarge(y);
  return x < 0 ? 2 - value : value;
}

/** The logistic function 1 / (1 + e⁻ˣ), without overflow for any x. */
export function sigmoid(x: number): number {
  // e^{-|x|} ≤ 1 never overflows; for x < 0 use σ(x) = eˣ / (1 + eˣ).
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_CUBIC = 0.044715;

// 0.5·x·(1 + tanh(u)) = x·σ(2u): the sigmoid form does not cancel for very negative x.
function geluTanh(x: number): number {
  const u2 = x * (x * x * GELU_CUBIC + 1) * (2 * SQRT_2_OVER_PI);
  return x * sigmoid(u2);
}

// 1 + erf(x/√2) = erfc(−x/√2): no cancellation for very negative x.
function geluErf(x: number): number {
  return 0.5 * x * erfc(-x / Math.SQRT2);
}

/** aᵇ for int32 a and b, wrapping like repeated int32 multiplication; equals trunc(aᵇ) in range. */
function intPow(a: number, b: number): number {
  if (b < 0) {
    // trunc(aᵇ) is 0 unless |a| = 1; 0⁻ⁿ is a division by zero, which int32 division maps to 0.
    if (a === 1) return 1;
    if (a === -1) return b % 2 === 0 ? 1 : -1;
    return 0;
  }
  let result = 1;
  let base = a | 0;
  for (let e = b; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
  }
  return result;
}

/** Converts a value to int32: truncation toward zero, saturating at the int32 range, NaN → 0. */
function toInt32(v: number): number {
  if (Number.isNaN(v)) return 0;
  return Math.min(Math.max(Math.trunc(v), -2147483648), 2147483647);
}

// ---- shared rules -----------------------------------------------------------------------------

/** The broadcast shape of every operand, or NNC2001 naming the first conflicting axis. */
function broadcastOperands(inputs: readonly TensorType[], ctx: RuleContext): Shape {
  const shapes = inputs.map((t) => t.shape);
  const out = tryBroadcastShapes(...shapes);
  if (out) return out;
  const rank = Math.max(...shapes.map((s) => s.length));
  let conflict = "";
  for (let back = 1; back <= rank && !conflict; back++) {
    const extents = shapes.map((s) => s[s.length - back]).filter((d) => d !== undefined && d !== 1);
    const other = extents.find((d) => d !== extents[0]);
    if (other !== undefined) conflict = `${extents[0]} vs ${other} at axis -${back}`;
  }
  const list = shapes.map(formatShape);
  const named =
    list.length === 2 ? list.join(" and ") : `${list.slice(0, -1).join(", ")} and ${list.at(-1)}`;
  return ctx.fail("NNC2001", `shapes ${named} cannot be broadcast (${conflict})`);
}

/** The common dtype of the operands, or NNC2002 naming both and suggesting a cast. */
function sameDtype(inputs: readonly TensorType[], ctx: RuleContext, roles = "operands"): DType {
  const [first, ...rest] = inputs.map((t) => t.dtype);
  const other = rest.find((d) => d !== first);
  if (other !== undefined) {
    ctx.fail(
      "NNC2002",
      `${roles} have different dtypes (${first} vs ${other}); cast one with g.cast(x, "${first}")`,
    );
  }
  return first!;
}

function requireDtype(
  dtype: DType,
  accepted: readonly DType[],
  ctx: RuleContext,
  what: string,
): void {
  if (!accepted.includes(dtype)) {
    const hint =
      dtype === "bool" ? "; cast it first" : `; cast it with g.cast(x, "${accepted[0]}")`;
    ctx.fail("NNC2002", `${what} must be ${accepted.join(" or ")}, got ${dtype}${hint}`);
  }
}

// ---- unary ------------------------------------------------------------------------------------

interface UnarySpec<A> {
  readonly doc: string;
  readonly validateAttrs?: (raw: Readonly<Record<string, unknown>>, ctx: RuleContext) => A;
  /** The float semantics. */
  readonly float: (x: number, attrs: A) => number;
  /** The int32 semantics; ops without one accept float32 only (eˣ of an integer is no integer). */
  readonly int?: (x: number) => number;
  readonly decompose?: (g: GraphBuilder, x: Value, attrs: A) => Value;
  /**
   * f'(x) as a graph, from the input x and (often cheaper) the output y; null when f' is zero
   * everywhere it exists. The JVP is tangent · f'(x). Absent only on composites.
   */
  readonly derivative?: (g: GraphBuilder, x: Value, y: Value, attrs: A) => Value | null;
}

function unary<A = NoAttrs>(name: UnaryOp, spec: UnarySpec<A>): OpDef<A> {
  const accepted: readonly DType[] = spec.int ? ["float32", "int32"] : ["float32"];
  const int = spec.int;
  const decompose = spec.decompose;
  return defineOp<A>({
    name,
    doc: spec.doc,
    category: "elementwise",
    kind: decompose ? "composite" : "primitive",
    operands: ["x"],
    validateAttrs: spec.validateAttrs ?? ((raw, ctx) => noAttrs(raw, ctx) as A),
    inferShape: ([x]) => [...x!.shape],
    inferDtype: ([x], _attrs, ctx) => {
      requireDtype(x!.dtype, accepted, ctx, "operand");
      return x!.dtype;
    },
    evaluate: ([x], attrs, [type]) =>
      int && type!.dtype === "int32"
        ? mapUnary(x!, int)
        : mapUnary(x!, (v) => spec.float(v, attrs)),
    ...(decompose && { decompose: (g, [x], attrs) => decompose(g, x!, attrs) }),
    ...(spec.derivative && {
      jvp: (args) => {
        const derivative = spec.derivative!;
        const t = args.tangent(0);
        if (!t) return null;
        const factor = derivative(args.g, args.primals[0]!, args.out, args.attrs);
        return factor && scaleJvp(args, () => factor);
      },
    }),
  });
}

/** An activation slope or scale: any finite number. */
function finiteAttr<K extends string>(key: K) {
  return (
    raw: Readonly<Record<string, unknown>>,
    ctx: RuleContext,
  ): { readonly [P in K]: number } => {
    checkKeys(raw, [key], ctx);
    return { [key]: attrNumber(raw, key, ctx) } as { readonly [P in K]: number };
  };
}

// ---- binary -----------------------------------------------------------------------------------

/** The autodiff fields of an op record. */
type Rules = Pick<OpDef<NoAttrs>, "jvp" | "linearity" | "transpose">;

function arithmetic(
  name: ArithmeticOp,
  doc: string,
  float: (a: number, b: number) => number,
  int: (a: number, b: number) => number,
  rules: Rules,
): OpDef<NoAttrs> {
  return defineOp<NoAttrs>({
    ...rules,
    name,
    doc,
    category: "elementwise",
    kind: "primitive",
    operands: ["a", "b"],
    validateAttrs: noAttrs,
    inferShape: (inputs, _attrs, ctx) => broadcastOperands(inputs, ctx),
    inferDtype: (inputs, _attrs, ctx) => {
      const dtype = sameDtype(inputs, ctx);
      requireDtype(dtype, ["float32", "int32"], ctx, "operands");
      return dtype;
    },
    evaluate: ([a, b], _attrs, [type]) => {
      const shape = tryBroadcastShapes(a!.shape, b!.shape)!;
      return mapBroadcast([a!, b!], shape, type!.dtype === "int32" ? int : float);
    },
  });
}

function comparison(
  name: ComparisonOp,
  doc: string,
  test: (a: number, b: number) => boolean,
): OpDef<NoAttrs> {
  // Ordering false < true is a convention, not arithmetic: only equality is defined on bool.
  const accepted: readonly DType[] =
    name === "eq" || name === "ne" ? ["float32", "int32", "bool"] : ["float32", "int32"];
  return defineOp<NoAttrs>({
    name,
    doc,
    category: "elementwise",
    kind: "primitive",
    operands: ["a", "b"],
    validateAttrs: noAttrs,
    inferShape: (inputs, _attrs, ctx) => broadcastOperands(inputs, ctx),
    inferDtype: (inputs, _attrs, ctx) => {
      requireDtype(sameDtype(inputs, ctx), accepted, ctx, "operands");
      return "bool";
    },
    evaluate: ([a, b]) => {
      const shape = tryBroadcastShapes(a!.shape, b!.shape)!;
      return mapBroadcast([a!, b!], shape, (x, y) => (test(x, y) ? 1 : 0));
    },
  });
}

// ---- the family -------------------------------------------------------------------------------

/**
 * JVP of maximum/minimum: the tangent of the operand that wins; ties split the tangent evenly
 * (as JAX), so the derivative of max(x, x) is that of x.
 */
function extremumJvp(
  { g, primals: [a, b], tangent }: JvpArgs<NoAttrs>,
  wins: (g: GraphBuilder, a: Value, b: Value) => Value,
): Value | null {
  const [ta, tb] = [tangent(0), tangent(1)];
  if (!ta && !tb) return null;
  const weightA = g.select(wins(g, a!, b!), 1, g.select(g.eq(a!, b!), 0.5, 0));
  return addTangents(g, ta && g.mul(ta, weightA), tb && g.mul(tb, g.sub(1, weightA)));
}

/** Every elementwise op's record. */
export const elementwiseOps: OpFamily<ElementwiseOp> = {
  neg: {
    ...unary("neg", { doc: "Negation −x.", float: (v) => -v, int: (v) => -v | 0 }),
    jvp: ({ g, tangent }) => {
      const t = tangent(0);
      return t && g.neg(t);
    },
    linearity: { kind: "joint", operands: [0] },
    transpose: ({ g, ct }) => [g.neg(ct)],
  },
  abs: unary("abs", {
    doc: "Absolute value |x|; its derivative at 0 is 0 (sign(0)).",
    float: Math.abs,
    int: (v) => Math.abs(v) | 0,
    derivative: (g, x) => g.sign(x),
  }),
  sign: unary("sign", {
    doc: "Sign of x: −1, 0 or 1 (0 for ±0, NaN for NaN).",
    // Math.sign(-0) is -0; sign(0) is 0 whichever zero it is.
    float: (v) => (v > 0 ? 1 : v < 0 ? -1 : v === 0 ? 0 : v),
    int: (v) => (v > 0 ? 1 : v < 0 ? -1 : 0),
    derivative: () => null,
  }),
  exp: unary("exp", { doc: "Exponential eˣ.", float: Math.exp, derivative: (_g, _x, y) => y }),
  log: unary("log", {
    doc: "Natural logarithm (−∞ at 0, NaN below).",
    float: Math.log,
    derivative: (g, x) => g.reciprocal(x),
  }),
  sqrt: unary("sqrt", {
    doc: "Square root √x.",
    float: Math.sqrt,
    // d√x = dx / (2√x)
    derivative: (g, _x, y) => g.div(0.5, y),
  }),
  rsqrt: unary("rsqrt", {
    doc: "Reciprocal square root 1/√x.",
    float: (v) => 1 / Math.sqrt(v),
    // d(x^-½) = -½ x^-3/2 dx = -½ (y / x) dx
    derivative: (g, x, y) => g.mul(g.div(y, x), -0.5),
  }),
  square: unary("square", {
    doc: "Square x².",
    float: (v) => v * v,
    int: (v) => Math.imul(v, v),
    derivative: (g, x) => g.mul(x, 2),
  }),
  reciprocal: unary("reciprocal", {
    doc: "Reciprocal 1/x.",
    float: (v) => 1 / v,
    // d(1/x) = -dx / x² = -y² dx
    derivative: (g, _x, y) => g.neg(g.square(y)),
  }),
  sin: unary("sin", { doc: "Sine (radians).", float: Math.sin, derivative: (g, x) => g.cos(x) }),
  erf: unary("erf", {
    doc: "The error function erf(x).",
    float: erf,
    // erf'(x) = 2/√π · e^(−x²)
    derivative: (g, x) => g.mul(g.exp(g.neg(g.square(x))), 2 / Math.sqrt(Math.PI)),
  }),
  cos: unary("cos", {
    doc: "Cosine (radians).",
    float: Math.cos,
    derivative: (g, x) => g.neg(g.sin(x)),
  }),
  tanh: unary("tanh", {
    doc: "Hyperbolic tangent.",
    float: Math.tanh,
    // tanh' = 1 − tanh², from the output
    derivative: (g, _x, y) => g.sub(1, g.square(y)),
  }),
  sigmoid: unary("sigmoid", {
    doc: "Logistic sigmoid 1 / (1 + e⁻ˣ).",
    float: sigmoid,
    // σ' = σ(1 − σ), from the output
    derivative: (g, _x, y) => g.mul(y, g.sub(1, y)),
  }),
  relu: unary("relu", {
    doc: "Rectified linear unit max(x, 0); 0 at exactly 0, NaN stays NaN.",
    // Math.max(-0, 0) is +0 and NaN propagates.
    float: (v) => Math.max(v, 0),
    int: (v) => Math.max(v, 0),
    // relu'(x) = [x > 0], read from the output (y > 0 ⇔ x > 0): 0 at exactly 0, as in PyTorch
    // and JAX, and only the output's sign needs keeping for the backward pass. A select (not a
    // cast of the comparison) keeps the mask piecewise constant for higher derivatives: select
    // never differentiates its condition, so grad of grad through ReLU is 0, not an error.
    derivative: (g, _x, y) => g.select(g.gt(y, 0), 1, 0),
  }),
  leaky_relu: unary<OpAttrMap["leaky_relu"]>("leaky_relu", {
    doc: "Leaky ReLU: x for x > 0, αx otherwise.",
    validateAttrs: finiteAttr("alpha"),
    float: (v, { alpha }) => (v > 0 ? v : alpha * v),
    derivative: (g, x, _y, { alpha }) => g.select(g.gt(x, 0), 1, alpha),
  }),
  elu: unary<OpAttrMap["elu"]>("elu", {
    doc: "Exponential linear unit: x for x > 0, α(eˣ − 1) otherwise.",
    validateAttrs: finiteAttr("alpha"),
    // expm1 keeps eˣ − 1 accurate for x near 0, where the two branches meet.
    float: (v, { alpha }) => (v > 0 ? v : alpha * Math.expm1(v)),
    // for x ≤ 0, d(α(eˣ − 1)) = αeˣ = y + α
    derivative: (g, x, y, { alpha }) => g.select(g.gt(x, 0), 1, g.add(y, alpha)),
  }),
  softplus: unary("softplus", {
    doc: "Softplus log(1 + eˣ), computed stably.",
    // log(1 + eˣ) = max(x, 0) + log1p(e^{-|x|}): never overflows, exact in both tails.
    float: (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))),
    derivative: (g, x) => g.sigmoid(x),
  }),
  swish: unary<OpAttrMap["swish"]>("swish", {
    doc: "Swish x·σ(βx) (SiLU for β = 1): x/2 as β → 0, ReLU as β → ∞.",
    validateAttrs: finiteAttr("beta"),
    float: (v, { beta }) => v * sigmoid(v * beta),
    decompose: (g, x, { beta }) => g.mul(x, g.sigmoid(beta === 1 ? x : g.mul(x, beta))),
  }),
  gelu: unary<OpAttrMap["gelu"]>("gelu", {
    doc: "GELU x·Φ(x), exact (erf) or with the tanh approximation.",
    validateAttrs: (raw, ctx) => {
      checkKeys(raw, ["approximate"], ctx);
      return { approximate: attrEnum(raw, "approximate", ["none", "tanh"], ctx) };
    },
    float: (v, { approximate }) => (approximate === "tanh" ? geluTanh(v) : geluErf(v)),
    decompose: (g, x, { approximate }) => {
      if (approximate === "none") {
        // 0.5·x·(1 + erf(x/√2))
        return g.mul(g.mul(x, 0.5), g.add(g.erf(g.div(x, Math.SQRT2)), 1));
      }
      // x·σ(2u), u = √(2/π)(x + 0.044715x³), the same association as geluTanh.
      const cubic = g.mul(x, g.add(g.mul(g.square(x), GELU_CUBIC), 1));
      return g.mul(x, g.sigmoid(g.mul(cubic, 2 * SQRT_2_OVER_PI)));
    },
  }),

  // add and sub of two int32 values are exact in float64, so `| 0` wraps them correctly;
  // a product may not be (up to 2⁶²), hence Math.imul.
  add: arithmetic(
    "add",
    "Sum a + b with broadcasting.",
    (a, b) => a + b,
    (a, b) => (a + b) | 0,
    {
      jvp: ({ g, tangent }) => addTangents(g, tangent(0), tangent(1)),
      linearity: { kind: "joint", operands: [0, 1] },
      transpose: ({ g, ct, types }) => [
        unbroadcast(g, ct, types[0]!.shape),
        unbroadcast(g, ct, types[1]!.shape),
      ],
    },
  ),
  sub: arithmetic(
    "sub",
    "Difference a − b with broadcasting.",
    (a, b) => a - b,
    (a, b) => (a - b) | 0,
    {
      jvp: ({ g, tangent }) => {
        const [ta, tb] = [tangent(0), tangent(1)];
        return ta && tb ? g.sub(ta, tb) : (ta ?? (tb && g.neg(tb)));
      },
      linearity: { kind: "joint", operands: [0, 1] },
      transpose: ({ g, ct, types }) => [
        unbroadcast(g, ct, types[0]!.shape),
        g.neg(unbroadcast(g, ct, types[1]!.shape)),
      ],
    },
  ),
  mul: arithmetic("mul", "Product a · b with broadcasting.", (a, b) => a * b, Math.imul, {
    jvp: ({ g, primals: [a, b], tangent }) => {
      const [ta, tb] = [tangent(0), tangent(1)];
      return addTangents(g, ta && g.mul(ta, b!), tb && g.mul(a!, tb));
    },
    linearity: { kind: "separate", operands: [0, 1] },
    transpose: ({ g, ct, types, residuals: [a, b], linear }) => [
      linear[0] ? unbroadcast(g, g.mul(ct, b!), types[0]!.shape) : null,
      linear[1] ? unbroadcast(g, g.mul(a!, ct), types[1]!.shape) : null,
    ],
  }),
  div: arithmetic(
    "div",
    "Quotient a / b with broadcasting; int32 division truncates toward zero.",
    (a, b) => a / b,
    // trunc(a / b) is exact for |a| < 2⁵³; division by zero gives 0 (as NumPy) and
    // −2³¹ / −1 wraps to −2³¹.
    (a, b) => (b === 0 ? 0 : Math.trunc(a / b) | 0),
    {
      // d(a/b) = da/b − (a/b)·db/b
      jvp: ({ g, primals: [, b], out, tangent }) => {
        const [ta, tb] = [tangent(0), tangent(1)];
        return addTangents(g, ta && g.div(ta, b!), tb && g.neg(g.mul(tb, g.div(out, b!))));
      },
      // Linear in the numerator only.
      linearity: { kind: "separate", operands: [0] },
      transpose: ({ g, ct, types, residuals: [, b] }) => [
        unbroadcast(g, g.div(ct, b!), types[0]!.shape),
        null,
      ],
    },
  ),
  pow: arithmetic("pow", "Power aᵇ with broadcasting; for int32, trunc(aᵇ).", Math.pow, intPow, {
    // d(aᵇ) = b·a^(b−1)·da + aᵇ·ln(a)·db, with ln(a) taken as 0 at a = 0 (as JAX) so that
    // 0^b with b > 0 has a zero, not NaN, derivative in b.
    jvp: ({ g, primals: [a, b], out, tangent }) => {
      const [ta, tb] = [tangent(0), tangent(1)];
      const logA = tb && g.select(g.eq(a!, 0), 0, g.log(a!));
      return addTangents(
        g,
        ta && g.mul(ta, g.mul(b!, g.pow(a!, g.sub(b!, 1)))),
        tb && g.mul(tb, g.mul(out, logA!)),
      );
    },
  }),
  maximum: arithmetic("maximum", "Elementwise maximum; NaN propagates.", Math.max, Math.max, {
    jvp: (args) => extremumJvp(args, (g, a, b) => g.gt(a, b)),
  }),
  minimum: arithmetic("minimum", "Elementwise minimum; NaN propagates.", Math.min, Math.min, {
    jvp: (args) => extremumJvp(args, (g, a, b) => g.lt(a, b)),
  }),

  eq: comparison("eq", "a == b (bool).", (a, b) => a === b),
  ne: comparison("ne", "a != b (bool); true when either is NaN.", (a, b) => a !== b),
  lt: comparison("lt", "a < b (bool).", (a, b) => a < b),
  le: comparison("le", "a ≤ b (bool).", (a, b) => a <= b),
  gt: comparison("gt", "a > b (bool).", (a, b) => a > b),
  ge: comparison("ge", "a ≥ b (bool).", (a, b) => a >= b),

  select: defineOp<NoAttrs>({
    name: "select",
    doc: "cond ? a : b elementwise, with cond, a and b broadcast together.",
    category: "elementwise",
    kind: "primitive",
    operands: ["cond", "a", "b"],
    validateAttrs: noAttrs,
    inferShape: (inputs, _attrs, ctx) => broadcastOperands(inputs, ctx),
    inferDtype: ([cond, a, b], _attrs, ctx) => {
      if (cond!.dtype !== "bool") {
        ctx.fail(
          "NNC2002",
          `cond must be bool, got ${cond!.dtype}; compare it first (g.ne(cond, 0))`,
        );
      }
      return sameDtype([a!, b!], ctx, "a and b");
    },
    evaluate: ([cond, a, b]) => {
      const shape = tryBroadcastShapes(cond!.shape, a!.shape, b!.shape)!;
      return mapBroadcast([cond!, a!, b!], shape, (c, x, y) => (c !== 0 ? x : y));
    },
    // The condition is not differentiated (it is bool); a missing branch tangent is 0.
    jvp: ({ g, primals: [cond], tangent }) => {
      const [ta, tb] = [tangent(1), tangent(2)];
      return ta || tb ? g.select(cond!, ta ?? 0, tb ?? 0) : null;
    },
    linearity: { kind: "joint", operands: [1, 2] },
    transpose: ({ g, ct, types, residuals: [cond], linear }) => [
      null,
      linear[1] ? unbroadcast(g, g.select(cond!, ct, 0), types[1]!.shape) : null,
      linear[2] ? unbroadcast(g, g.select(cond!, 0, ct), types[2]!.shape) : null,
    ],
  }),

  cast: defineOp<OpAttrMap["cast"]>({
    name: "cast",
    doc: "Converts to another dtype: float → int32 truncates toward zero, → bool is x ≠ 0.",
    category: "elementwise",
    kind: "primitive",
    operands: ["x"],
    validateAttrs: (raw, ctx) => {
      checkKeys(raw, ["to"], ctx);
      return { to: attrDType(raw, "to", ctx) };
    },
    inferShape: ([x]) => [...x!.shape],
    inferDtype: (_inputs, { to }) => to,
    evaluate: ([x], { to }): RefTensor =>
      // float32 values are carried in float64 and bool values are already 0/1, so only the
      // int32 and bool targets change anything.
      to === "int32"
        ? mapUnary(x!, toInt32)
        : to === "bool"
          ? mapUnary(x!, (v) => (v !== 0 ? 1 : 0))
          : mapUnary(x!, (v) => v),
    // Only float → float32 casts carry a tangent (the identity); integer and bool results carry
    // none, and an integer operand's tangent is an error the moment it is needed.
    jvp: ({ tangent }) => tangent(0),
    linearity: { kind: "joint", operands: [0] },
    transpose: ({ ct }) => [ct],
  }),
};

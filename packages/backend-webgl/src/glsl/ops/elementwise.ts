import type { Node } from "@nnc/core";
import { ERF_COEFFICIENTS } from "@nnc/core";
import type { GlslContext, GlslEmitter, PrimitiveOp } from "../emit-context.js";
import { affineIndex, broadcastStrides, floatLiteral, glslType } from "../index-math.js";

// Elementwise primitives as GLSL expressions over their operands' elements (locals a0, a1, …),
// with the reference semantics of core's ops/elementwise.ts: int32 arithmetic wraps (GLSL ES
// 3.00 highp int is two's complement and wraps on + − ×), int32 division truncates and maps a
// division by zero to 0, comparisons give 0/1, float → int32 casts truncate and saturate with
// NaN → 0, and NaN propagates through max/min/relu as Math.max does (GLSL's max is unspecified
// for NaN, hence the explicit isnan).

/** The elementwise primitives. */
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

/** An expression over operand locals; `helper` declares shader-level functions. */
type Scalar = (args: readonly string[], node: Node, ctx: GlslContext) => string;

const NAN = "uintBitsToFloat(0x7fc00000u)";
const INF = "uintBitsToFloat(0x7f800000u)";

const isInt = (node: Node) => node.type.dtype === "int32";

const unary =
  (f: (a: string, node: Node) => string): Scalar =>
  ([a], node) =>
    f(a!, node);

const binary =
  (
    float: (a: string, b: string) => string,
    int: (a: string, b: string) => string = float,
  ): Scalar =>
  ([a, b], node) =>
    isInt(node) ? int(a!, b!) : float(a!, b!);

const compare =
  (op: string): Scalar =>
  ([a, b]) =>
    `int(${a} ${op} ${b})`;

/** Truncating int32 division: 0 for a zero divisor, −2³¹ / −1 wraps to −2³¹. */
const INT_DIV = `int nncIdiv(int a, int b) {
  if (b == 0) return 0;
  if (b == -1) return -a;
  uint ua = a < 0 ? uint(-a) : uint(a);
  uint ub = b < 0 ? uint(-b) : uint(b);
  int q = int(ua / ub);
  return (a < 0) != (b < 0) ? -q : q;
}`;

/** aᵇ for int32, wrapping like repeated multiplication; trunc(aᵇ) for negative b. */
const INT_POW = `int nncIpow(int a, int b) {
  if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) == 0 ? 1 : -1) : 0;
  int result = 1;
  int base = a;
  for (int k = 0; k < 32; k++) {
    if (b == 0) break;
    if ((b & 1) == 1) result *= base;
    base *= base;
    b >>= 1;
  }
  return result;
}`;

/** Math.pow's special cases, which GLSL's pow leaves undefined (a ≤ 0, infinities, NaN). */
const FLOAT_POW = `float nncPow(float a, float b) {
  if (b == 0.0) return 1.0;
  if (isnan(a) || isnan(b)) return ${NAN};
  float m = abs(a);
  if (isinf(b)) {
    if (m == 1.0) return ${NAN};
    return (m > 1.0) == (b > 0.0) ? ${INF} : 0.0;
  }
  bool integer = floor(b) == b;
  bool odd = integer && mod(b, 2.0) == 1.0;
  if (a < 0.0 && !integer) return ${NAN};
  float r;
  if (m == 0.0) r = b > 0.0 ? 0.0 : ${INF};
  else if (isinf(m)) r = b > 0.0 ? ${INF} : 0.0;
  else r = exp2(b * log2(m));
  return a < 0.0 && odd ? -r : r;
}`;

/** tanh from e^{−2|x|}: no overflow for large |x| (GLSL's may return NaN there). */
const TANH = `float nncTanh(float x) {
  if (isnan(x)) return x;
  float t = exp(-2.0 * abs(x));
  float r = (1.0 - t) / (1.0 + t);
  return x < 0.0 ? -r : r;
}`;

// sin and cos: SwiftShader's builtins are off by ~2e-4 absolute, so both are computed as in
// Cephes' sinf/cosf: Cody–Waite reduction by π/4 in three float32 parts (exact for |x| up to
// ~8192), then minimax polynomials on [−π/4, π/4]. Beyond 2²³ the builtin is used.
const SIN_COS = `float nncSinCos(float x, bool cosine) {
  if (isnan(x) || isinf(x)) return ${NAN};
  float y = abs(x);
  if (y > 8388608.0) return cosine ? cos(x) : sin(x);
  float sgn = !cosine && x < 0.0 ? -1.0 : 1.0;
  int j = int(y * 1.2732395447351628);
  float yf = float(j);
  if ((j & 1) == 1) { j += 1; yf += 1.0; }
  j = j & 7;
  if (j > 3) { sgn = -sgn; j -= 4; }
  if (cosine && j > 1) sgn = -sgn;
  float z = ((y - yf * 0.78515625) - yf * 2.4187564849853515625e-4) - yf * 3.77489497744594108e-8;
  float zz = z * z;
  bool useCos = cosine ? (j == 0 || j == 3) : (j == 1 || j == 2);
  float r = useCos
    ? 1.0 - 0.5 * zz + zz * zz * ((2.443315711809948e-5 * zz - 1.388731625493765e-3) * zz + 4.166664568298827e-2)
    : z + z * zz * ((-1.9515295891e-4 * zz + 8.3321608736e-3) * zz - 1.6666654611e-1);
  return sgn * r;
}`;

// erf: the same algorithm and coefficients as core's reference (W. J. Cody, 1969) and the CPU
// backend's kernels/erf.ts, in float32.
const {
  a: ERF_A,
  b: ERF_B,
  c: ERFC_C,
  d: ERFC_D,
  p: ERFC_P,
  q: ERFC_Q,
  oneOverSqrtPi: ONE_OVER_SQRT_PI,
} = ERF_COEFFICIENTS;

function horner(p: readonly number[], q: readonly number[], steps: number, z: string): string[] {
  const f = floatLiteral;
  return Array.from(
    { length: steps },
    (_, i) => `    num = (num + ${f(p[i]!)}) * ${z}; den = (den + ${f(q[i]!)}) * ${z};`,
  );
}

/** The source of `float nncErf(float x)`. */
export function erfHelper(): string {
  const f = floatLiteral;
  return [
    "float nncErf(float x) {",
    "  if (isnan(x)) return x;",
    "  float y = abs(x);",
    "  if (y <= 0.46875) {",
    "    float z = x * x;",
    `    float num = ${f(ERF_A[4]!)} * z; float den = z;`,
    ...horner(ERF_A, ERF_B, 3, "z"),
    `    return (x * (num + ${f(ERF_A[3]!)})) / (den + ${f(ERF_B[3]!)});`,
    "  }",
    "  float ratio;",
    "  if (y <= 4.0) {",
    `    float num = ${f(ERFC_C[8]!)} * y; float den = y;`,
    ...horner(ERFC_C, ERFC_D, 7, "y"),
    `    ratio = (num + ${f(ERFC_C[7]!)}) / (den + ${f(ERFC_D[7]!)});`,
    "  } else if (y >= 26.543) {",
    "    return x < 0.0 ? -1.0 : 1.0;",
    "  } else {",
    "    float z = 1.0 / (y * y);",
    `    float num = ${f(ERFC_P[5]!)} * z; float den = z;`,
    ...horner(ERFC_P, ERFC_Q, 4, "z"),
    `    ratio = (${f(ONE_OVER_SQRT_PI)} - (z * (num + ${f(ERFC_P[4]!)})) / (den + ${f(ERFC_Q[4]!)})) / y;`,
    "  }",
    "  // e^{-y²} with y² split as r² + (y − r)(y + r), r = y rounded down to 1/16.",
    "  float r = trunc(16.0 * y) / 16.0;",
    "  float value = 1.0 - exp(-r * r - (y - r) * (y + r)) * ratio;",
    "  return x < 0.0 ? -value : value;",
    "}",
  ].join("\n");
}

/** Every elementwise primitive as a GLSL expression over its operands' locals. */
export const SCALAR: { readonly [P in ElementwisePrimitive]: Scalar } = {
  neg: unary((a) => `-${a}`),
  abs: ([a], node) => (isInt(node) ? `(${a} < 0 ? -${a} : ${a})` : `abs(${a})`),
  sign: ([a], node) => (isInt(node) ? `sign(${a})` : `(isnan(${a}) ? ${a} : sign(${a}))`),
  exp: unary((a) => `exp(${a})`),
  log: unary((a) => `log(${a})`),
  sqrt: unary((a) => `sqrt(${a})`),
  rsqrt: unary((a) => `1.0 / sqrt(${a})`),
  square: unary((a) => `${a} * ${a}`),
  reciprocal: unary((a) => `1.0 / ${a}`),
  sin: ([a], _node, ctx) => `${ctx.helper("nncSinCos", SIN_COS)}(${a}, false)`,
  erf: ([a], _node, ctx) => `${ctx.helper("nncErf", erfHelper())}(${a})`,
  cos: ([a], _node, ctx) => `${ctx.helper("nncSinCos", SIN_COS)}(${a}, true)`,
  tanh: ([a], _node, ctx) => `${ctx.helper("nncTanh", TANH)}(${a})`,
  sigmoid: unary((a) => `1.0 / (1.0 + exp(-${a}))`),
  relu: ([a], node) => (isInt(node) ? `max(${a}, 0)` : `(isnan(${a}) ? ${a} : max(${a}, 0.0))`),
  leaky_relu: unary(
    (a, node) => `(${a} > 0.0 ? ${a} : ${floatLiteral(node.attrs.alpha as number)} * ${a})`,
  ),
  elu: unary(
    (a, node) =>
      `(${a} > 0.0 ? ${a} : ${floatLiteral(node.attrs.alpha as number)} * (exp(${a}) - 1.0))`,
  ),
  softplus: unary((a) => `(isnan(${a}) ? ${a} : max(${a}, 0.0) + log(1.0 + exp(-abs(${a}))))`),

  add: binary((a, b) => `${a} + ${b}`),
  sub: binary((a, b) => `${a} - ${b}`),
  mul: binary((a, b) => `${a} * ${b}`),
  div: ([a, b], node, ctx) =>
    isInt(node) ? `${ctx.helper("nncIdiv", INT_DIV)}(${a}, ${b})` : `${a} / ${b}`,
  pow: ([a, b], node, ctx) =>
    isInt(node)
      ? `${ctx.helper("nncIpow", INT_POW)}(${a}, ${b})`
      : `${ctx.helper("nncPow", FLOAT_POW)}(${a}, ${b})`,
  maximum: binary(
    (a, b) => `(isnan(${a}) || isnan(${b}) ? ${NAN} : max(${a}, ${b}))`,
    (a, b) => `max(${a}, ${b})`,
  ),
  minimum: binary(
    (a, b) => `(isnan(${a}) || isnan(${b}) ? ${NAN} : min(${a}, ${b}))`,
    (a, b) => `min(${a}, ${b})`,
  ),

  eq: compare("=="),
  ne: compare("!="),
  lt: compare("<"),
  le: compare("<="),
  gt: compare(">"),
  ge: compare(">="),

  select: ([c, a, b]) => `(${c} != 0 ? ${a} : ${b})`,
  cast: ([a], node, ctx) => {
    const from = ctx.program.graph.node(node.inputs[0]!).type.dtype;
    const to = node.type.dtype;
    if (from === to) return a!;
    if (to === "float32") return `float(${a})`;
    if (to === "bool") return from === "float32" ? `int(${a} != 0.0)` : `int(${a} != 0)`;
    // float → int32: truncation, saturating, NaN → 0; bool → int32 is already 0/1.
    if (from === "bool") return a!;
    return `(isnan(${a}) ? 0 : ${a} >= 2147483647.0 ? 2147483647 : ${a} <= -2147483648.0 ? (-2147483647 - 1) : int(${a}))`;
  },
  stop_gradient: ([a]) => a!,
};

/** Any elementwise node: its operands read through broadcasting index maps into locals. */
export const emitElementwise: GlslEmitter = (ctx, node) => {
  const graph = ctx.program.graph;
  const lines: string[] = [];
  const args = node.inputs.map((id) => {
    const input = graph.node(id);
    const index = affineIndex(
      "i",
      node.type.shape,
      broadcastStrides(input.type.shape, node.type.shape),
    );
    const name = ctx.local("a");
    lines.push(`${glslType(input.type.dtype)} ${name} = ${ctx.read(id, index)};`);
    return name;
  });
  const expr = SCALAR[node.op as ElementwisePrimitive](args, node, ctx);
  lines.push(`return ${expr};`);
  return lines.join("\n");
};

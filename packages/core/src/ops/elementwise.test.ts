import { describe, expect, it } from "vitest";
import type { DType } from "../dtype.js";
import { isNncError } from "../errors.js";
import { evaluate, type ReferenceArray } from "../evaluate.js";
import { GraphBuilder } from "../graph-builder.js";
import type { OpName } from "../op-attrs.js";
import type { OpSample } from "../op-samples.js";
import { createRng, type Rng } from "../random.js";
import { opDef } from "../registry.js";
import { type Shape, sizeOf } from "../shape.js";
import type { Value } from "../value.js";
import { elementwiseOps, erf, erfc } from "./elementwise.js";
import { elementwiseSamples } from "./elementwise.samples.js";

// ---- helpers ----------------------------------------------------------------------------------

interface Operand {
  readonly values: readonly number[];
  readonly shape?: Shape;
  readonly dtype?: DType;
}

/** Builds `build(g, ...operands)` over graph inputs and evaluates it with the reference. */
function run(
  build: (g: GraphBuilder, ...xs: Value[]) => Value,
  ...operands: Operand[]
): ReferenceArray {
  const g = new GraphBuilder("test");
  const feeds: Record<string, readonly number[]> = {};
  const xs = operands.map((o, i) => {
    feeds[`x${i}`] = o.values;
    return g.input(`x${i}`, o.shape ?? [o.values.length], o.dtype ?? "float32");
  });
  g.output("y", build(g, ...xs));
  return evaluate(g.build(), feeds).y!;
}

/** Applies a unary builder method to float32 (or `dtype`) values. */
function unary(
  build: (g: GraphBuilder, x: Value) => Value,
  values: readonly number[],
  dtype?: DType,
): number[] {
  return Array.from(run(build, { values, ...(dtype && { dtype }) }));
}

/** Elementwise |a − e| ≤ atol + rtol·|e|, with non-finite values matched exactly. */
function expectClose(
  actual: ArrayLike<number>,
  expected: readonly number[],
  rtol = 1e-15,
  atol = 0,
): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    const a = actual[i]!;
    if (!Number.isFinite(e)) expect(a).toBe(e);
    else
      expect(Math.abs(a - e), `element ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(
        atol + rtol * Math.abs(e),
      );
  });
}

// ---- unary math -------------------------------------------------------------------------------

describe("unary math", () => {
  it("neg, abs, sign", () => {
    expect(unary((g, x) => g.neg(x), [1.5, -2, 7])).toEqual([-1.5, 2, -7]);
    expect(unary((g, x) => g.abs(x), [1.5, -2, -0])).toEqual([1.5, 2, 0]);
    // sign(±0) is +0, never −0; NaN stays NaN.
    expect(unary((g, x) => g.sign(x), [-3, -0, 0, 2.5, Number.NaN, -1e-300])).toEqual([
      -1,
      0,
      0,
      1,
      Number.NaN,
      -1,
    ]);
  });

  it("exp, log, sqrt, rsqrt, reciprocal, square", () => {
    expectClose(
      unary((g, x) => g.exp(x), [0, 1, Math.LN2, -Infinity]),
      [1, Math.E, 2, 0],
      1e-15,
    );
    expect(unary((g, x) => g.log(x), [1, 0, -1])).toEqual([0, -Infinity, Number.NaN]);
    expectClose(
      unary((g, x) => g.log(x), [Math.E, 8]),
      [1, 3 * Math.LN2],
    );
    expect(unary((g, x) => g.sqrt(x), [4, 2.25, 0, -1])).toEqual([2, 1.5, 0, Number.NaN]);
    expect(unary((g, x) => g.rsqrt(x), [4, 0.25, 0])).toEqual([0.5, 2, Infinity]);
    expect(unary((g, x) => g.reciprocal(x), [4, -0.5, 0, -0])).toEqual([
      0.25,
      -2,
      Infinity,
      -Infinity,
    ]);
    expect(unary((g, x) => g.square(x), [3, -1.5, 0])).toEqual([9, 2.25, 0]);
  });

  it("sin, cos, tanh", () => {
    expectClose(
      unary((g, x) => g.sin(x), [Math.PI / 6, Math.PI / 2, -Math.PI / 2]),
      [0.5, 1, -1],
      1e-15,
    );
    expectClose(
      unary((g, x) => g.cos(x), [0, Math.PI / 3, Math.PI]),
      [1, 0.5, -1],
      1e-15,
    );
    // tanh(ln 2) = (2 − ½) / (2 + ½) = 0.6
    expectClose(
      unary((g, x) => g.tanh(x), [Math.LN2, -Math.LN2, 1000, -1000]),
      [0.6, -0.6, 1, -1],
      1e-15,
    );
  });

  it("erf to double precision", () => {
    const xs = [0.5, 1, 2, -3, 1e-10, 0, -0.46875, 4.5];
    // Values from the defining integral at 40 digits, rounded to float64.
    const expected = [
      0.5204998778130465, 0.8427007929497149, 0.9953222650189527, -0.9999779095030014,
      1.1283791670955126e-10, 0, -0.49261347321793797, 0.9999999998033839,
    ];
    expectClose(
      unary((g, x) => g.erf(x), xs),
      expected,
      1e-15,
    );
    expect(unary((g, x) => g.erf(x), [30, -30, Infinity, Number.NaN])).toEqual([
      1,
      -1,
      1,
      Number.NaN,
    ]);
  });

  it("erf is odd and erfc keeps relative accuracy in the tail", () => {
    for (const x of [0.1, 0.46875, 0.47, 1.3, 3.9, 4.1, 6]) expect(erf(-x)).toBe(-erf(x));
    // erfc(5) = 1.537459794428035e−12, erfc(10) = 2.088487583762545e−45: 1 − erf(x) would be 0.
    expectClose(
      [erfc(5), erfc(10), erfc(-1)],
      [1.537459794428035e-12, 2.088487583762545e-45, 1.8427007929497148],
      1e-14,
    );
  });
});

// ---- activations ------------------------------------------------------------------------------

describe("activations", () => {
  it("sigmoid is exact in the middle and saturates without NaN", () => {
    // σ(ln 3) = 1 / (1 + 1/3) = 0.75
    expectClose(
      unary((g, x) => g.sigmoid(x), [0, Math.log(3), -Math.log(3)]),
      [0.5, 0.75, 0.25],
    );
    expect(unary((g, x) => g.sigmoid(x), [1000, -1000, Infinity, -Infinity])).toEqual([1, 0, 1, 0]);
    // Tiny but not zero: σ(−700) ≈ e^−700, where 1 / (1 + e^700) would overflow to 0 / ∞ issues.
    expectClose(
      unary((g, x) => g.sigmoid(x), [-700]),
      [Math.exp(-700)],
      1e-12,
    );
  });

  it("relu is 0 at exactly 0 and keeps int32", () => {
    expect(unary((g, x) => g.relu(x), [-2, -0, 0, 3.5])).toEqual([0, 0, 0, 3.5]);
    expect(unary((g, x) => g.relu(x), [Number.NaN])).toEqual([Number.NaN]);
    const y = run((g, x) => g.relu(x!), { values: [-7, 0, 9], dtype: "int32" });
    expect(y).toBeInstanceOf(Int32Array);
    expect(Array.from(y)).toEqual([0, 0, 9]);
  });

  it("leaky_relu has slope 0.01 by default", () => {
    expectClose(
      unary((g, x) => g.leakyRelu(x), [-1, 2, -100]),
      [-0.01, 2, -1],
    );
    expect(unary((g, x) => g.leakyRelu(x), [0])).toEqual([0]);
    expectClose(
      unary((g, x) => g.leakyRelu(x, 0.2), [-5, 5]),
      [-1, 5],
    );
  });

  it("elu uses expm1 near 0", () => {
    // α(e^{−ln 2} − 1) = −α/2
    expectClose(
      unary((g, x) => g.elu(x), [-Math.LN2, 3, 0]),
      [-0.5, 3, 0],
    );
    expectClose(
      unary((g, x) => g.elu(x, 2), [-Math.LN2, -1000]),
      [-1, -2],
    );
    // e^{−1e−10} − 1 = −1e−10 + 5e−21 − …; exp(x) − 1 would be off in the 8th digit.
    expectClose(
      unary((g, x) => g.elu(x), [-1e-10]),
      [-9.9999999995e-11],
      1e-15,
    );
  });

  it("softplus is stable in both tails", () => {
    // log(1 + 1) = ln 2, log(1 + 3) = 2 ln 2
    expectClose(
      unary((g, x) => g.softplus(x), [0, Math.log(3)]),
      [Math.LN2, 2 * Math.LN2],
    );
    expect(unary((g, x) => g.softplus(x), [1000, -1000])).toEqual([1000, 0]);
    // log(1 + e^−50) = e^−50 − … to double precision.
    expectClose(
      unary((g, x) => g.softplus(x), [-50]),
      [1.9287498479639178e-22],
      1e-15,
    );
  });

  it("swish tends to x/2 as β → 0 and to ReLU as β → ∞ (SEEDS S3)", () => {
    const xs = [-3, -0.5, 0.5, 2];
    expectClose(
      unary((g, x) => g.swish(x, 1e-6), xs),
      xs.map((x) => x / 2),
      // x·σ(βx) = x/2 + βx²/4 + O(β³): the relative gap is β|x|/2.
      1e-5,
    );
    const big = unary((g, x) => g.swish(x, 1e6), xs);
    for (const [i, x] of xs.entries()) expect(big[i]).toBeCloseTo(Math.max(x, 0), 12);
    // β = 1 (SiLU): ln 3 · σ(ln 3) = 0.75 ln 3
    expectClose(
      unary((g, x) => g.swish(x), [Math.log(3)]),
      [0.75 * Math.log(3)],
    );
  });

  it("gelu, exact and tanh-approximated", () => {
    // x·Φ(x): Φ(1) = 0.8413447460685429, Φ(−10) = 7.619853024160526e−24.
    expect(unary((g, x) => g.gelu(x), [1, 0])).toEqual([0.8413447460685429, 0]);
    expectClose(
      unary((g, x) => g.gelu(x), [-1, -10]),
      [-0.15865525393145705, -7.619853024160526e-23],
      1e-14,
    );
    // 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) at 40 digits.
    expectClose(
      unary((g, x) => g.gelu(x, { approximate: "tanh" }), [1, -1, 2, -3]),
      [0.8411919906082767, -0.1588080093917233, 1.954597694087775, -0.0036373920817730186],
      1e-14,
    );
  });
});

// ---- binary -----------------------------------------------------------------------------------

describe("binary arithmetic", () => {
  it("broadcasts by NumPy rules: [2,1] with [3] gives [2,3]", () => {
    const y = run(
      (g, a, b) => g.add(a!, b!),
      { values: [1, 2], shape: [2, 1] },
      { values: [10, 20, 30], shape: [3] },
    );
    expect(Array.from(y)).toEqual([11, 21, 31, 12, 22, 32]);
  });

  it("broadcasts [3,1,4] with [2,1] to [3,2,4]", () => {
    const a = Array.from({ length: 12 }, (_, i) => i);
    const b = [100, 200];
    const y = run(
      (g, x, z) => g.sub(x!, z!),
      { values: a, shape: [3, 1, 4] },
      { values: b, shape: [2, 1] },
    );
    const expected: number[] = [];
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 2; j++) for (let k = 0; k < 4; k++) expected.push(a[i * 4 + k]! - b[j]!);
    expect(Array.from(y)).toEqual(expected);
  });

  it("scalars broadcast, and literals take the other operand's dtype", () => {
    const y = run((g, x) => g.mul(g.add(x!, 1), 2), { values: [1, 2, 3], dtype: "int32" });
    expect(y).toBeInstanceOf(Int32Array);
    expect(Array.from(y)).toEqual([4, 6, 8]);
    const s = run(
      (g, a, b) => g.div(a!, b!),
      { values: [3], shape: [] },
      { values: [4], shape: [] },
    );
    expect(Array.from(s)).toEqual([0.75]);
  });

  it("float div, pow, maximum, minimum", () => {
    const pair = (
      build: (g: GraphBuilder, a: Value, b: Value) => Value,
      a: number[],
      b: number[],
    ) => Array.from(run((g, x, y) => build(g, x!, y!), { values: a }, { values: b }));
    expect(pair((g, a, b) => g.div(a, b), [7, -7, 1, 0], [2, 2, 0, 0])).toEqual([
      3.5,
      -3.5,
      Infinity,
      Number.NaN,
    ]);
    expect(pair((g, a, b) => g.pow(a, b), [2, 4, 2, 0], [10, 0.5, -1, 0])).toEqual([
      1024, 2, 0.5, 1,
    ]);
    expect(pair((g, a, b) => g.maximum(a, b), [1, 5, Number.NaN, -0], [3, 2, 1, 0])).toEqual([
      3,
      5,
      Number.NaN,
      0,
    ]);
    expect(pair((g, a, b) => g.minimum(a, b), [1, 5, 2], [3, 2, Number.NaN])).toEqual([
      1,
      2,
      Number.NaN,
    ]);
  });

  it("int32: division truncates toward zero and arithmetic wraps", () => {
    const int = (
      build: (g: GraphBuilder, a: Value, b: Value) => Value,
      a: number[],
      b: number[],
    ) => {
      const y = run(
        (g, x, z) => build(g, x!, z!),
        { values: a, dtype: "int32" },
        { values: b, dtype: "int32" },
      );
      expect(y).toBeInstanceOf(Int32Array);
      return Array.from(y);
    };
    // −7 / 2 = −3.5 → −3 (not floor's −4); x / 0 → 0; −2³¹ / −1 overflows and wraps.
    expect(
      int((g, a, b) => g.div(a, b), [7, -7, 7, -7, 5, -2147483648], [2, 2, -2, -2, 0, -1]),
    ).toEqual([3, -3, -3, 3, 0, -2147483648]);
    expect(int((g, a, b) => g.add(a, b), [2147483647, -5], [1, 3])).toEqual([-2147483648, -2]);
    expect(int((g, a, b) => g.sub(a, b), [-2147483648], [1])).toEqual([2147483647]);
    // 65536² = 2³² ≡ 0; 46341 · 46340 = 2147441940 fits.
    expect(int((g, a, b) => g.mul(a, b), [65536, 46341, -3], [65536, 46340, 4])).toEqual([
      0, 2147441940, -12,
    ]);
    expect(int((g, a, b) => g.maximum(a, b), [3, -4], [2, 9])).toEqual([3, 9]);
  });

  it("int32 pow is trunc(aᵇ), wrapping past 2³¹", () => {
    const y = run(
      (g, a, b) => g.pow(a!, b!),
      { values: [2, -3, 2, 1, -1, -1, 0, 7, 2, 3], dtype: "int32" },
      { values: [10, 3, -1, -5, -3, -2, 0, 0, 31, 20], dtype: "int32" },
    );
    // 2³¹ wraps to −2³¹; 3²⁰ = 3486784401 ≡ 3486784401 − 2³² = −808182895.
    expect(Array.from(y)).toEqual([1024, -27, 0, 1, -1, 1, 1, 1, -2147483648, -808182895]);
  });

  it("int32 unary ops", () => {
    expect(unary((g, x) => g.neg(x), [5, -2147483648], "int32")).toEqual([-5, -2147483648]);
    expect(unary((g, x) => g.abs(x), [-5, -2147483648], "int32")).toEqual([5, -2147483648]);
    expect(unary((g, x) => g.sign(x), [-5, 0, 8], "int32")).toEqual([-1, 0, 1]);
    // 46341² = 2147488281 ≡ 2147488281 − 2³² = −2147479015
    expect(unary((g, x) => g.square(x), [-12, 46341], "int32")).toEqual([144, -2147479015]);
  });
});

describe("comparisons and select", () => {
  const compare = (build: (g: GraphBuilder, a: Value, b: Value) => Value) => {
    const y = run((g, a) => build(g, a!, g.constant(2)), { values: [1, 2, 3, Number.NaN] });
    expect(y).toBeInstanceOf(Uint8Array);
    return Array.from(y);
  };

  it("give bool, false whenever NaN is involved (except ne)", () => {
    expect(compare((g, a, b) => g.eq(a, b))).toEqual([0, 1, 0, 0]);
    expect(compare((g, a, b) => g.ne(a, b))).toEqual([1, 0, 1, 1]);
    expect(compare((g, a, b) => g.lt(a, b))).toEqual([1, 0, 0, 0]);
    expect(compare((g, a, b) => g.le(a, b))).toEqual([1, 1, 0, 0]);
    expect(compare((g, a, b) => g.gt(a, b))).toEqual([0, 0, 1, 0]);
    expect(compare((g, a, b) => g.ge(a, b))).toEqual([0, 1, 1, 0]);
  });

  it("eq and ne accept bool", () => {
    const y = run(
      (g, a, b) => g.eq(a!, b!),
      { values: [1, 1, 0, 0], dtype: "bool" },
      { values: [1, 0, 1, 0], dtype: "bool" },
    );
    expect(Array.from(y)).toEqual([1, 0, 0, 1]);
  });

  it("select broadcasts cond, a and b", () => {
    const y = run(
      (g, c, a) => g.select(c!, a!, -1),
      { values: [1, 0], shape: [2, 1], dtype: "bool" },
      { values: [1, 2, 3], shape: [3] },
    );
    expect(Array.from(y)).toEqual([1, 2, 3, -1, -1, -1]);
  });
});

describe("cast", () => {
  const cast = (values: number[], from: DType, to: DType) =>
    run((g, x) => g.cast(x!, to), { values, dtype: from });

  it("float → int32 truncates toward zero, saturates, and maps NaN to 0", () => {
    const y = cast([-2.7, -0.5, 0.5, 2.9, 1e10, -1e10, Number.NaN], "float32", "int32");
    expect(y).toBeInstanceOf(Int32Array);
    expect(Array.from(y)).toEqual([-2, 0, 0, 2, 2147483647, -2147483648, 0]);
  });

  it("→ bool is x ≠ 0; bool → number is 0 / 1", () => {
    expect(Array.from(cast([0, -0, 0.1, Number.NaN, -3], "float32", "bool"))).toEqual([
      0, 0, 1, 1, 1,
    ]);
    expect(Array.from(cast([0, 7, -1], "int32", "bool"))).toEqual([0, 1, 1]);
    const f = cast([1, 0], "bool", "float32");
    expect(f).toBeInstanceOf(Float64Array);
    expect(Array.from(f)).toEqual([1, 0]);
    expect(Array.from(cast([-3, 5], "int32", "float32"))).toEqual([-3, 5]);
  });
});

// ---- errors -----------------------------------------------------------------------------------

describe("errors", () => {
  it("incompatible broadcast", () => {
    const g = new GraphBuilder("errors");
    const a = g.input("a", [3, 1, 4]);
    const b = g.input("b", [2, 5]);
    expect(() => g.add(a, b)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2001: add: shapes [3,1,4] and [2,5] cannot be broadcast (4 vs 5 at axis -1)
        a: f32[3,1,4]  input "a"
        b: f32[2,5]  input "b"
        node: add
        at src/ops/elementwise.test.ts:435:20]
    `);
  });

  it("dtype mismatch names both dtypes", () => {
    const g = new GraphBuilder("errors");
    const a = g.input("a", [2]);
    const b = g.input("labels", [2], "int32");
    expect(() => g.mul(a, b)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2002: mul: operands have different dtypes (float32 vs int32); cast one with g.cast(x, "float32")
        a: f32[2]  input "a"
        b: i32[2]  input "labels"
        node: mul
        at src/ops/elementwise.test.ts:448:20]
    `);
  });

  it("bool arithmetic, float-only math on int32, non-bool cond", () => {
    const g = new GraphBuilder("errors");
    const m = g.input("mask", [2], "bool");
    const n = g.input("n", [2], "int32");
    const x = g.input("x", [2]);
    expect(() => g.add(m, m)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2002: add: operands must be float32 or int32, got bool; cast it first
        a: bool[2]  input "mask"
        b: bool[2]  input "mask"
        node: add
        at src/ops/elementwise.test.ts:462:20]
    `);
    expect(() => g.exp(n)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2002: exp: operand must be float32, got int32; cast it with g.cast(x, "float32")
        x: i32[2]  input "n"
        node: exp
        at src/ops/elementwise.test.ts:469:20]
    `);
    expect(() => g.select(x, x, x)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2002: select: cond must be bool, got float32; compare it first (g.ne(cond, 0))
        cond: f32[2]  input "x"
        a: f32[2]  input "x"
        b: f32[2]  input "x"
        node: select
        at src/ops/elementwise.test.ts:475:20]
    `);
  });

  it("attributes and operand counts", () => {
    const g = new GraphBuilder("errors");
    const x = g.input("x", [2]);
    expect(() => g.leakyRelu(x, Number.POSITIVE_INFINITY)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC1002: leaky_relu: attribute "alpha" must be a finite number, got Infinity
        x: f32[2]  input "x"
        node: leaky_relu
        at src/ops/elementwise.test.ts:488:20]
    `);
    expect(() => g.apply("relu", [x], { inplace: true })).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC1002: relu: unknown attribute "inplace"; it takes none
        x: f32[2]  input "x"
        node: relu
        at src/ops/elementwise.test.ts:494:20]
    `);
    expect(() => g.apply("add", [x])).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC1003: add: takes 2 operands (a, b), got 1
        a: f32[2]  input "x"
        node: add
        at src/ops/elementwise.test.ts:500:20]
    `);
  });
});

// ---- the samples themselves -------------------------------------------------------------------

function randomData(
  rng: Rng,
  dtype: DType,
  n: number,
  range: readonly [number, number] = [-2, 2],
): number[] {
  return Array.from({ length: n }, () =>
    dtype === "bool"
      ? rng.int(2)
      : dtype === "int32"
        ? Math.floor(rng.uniform(...range))
        : rng.uniform(...range),
  );
}

/** Builds a sample's op (and, for composites, its decomposition) on random data. */
function runSample(
  op: OpName,
  sample: OpSample,
  rng: Rng,
): { y: ReferenceArray; decomposed?: ReferenceArray } {
  const g = new GraphBuilder(op);
  const feeds: Record<string, number[]> = {};
  const xs = sample.inputs.map((type, i) => {
    feeds[`x${i}`] = randomData(rng, type.dtype, sizeOf(type.shape), sample.ranges?.[i]);
    return g.input(`x${i}`, type.shape, type.dtype);
  });
  const y = g.apply(op, xs, sample.attrs);
  g.output("y", y);
  const def = opDef(op);
  if (def.decompose) g.output("decomposed", def.decompose(g, xs, sample.attrs));
  const out = evaluate(g.build(), feeds);
  return { y: out.y!, ...(out.decomposed && { decomposed: out.decomposed }) };
}

describe("samples", () => {
  const ops = Object.keys(elementwiseSamples) as (keyof typeof elementwiseSamples)[];

  it.each(ops)("%s: valid samples build and evaluate; decompositions agree", (op) => {
    const rng = createRng(7);
    const samples = elementwiseSamples[op].valid(rng);
    expect(samples.length).toBeGreaterThanOrEqual(3);
    for (const sample of samples) {
      expect(sample.inputs.reduce((n, t) => n + sizeOf(t.shape), 0)).toBeLessThanOrEqual(2000);
      const { y, decomposed } = runSample(op, sample, rng);
      expect(elementwiseOps[op].kind === "composite").toBe(decomposed !== undefined);
      // 1 + erf(x/√2) in gelu's decomposition cancels for x ≪ 0: equal in absolute terms only.
      if (decomposed) expectClose(decomposed, Array.from(y), 1e-12, 1e-14);
      const finite = Array.from(y).every(Number.isFinite);
      expect(finite, `${op} ${JSON.stringify(sample)} produced a non-finite value`).toBe(true);
    }
  });

  it.each(ops)("%s: invalid samples raise their codes", (op) => {
    for (const bad of elementwiseSamples[op].invalid) {
      const g = new GraphBuilder(op);
      const xs = bad.inputs.map((type, i) => g.input(`x${i}`, type.shape, type.dtype));
      let code: string | undefined;
      try {
        g.apply(op, xs, bad.attrs);
      } catch (error) {
        if (!isNncError(error)) throw error;
        code = error.code;
      }
      expect(code, `${op}: ${bad.why}`).toBe(bad.code);
    }
  });

  it("validating canonical attributes is idempotent", () => {
    for (const op of ops) {
      for (const sample of elementwiseSamples[op].valid(createRng(3))) {
        const def = opDef(op);
        const ctx = {
          op,
          inputs: sample.inputs,
          fail: (): never => {
            throw new Error("rejected");
          },
        };
        const once = def.validateAttrs(sample.attrs, ctx);
        expect(def.validateAttrs(once, ctx)).toEqual(once);
      }
    }
  });
});

import { describe, expect, it } from "vitest";
import { evaluate, type Feeds } from "../evaluate.js";
import { GraphBuilder } from "../graph-builder.js";
import { createRng, type Rng, saltSeed } from "../random.js";
import { makeRuleContext } from "../rule-context.js";
import type { Value } from "../value.js";
import { dropoutMask, nnOps } from "./nn.js";

/** Builds a one-output graph with `build` and evaluates it. */
function run(build: (g: GraphBuilder) => Value, feeds: Feeds = {}): Float64Array {
  const g = new GraphBuilder("test");
  g.output("y", build(g));
  return Float64Array.from(evaluate(g.build(), feeds).y!);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]!));
    if (!(Math.abs(actual[i]! - expected[i]!) <= tol * scale)) {
      expect.fail(`element ${i}: ${actual[i]} is not within ${tol} of ${expected[i]}`);
    }
  }
}

function randomData(rng: Rng, n: number, low = -2, high = 2): Float64Array {
  return Float64Array.from({ length: n }, () => rng.uniform(low, high));
}

// ---- softmax, log_softmax ------------------------------------------------------------------------

describe("softmax", () => {
  it("of [0, ln 3] is [1/4, 3/4]", () => {
    const y = run((g) => g.softmax(g.input("x", [2])), { x: [0, Math.log(3)] });
    expectClose(y, [0.25, 0.75]);
  });

  it("is shift-invariant and stable at ±1000", () => {
    const y = run((g) => g.softmax(g.input("x", [2, 3])), {
      x: [1000, 1000, -1000, 1000 + Math.log(3), 1000, 1000 - 1000],
    });
    // Row 2: e^(ln 3) : 1 : e^-1000 ≈ 3 : 1 : 0.
    expectClose(y, [0.5, 0.5, 0, 0.75, 0.25, 0]);
  });

  it.each([0, 1, 2, -1])("rows along axis %i sum to 1", (axis) => {
    const shape = [3, 4, 5];
    const x = randomData(createRng(axis + 10), 60, -5, 5);
    const y = run((g) => g.softmax(g.input("x", shape), axis), { x });
    const a = (axis + 3) % 3;
    const strides = [20, 5, 1];
    const sums = new Map<number, number>();
    for (let f = 0; f < 60; f++) {
      expect(y[f]).toBeGreaterThan(0);
      // The lane's key: the flat index with the reduced coordinate zeroed.
      const key = f - (Math.floor(f / strides[a]!) % shape[a]!) * strides[a]!;
      sums.set(key, (sums.get(key) ?? 0) + y[f]!);
    }
    expect(sums.size).toBe(60 / shape[a]!);
    expectClose([...sums.values()], new Array(sums.size).fill(1), 1e-14);
  });

  it("stores a normalised axis and re-validates it unchanged", () => {
    const g = new GraphBuilder("test");
    const y = g.softmax(g.input("x", [2, 3, 4]), -2);
    g.output("y", y);
    const node = g.build().node(y.id);
    expect(node.attrs).toEqual({ axis: 1 });
    const ctx = makeRuleContext({
      op: "softmax",
      inputs: [{ dtype: "float32", shape: [2, 3, 4] }],
      roles: ["input"],
      describeOperand: () => "",
    });
    expect(nnOps.softmax.validateAttrs(node.attrs, ctx)).toEqual({ axis: 1 });
  });

  it("rejects an axis out of range", () => {
    const g = new GraphBuilder("test");
    const x = g.input("x", [2, 3]);
    expect(() => g.softmax(x, 2)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2004: softmax: axis 2 is out of range for rank 2
        input: f32[2,3]  input "x"
        node: softmax
        at src/ops/nn.test.ts:81:20]
    `);
  });
});

describe("log_softmax", () => {
  it("of [1, 2, 3] is [1, 2, 3] − (3 + log(1 + e⁻¹ + e⁻²))", () => {
    const y = run((g) => g.logSoftmax(g.input("x", [3])), { x: [1, 2, 3] });
    // log(1 + 0.36787944 + 0.13533528) = log 1.50321472 = 0.40760596
    expectClose(y, [-2.40760596444438, -1.40760596444438, -0.40760596444438], 1e-13);
  });

  it("is exact at ±1000", () => {
    const y = run((g) => g.logSoftmax(g.input("x", [2])), { x: [1000, -1000] });
    expect([...y]).toEqual([0, -2000]);
  });

  it("is the log of softmax along axis 0", () => {
    const x = randomData(createRng(3), 12);
    const ls = run((g) => g.logSoftmax(g.input("x", [4, 3]), 0), { x });
    const s = run((g) => g.softmax(g.input("x", [4, 3]), 0), { x });
    expectClose(ls, s.map(Math.log), 1e-13);
  });

  it("rejects int32 input", () => {
    const g = new GraphBuilder("test");
    const x = g.input("labels", [4], "int32");
    expect(() => g.logSoftmax(x)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2002: log_softmax: input must be float32, got int32
        input: i32[4]  input "labels"
        node: log_softmax
        at src/ops/nn.test.ts:112:20]
    `);
  });
});

// ---- batch_norm --------------------------------------------------------------------------------

describe("batch_norm", () => {
  const epsilon = 1e-5;

  it("normalises [N, C] with the batch statistics (hand-checked)", () => {
    // Channel 0: [1, 3] → μ 2, σ² 1. Channel 1: [10, 30] → μ 20, σ² 100 (biased).
    const y = run(
      (g) =>
        g.batchNorm(g.input("x", [2, 2]), g.input("scale", [2]), g.input("offset", [2]), {
          training: true,
          epsilon,
        }),
      { x: [1, 10, 3, 30], scale: [2, 1], offset: [0, 5] },
    );
    const a = 2 / Math.sqrt(1 + epsilon);
    const b = 10 / Math.sqrt(100 + epsilon);
    expectClose(y, [-a, 5 - b, a, 5 + b]);
  });

  it("in training gives each channel mean β and biased variance γ²·σ²/(σ² + ε)", () => {
    const [n, c, h, w] = [4, 3, 2, 5];
    const rng = createRng(7);
    const x = randomData(rng, n * c * h * w, -3, 4);
    const scale = [1, 2, 0.5];
    const offset = [0, -1, 3];
    const y = run(
      (g) =>
        g.batchNorm(g.input("x", [n, c, h, w]), g.input("s", [c]), g.input("o", [c]), {
          training: true,
          epsilon,
        }),
      { x, s: scale, o: offset },
    );
    for (let k = 0; k < c; k++) {
      const xs: number[] = [];
      const ys: number[] = [];
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < h * w; j++) {
          xs.push(x[(i * c + k) * h * w + j]!);
          ys.push(y[(i * c + k) * h * w + j]!);
        }
      }
      const mean = (v: number[]) => v.reduce((s, e) => s + e, 0) / v.length;
      const variance = (v: number[]) => mean(v.map((e) => (e - mean(v)) ** 2));
      expect(mean(ys)).toBeCloseTo(offset[k]!, 12);
      const sigma2 = variance(xs);
      expect(variance(ys)).toBeCloseTo((scale[k]! ** 2 * sigma2) / (sigma2 + epsilon), 12);
      if (scale[k] === 1) expect(variance(ys)).toBeCloseTo(1, 4);
    }
  });

  it("in inference uses the given statistics, y = (x − μ)/√(σ² + ε)·γ + β", () => {
    const [n, c, h, w] = [2, 3, 2, 2];
    const rng = createRng(8);
    const x = randomData(rng, n * c * h * w);
    const [scale, offset, mean, variance] = [
      [0.5, 1, 2],
      [1, 0, -1],
      [0.1, -0.2, 0.3],
      [1, 4, 0.25],
    ];
    const eps = 0.01;
    const y = run(
      (g) =>
        g.batchNorm(g.input("x", [n, c, h, w]), g.input("s", [c]), g.input("o", [c]), {
          mean: g.input("m", [c]),
          variance: g.input("v", [c]),
          epsilon: eps,
        }),
      { x, s: scale, o: offset, m: mean, v: variance },
    );
    const expected: number[] = [];
    for (let i = 0; i < n; i++)
      for (let k = 0; k < c; k++)
        for (let p = 0; p < h * w; p++) {
          const v = x[(i * c + k) * h * w + p]!;
          expected.push(((v - mean[k]!) / Math.sqrt(variance[k]! + eps)) * scale[k]! + offset[k]!);
        }
    expectClose(y, expected);
  });

  it("handles rank 3 ([N, C, L]) with channels on axis 1", () => {
    // Channel 0 holds 0, 2, 4, 6 (μ 3, σ² 5); channel 1 holds 1 everywhere (σ² 0 → y = β).
    const y = run(
      (g) =>
        g.batchNorm(g.input("x", [2, 2, 2]), g.input("s", [2]), g.input("o", [2]), {
          training: true,
          epsilon,
        }),
      { x: [0, 2, 1, 1, 4, 6, 1, 1], s: [1, 1], o: [0, 7] },
    );
    const r = Math.sqrt(5 + epsilon);
    expectClose(y, [-3 / r, -1 / r, 7, 7, 1 / r, 3 / r, 7, 7]);
  });

  it("rejects a scale that does not match the channel count", () => {
    const g = new GraphBuilder("test");
    const x = g.input("x", [2, 3, 4, 4]);
    const scale = g.param("bn.scale", [4], { init: "ones" });
    const offset = g.param("bn.offset", [3], { init: "zeros" });
    expect(() =>
      g.batchNorm(x, scale, offset, { training: true }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2006: batch_norm: scale must have shape [C] = [3] (input axis 1), got [4]
        input: f32[2,3,4,4]  input "x"
        scale: f32[4]  param "bn.scale"
        offset: f32[3]  param "bn.offset"
        node: batch_norm
        at src/ops/nn.test.ts:223:9]
    `);
  });

  it("rejects inference without statistics, saying what the mode needs", () => {
    const g = new GraphBuilder("test");
    const x = g.input("x", [2, 3]);
    const s = g.input("s", [3]);
    expect(() =>
      g.apply("batch_norm", [x, s, s], { epsilon: 1e-5, training: false }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC1003: batch_norm: inference mode takes 5 operands (input, scale, offset, mean, variance), got 3
        input: f32[2,3]  input "x"
        scale: f32[3]  input "s"
        offset: f32[3]  input "s"
        node: batch_norm
        at src/ops/nn.test.ts:239:9]
    `);
  });
});

// ---- dropout -----------------------------------------------------------------------------------

describe("dropout", () => {
  const count = 20_000;
  const ones = new Float64Array(count).fill(1);
  const drop = (rate: number, seed: number, x: ArrayLike<number> = ones) =>
    run((g) => g.dropout(g.input("x", [count]), { rate, seed }), { x });

  it("is the identity at rate 0", () => {
    const x = randomData(createRng(1), count);
    expect(drop(0, 123, x)).toEqual(x);
  });

  it.each([0.5, 0.8])(
    "at rate %f keeps ≈ 1 − rate, scales by 1/(1 − rate), keeps the mean",
    (rate) => {
      const y = drop(rate, 42);
      const kept = y.filter((v) => v !== 0);
      expect(new Set(kept)).toEqual(new Set([1 / (1 - rate)]));
      // Binomial standard deviation √(r(1 − r)/n) ≤ 0.0036: the bound is ≥ 5σ.
      expect(Math.abs(kept.length / count - (1 - rate))).toBeLessThan(0.02);
      expect(Math.abs(y.reduce((s, v) => s + v, 0) / count - 1)).toBeLessThan(0.05);
    },
  );

  it("draws its mask from the seed only", () => {
    const a = drop(0.5, 1);
    expect(drop(0.5, 1)).toEqual(a);
    const b = drop(0.5, 2);
    expect(b).not.toEqual(a);
    // The same seed zeroes the same positions whatever the values.
    const x = randomData(createRng(5), count, 1, 2);
    const c = drop(0.5, 1, x);
    expect(c.map((v) => (v === 0 ? 1 : 0))).toEqual(a.map((v) => (v === 0 ? 1 : 0)));
  });

  it("without a salt draws createRng(seed)'s stream: kept where the draw is ≥ rate", () => {
    const rng = createRng(77);
    const want = Array.from({ length: 500 }, () => (rng.next() >= 0.4 ? 1 : 0));
    expect(Array.from(dropoutMask(500, 0.4, 77))).toEqual(want);
    expect(Array.from(drop(0.4, 77).subarray(0, 500), (v) => (v !== 0 ? 1 : 0))).toEqual(want);
  });

  it("rejects rate 1", () => {
    const g = new GraphBuilder("test");
    const x = g.input("x", [4]);
    expect(() => g.dropout(x, { rate: 1 })).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC1002: dropout: attribute "rate" must be ≥ 0 and < 1, got 1
        input: f32[4]  input "x"
        node: dropout
        at src/ops/nn.test.ts:297:20]
    `);
  });
});

// ---- dropout with a salt -------------------------------------------------------------------------

const M32 = (1n << 32n) - 1n;
const PHI = 0x9e3779b9n;

/** MurmurHash3's fmix32 in BigInt arithmetic: an oracle independent of Math.imul and `>>>`. */
function fmix32Big(h: bigint): bigint {
  let z = h & M32;
  z ^= z >> 16n;
  z = (z * 0x85ebca6bn) & M32;
  z ^= z >> 13n;
  z = (z * 0xc2b2ae35n) & M32;
  return z ^ (z >> 16n);
}

/** The mask exactly as dropoutMask's documentation states it, in BigInt arithmetic. */
function documentedMask(count: number, rate: number, seed: number, salt?: number): number[] {
  const s =
    salt === undefined
      ? BigInt(seed)
      : fmix32Big(BigInt(seed) ^ fmix32Big(BigInt.asUintN(32, BigInt(Math.trunc(salt))) + PHI));
  let [a, b, c, d] = [1n, 2n, 3n, 4n].map((k) => fmix32Big(s + k * PHI)) as [
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  const draw = () => {
    const t = (a + b + d) & M32;
    d = (d + 1n) & M32;
    a = b ^ (b >> 9n);
    b = (c * 9n) & M32;
    c = (((c << 21n) | (c >> 11n)) + t) & M32;
    return Number(t) / 2 ** 32;
  };
  for (let i = 0; i < 12; i++) draw();
  return Array.from({ length: count }, () => (draw() >= rate ? 1 : 0));
}

describe("dropout with a salt", () => {
  const count = 20_000;
  const ones = new Float64Array(count).fill(1);
  /** Salted dropout of `x` (default ones) with the salt fed as an input. */
  const drop = (rate: number, seed: number, salt: number, x: ArrayLike<number> = ones) =>
    run((g) => g.dropout(g.input("x", [count]), { rate, seed, salt: g.input("salt", []) }), {
      x,
      salt: [salt],
    });
  const kept = (y: ArrayLike<number>): number[] => Array.from(y, (v) => (v !== 0 ? 1 : 0));

  it("draws the documented stream, salted or not", () => {
    for (const [seed, salt] of [
      [0, 0],
      [1, 1],
      [12345, 7],
      [0xffffffff, 1_000_000],
      [3, -1],
    ] as const) {
      expect(kept(drop(0.3, seed, salt)), `seed ${seed}, salt ${salt}`).toEqual(
        documentedMask(count, 0.3, seed, salt),
      );
      expect(Array.from(dropoutMask(64, 0.3, seed, salt))).toEqual(
        documentedMask(64, 0.3, seed, salt),
      );
    }
    expect(Array.from(dropoutMask(64, 0.6, 99))).toEqual(documentedMask(64, 0.6, 99));
  });

  it("gives equal masks for equal salts and independent masks for different salts", () => {
    const rate = 0.5;
    const a = kept(drop(rate, 9, 1));
    expect(kept(drop(rate, 9, 1))).toEqual(a);
    // The same salt zeroes the same positions whatever the values.
    expect(kept(drop(rate, 9, 1, randomData(createRng(3), count, 1, 2)))).toEqual(a);
    const b = kept(drop(rate, 9, 2));
    expect(b).not.toEqual(a);
    // Independent masks agree on a position with probability r² + (1 − r)² = 1/2; binomial
    // σ = √(0.25/n) ≈ 0.0035, the bound is ≥ 5σ. A shifted or shared stream would break it.
    const agree = a.filter((v, i) => v === b[i]).length / count;
    expect(Math.abs(agree - 0.5)).toBeLessThan(0.02);
    // Salted masks differ from the unsalted one of the same seed too.
    expect(
      kept(run((g) => g.dropout(g.input("x", [count]), { rate, seed: 9 }), { x: ones })),
    ).not.toEqual(a);
  });

  it("keeps ≈ 1 − rate over many salts and scales the kept by 1/(1 − rate)", () => {
    const rate = 0.3;
    const salts = 40;
    const masks = new Set<string>();
    let total = 0;
    for (let salt = 0; salt < salts; salt++) {
      const y = drop(rate, 5, salt);
      expect(new Set(y.filter((v) => v !== 0))).toEqual(new Set([1 / (1 - rate)]));
      const k = kept(y);
      masks.add(k.join(""));
      total += k.reduce((s, v) => s + v, 0);
    }
    expect(masks.size).toBe(salts);
    // 800,000 Bernoulli(0.7) draws: σ = √(0.21/800000) ≈ 0.00051; the bound is ≈ 6σ.
    expect(Math.abs(total / (salts * count) - (1 - rate))).toBeLessThan(0.003);
  });

  it("reads the salt as an integer: truncated toward zero, modulo 2³²", () => {
    const at = (salt: number) => kept(drop(0.5, 4, salt));
    const two = at(2);
    expect(at(2.75)).toEqual(two);
    expect(at(2 + 2 ** 32)).toEqual(two);
    expect(at(-0.5)).toEqual(at(0));
    expect(at(-1)).toEqual(at(2 ** 32 - 1));
    expect(at(-1)).not.toEqual(at(1));
  });

  it("maps distinct salts of one seed to distinct streams", () => {
    const seeds = new Set<number>();
    for (let salt = 0; salt < 50_000; salt++) seeds.add(saltSeed(123, salt));
    expect(seeds.size).toBe(50_000);
  });

  it("is the identity at rate 0 whatever the salt", () => {
    const x = randomData(createRng(2), count);
    expect(drop(0, 1, 17, x)).toEqual(x);
  });

  it("is linear in the input only: the JVP and transpose reuse the salt and ignore its tangent", () => {
    const g = new GraphBuilder("rules");
    const x = g.input("x", [count]);
    const salt = g.input("salt", []);
    const t = g.input("t", [count]);
    const attrs = { rate: 0.5, seed: 8 };
    const out = g.dropout(x, { ...attrs, salt });
    const tangent = nnOps.dropout.jvp!({
      g,
      primals: [x, salt],
      out,
      attrs,
      tangent: (i) => {
        if (i !== 0) throw new Error(`the salt's tangent (operand ${i}) was asked for`);
        return t;
      },
    });
    const cotangents = nnOps.dropout.transpose!({
      g,
      ct: t,
      attrs,
      types: [x.type, salt.type],
      residuals: [undefined, salt],
      linear: [true, false],
      outType: out.type,
    });
    expect(cotangents[1]).toBeNull();
    g.output("jvp", tangent!);
    g.output("transpose", cotangents[0]!);
    const tData = randomData(createRng(4), count);
    const result = evaluate(g.build(), { x: ones, salt: [3], t: tData });
    const mask = documentedMask(count, 0.5, 8, 3);
    const want = Float64Array.from(tData, (v, i) => (mask[i] ? v * 2 : 0));
    expect(Float64Array.from(result.jvp!)).toEqual(want);
    expect(Float64Array.from(result.transpose!)).toEqual(want);
  });

  it("rejects a salt that is not a scalar", () => {
    const g = new GraphBuilder("test");
    const x = g.input("x", [4]);
    const salt = g.input("salt", [1]);
    expect(() => g.dropout(x, { rate: 0.5, salt })).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2008: dropout: salt must be a scalar, got shape [1]
        input: f32[4]  input "x"
        salt: f32[1]  input "salt"
        node: dropout
        at src/ops/nn.test.ts:471:20]
    `);
  });

  it("rejects an int32 salt", () => {
    const g = new GraphBuilder("test");
    const x = g.input("x", [4]);
    const salt = g.input("step", [], "int32");
    expect(() => g.dropout(x, { rate: 0.5, salt })).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2002: dropout: salt must be float32, got int32
        input: f32[4]  input "x"
        salt: i32[]  input "step"
        node: dropout
        at src/ops/nn.test.ts:484:20]
    `);
  });
});

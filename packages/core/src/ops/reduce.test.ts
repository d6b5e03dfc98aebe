import { describe, expect, it } from "vitest";
import type { DType } from "../dtype.js";
import { evaluate } from "../evaluate.js";
import { expandComposites } from "../expand-composites.js";
import { GraphBuilder } from "../graph-builder.js";
import type { Shape } from "../shape.js";
import type { Value } from "../value.js";

/** Builds `body(x)` over one input of `shape` and evaluates it on `data`. */
function run(
  shape: Shape,
  data: readonly number[],
  body: (g: GraphBuilder, x: Value) => Value,
  dtype: DType = "float32",
) {
  const g = new GraphBuilder("reduce-test");
  const y = body(g, g.input("x", shape, dtype));
  g.output("y", y);
  return {
    shape: y.shape,
    dtype: y.dtype,
    values: Array.from(evaluate(g.build(), { x: data }).y!),
  };
}

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("sum", () => {
  // iota[2,3,4]: x[i,j,k] = 12i + 4j + k. Over i and k: Σ = 8·4j + 4·(0 + 12) + 2·(0+1+2+3).
  it("reduces several axes, dropping or keeping them", () => {
    expect(run([2, 3, 4], iota(24), (g, x) => g.sum(x, [0, 2]))).toEqual({
      shape: [3],
      dtype: "float32",
      values: [60, 92, 124],
    });
    const kept = run([2, 3, 4], iota(24), (g, x) => g.sum(x, [2, -3], { keepDims: true }));
    expect(kept.shape).toEqual([1, 3, 1]);
    expect(kept.values).toEqual([60, 92, 124]);
  });

  it("reduces everything when no axes are given, and nothing for axes []", () => {
    expect(run([2, 3], [1, 2, 3, 4, 5, 6], (g, x) => g.sum(x))).toMatchObject({
      shape: [],
      values: [21],
    });
    expect(run([2, 3], [1, 2, 3, 4, 5, 6], (g, x) => g.sum(x, -1))).toMatchObject({
      shape: [2],
      values: [6, 15],
    });
    expect(run([2, 3], [1, 2, 3, 4, 5, 6], (g, x) => g.sum(x, []))).toMatchObject({
      shape: [2, 3],
      values: [1, 2, 3, 4, 5, 6],
    });
  });

  it("keeps int32 and sums an empty extent to 0", () => {
    expect(run([3], [1, 2, 3], (g, x) => g.sum(x), "int32")).toEqual({
      shape: [],
      dtype: "int32",
      values: [6],
    });
    expect(run([2, 0], [], (g, x) => g.sum(x, 1)).values).toEqual([0, 0]);
  });
});

describe("mean", () => {
  it("divides by the number of reduced elements", () => {
    // (32j + 60) / 8 from the sum above.
    expect(run([2, 3, 4], iota(24), (g, x) => g.mean(x, [0, 2])).values).toEqual([7.5, 11.5, 15.5]);
    expect(run([2, 2], [1, 2, 3, 5], (g, x) => g.mean(x, 0, { keepDims: true }))).toMatchObject({
      shape: [1, 2],
      values: [2, 3.5],
    });
  });
});

describe("max and min", () => {
  const x = [1, -2, 3, -4, 5, -6];

  it("take the extremes along an axis", () => {
    expect(run([2, 3], x, (g, v) => g.max(v, 1)).values).toEqual([3, 5]);
    expect(run([2, 3], x, (g, v) => g.min(v, 1)).values).toEqual([-2, -6]);
    expect(run([2, 3], x, (g, v) => g.max(v, 0, { keepDims: true }))).toMatchObject({
      shape: [1, 3],
      values: [1, 5, 3],
    });
    expect(run([2, 3], x, (g, v) => g.min(v), "int32")).toEqual({
      shape: [],
      dtype: "int32",
      values: [-6],
    });
  });

  it("give −∞ and +∞ over an empty extent", () => {
    expect(run([2, 0], [], (g, v) => g.max(v, 1)).values).toEqual([-Infinity, -Infinity]);
    expect(run([2, 0], [], (g, v) => g.min(v, 1)).values).toEqual([Infinity, Infinity]);
  });

  it("propagate NaN", () => {
    expect(run([3], [1, Number.NaN, 3], (g, v) => g.max(v)).values).toEqual([Number.NaN]);
  });
});

describe("argmax", () => {
  it("returns the first index of equal maxima, as int32", () => {
    const ties = [1, 3, 3, 2, 2, 0];
    expect(run([2, 3], ties, (g, x) => g.argmax(x))).toEqual({
      shape: [2],
      dtype: "int32",
      values: [1, 0],
    });
    expect(run([2, 3], ties, (g, x) => g.argmax(x, 0, { keepDims: true }))).toEqual({
      shape: [1, 3],
      dtype: "int32",
      values: [1, 0, 0],
    });
    expect(run([4], [7, 7, 7, 7], (g, x) => g.argmax(x), "int32").values).toEqual([0]);
  });

  it("points at the first NaN, consistent with max", () => {
    expect(run([4], [1, Number.NaN, 9, Number.NaN], (g, x) => g.argmax(x)).values).toEqual([1]);
    expect(run([2], [-Infinity, -Infinity], (g, x) => g.argmax(x)).values).toEqual([0]);
  });

  it("works along a middle axis of a rank-3 operand", () => {
    // x[i, j, k] = 12i + 4j + k grows with j: the last j wins everywhere.
    expect(run([2, 3, 4], iota(24), (g, x) => g.argmax(x, -2))).toMatchObject({
      shape: [2, 4],
      values: [2, 2, 2, 2, 2, 2, 2, 2],
    });
  });
});

describe("log_sum_exp", () => {
  it("is exact at logits of ±1000, where a naive exp overflows", () => {
    const { values } = run([3, 2], [1000, 1000, -1000, -1000, 1000, -1000], (g, x) =>
      g.logSumExp(x, 1),
    );
    // log(2e¹⁰⁰⁰) = 1000 + ln 2; log(e¹⁰⁰⁰ + e⁻¹⁰⁰⁰) = 1000 to double precision.
    expect(values[0]).toBeCloseTo(1000 + Math.LN2, 12);
    expect(values[1]).toBeCloseTo(-1000 + Math.LN2, 12);
    expect(values[2]).toBe(1000);
  });

  it("matches the definition on small values, over several axes", () => {
    const data = [0, 1, 2, 3, -1, 0.5];
    const { shape, values } = run([3, 2], data, (g, x) =>
      g.logSumExp(x, [0, 1], { keepDims: true }),
    );
    expect(shape).toEqual([1, 1]);
    expect(values[0]).toBeCloseTo(Math.log(data.reduce((s, v) => s + Math.exp(v), 0)), 14);
  });

  it("gives −∞ (not NaN) when every term is −∞ or there are none, and +∞ for a +∞ term", () => {
    expect(run([2], [-Infinity, -Infinity], (g, x) => g.logSumExp(x)).values).toEqual([-Infinity]);
    expect(run([0], [], (g, x) => g.logSumExp(x)).values).toEqual([-Infinity]);
    expect(run([2], [Infinity, 1], (g, x) => g.logSumExp(x)).values).toEqual([Infinity]);
  });
});

describe("decompositions", () => {
  // The generic suite checks random data; the traps are at the extremes.
  it("log_sum_exp's primitives stay exact at ±1000 and ±∞, and mean's equal sum · 1/n", () => {
    const data = [1000, 1000, -1000, -1000, -Infinity, -Infinity, Infinity, 0, 1, 2];
    const g = new GraphBuilder("lse");
    const x = g.input("x", [5, 2]);
    g.output("lse", g.logSumExp(x, -1));
    g.output("mean", g.mean(x, [1], { keepDims: true }));
    const graph = g.build();
    const expanded = expandComposites(graph);
    const ops = new Set(expanded.nodes.map((n) => n.op));
    expect(ops.has("log_sum_exp") || ops.has("mean")).toBe(false);
    const want = evaluate(graph, { x: data });
    const got = evaluate(expanded, { x: data });
    expect(Array.from(got.lse!)).toEqual(Array.from(want.lse!));
    expect(Array.from(want.lse!).slice(2)).toEqual([
      -Infinity,
      Infinity,
      2 + Math.log(1 + Math.exp(-1)),
    ]);
    expect(Array.from(got.mean!)).toEqual(Array.from(want.mean!));
  });
});

describe("reduction errors", () => {
  it("names the axis and the rank", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [2, 3]);
    expect(() => g.sum(x, [0, 2])).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2004: sum: axis 2 is out of range for rank 2
        x: f32[2,3]  input "x"
        node: sum
        at src/ops/reduce.test.ts:189:20]
    `);
    expect(() => g.max(x, [1, -1])).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC1002: max: attribute "axes" names axis 1 twice, got [1,-1]
        x: f32[2,3]  input "x"
        node: max
        at src/ops/reduce.test.ts:195:20]
    `);
  });

  it("rejects dtypes the reduction does not take", () => {
    const g = new GraphBuilder();
    const n = g.input("n", [4], "int32");
    expect(() => g.mean(n)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2002: mean: needs float32, got int32
        x: i32[4]  input "n"
        node: mean
        at src/ops/reduce.test.ts:206:20]
    `);
    const b = g.input("b", [4], "bool");
    expect(() => g.argmax(b)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2002: argmax: accepts float32 or int32, got bool
        x: bool[4]  input "b"
        node: argmax
        at src/ops/reduce.test.ts:213:20]
    `);
    expect(() => g.max(g.input("e", [2, 0], "int32"), 1)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2008: max: axis 1 has extent 0 and int32 has no −∞ to return
        x: i32[2,0]  input "e"
        node: max
        at src/ops/reduce.test.ts:219:20]
    `);
  });

  it("rejects an argmax over nothing", () => {
    const g = new GraphBuilder();
    expect(() => g.argmax(g.input("x", [3, 0]))).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2008: argmax: axis 1 has extent 0: there is no index to return
        x: f32[3,0]  input "x"
        node: argmax
        at src/ops/reduce.test.ts:229:20]
    `);
  });
});

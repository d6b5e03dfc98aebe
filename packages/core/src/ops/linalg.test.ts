import { describe, expect, it } from "vitest";
import { evaluate, type Feeds } from "../evaluate.js";
import { GraphBuilder } from "../graph-builder.js";
import { createRng } from "../random.js";
import type { Value } from "../value.js";
import { linalgOps } from "./linalg.js";

/** Builds a one-output graph and evaluates it with the reference evaluator. */
function run(build: (g: GraphBuilder) => Value, feeds: Feeds) {
  const g = new GraphBuilder("test");
  g.output("y", build(g));
  return evaluate(g.build(), feeds).y!;
}

function random(n: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng.uniform(-2, 2));
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 12);
}

describe("matmul", () => {
  it("multiplies 2×2 matrices", () => {
    const y = run((g) => g.matmul(g.input("a", [2, 2]), g.input("b", [2, 2])), {
      a: [1, 2, 3, 4],
      b: [5, 6, 7, 8],
    });
    // [[1·5 + 2·7, 1·6 + 2·8], [3·5 + 4·7, 3·6 + 4·8]]
    expect([...y]).toEqual([19, 22, 43, 50]);
  });

  it("multiplies a row by a rectangular matrix", () => {
    const g = new GraphBuilder("test");
    const y = g.matmul(g.input("a", [1, 3]), g.input("b", [3, 2]));
    expect(y.shape).toEqual([1, 2]);
    g.output("y", y);
    const out = evaluate(g.build(), { a: [1, 2, 3], b: [1, 0, 0, 1, 1, 1] }).y!;
    expect([...out]).toEqual([4, 5]);
  });

  it("broadcasts batch axes: [2,1,3,4] × [5,4,2] → [2,5,3,2], as a naive loop", () => {
    const a = random(2 * 3 * 4, 1);
    const b = random(5 * 4 * 2, 2);
    const g = new GraphBuilder("test");
    const y = g.matmul(g.input("a", [2, 1, 3, 4]), g.input("b", [5, 4, 2]));
    expect(y.shape).toEqual([2, 5, 3, 2]);
    g.output("y", y);
    const out = evaluate(g.build(), { a, b }).y!;
    const expected: number[] = [];
    for (let p = 0; p < 2; p++) {
      for (let q = 0; q < 5; q++) {
        for (let i = 0; i < 3; i++) {
          for (let j = 0; j < 2; j++) {
            let s = 0;
            // a[p, 0, i, k] · b[q, k, j]
            for (let k = 0; k < 4; k++) s += a[p * 12 + i * 4 + k]! * b[q * 8 + k * 2 + j]!;
            expected.push(s);
          }
        }
      }
    }
    expectClose(out, expected);
  });

  it("keeps int32 operands int32", () => {
    const g = new GraphBuilder("test");
    const y = g.matmul(g.input("a", [1, 2], "int32"), g.input("b", [2, 1], "int32"));
    expect(y.dtype).toBe("int32");
    g.output("y", y);
    const out = evaluate(g.build(), { a: [1, 2], b: [3, 4] }).y!;
    expect(out).toBeInstanceOf(Int32Array);
    expect([...out]).toEqual([11]);
  });

  it("gives zeros when the contracting dimension is empty", () => {
    const y = run((g) => g.matmul(g.input("a", [2, 0]), g.input("b", [0, 3])), { a: [], b: [] });
    expect([...y]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("pins the contracting-dimension message", () => {
    const g = new GraphBuilder("mlp");
    const x = g.input("x", [32, 784]);
    const w = g.param("fc2.weight", [512, 10], { init: "zeros" });
    expect(() => g.matmul(x, w)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2003: matmul: contracting dimensions differ (784 vs 512)
        lhs: f32[32,784]  input "x"
        rhs: f32[512,10]  param "fc2.weight"
        node: matmul
        at src/ops/linalg.test.ts:87:20]
    `);
  });

  it("rejects vectors, unbroadcastable batches and mixed dtypes", () => {
    const g = new GraphBuilder("test");
    expect(() => g.matmul(g.input("v", [4]), g.input("m", [4, 2]))).toThrow(/NNC2008/);
    expect(() => g.matmul(g.input("a", [2, 3, 4]), g.input("b", [3, 4, 5]))).toThrow(
      /NNC2001: matmul: batch axes \[2\] and \[3\] cannot be broadcast/,
    );
    expect(() => g.matmul(g.input("f", [3, 4]), g.input("i", [4, 2], "int32"))).toThrow(
      /NNC2002: matmul: operands must share one dtype, got lhs float32 and rhs int32/,
    );
  });
});

describe("dense", () => {
  it("computes x · w + b", () => {
    const y = run((g) => g.dense(g.input("x", [1, 2]), g.input("w", [2, 3]), g.input("b", [3])), {
      x: [1, 2],
      w: [1, 2, 3, 4, 5, 6],
      b: [10, 20, 30],
    });
    // [1·1 + 2·4 + 10, 1·2 + 2·5 + 20, 1·3 + 2·6 + 30]
    expect([...y]).toEqual([19, 32, 45]);
  });

  it("applies the same weights to every leading index", () => {
    const g = new GraphBuilder("test");
    const y = g.dense(g.input("x", [2, 1, 2]), g.input("w", [2, 1]));
    expect(y.shape).toEqual([2, 1, 1]);
    g.output("y", y);
    const out = evaluate(g.build(), { x: [1, 2, 3, 4], w: [1, -1] }).y!;
    expect([...out]).toEqual([-1, -1]);
  });

  it.each([
    ["with", true],
    ["without", false],
  ])("decomposes into matmul and add (%s bias) with the same values", (_, withBias) => {
    const feeds = { x: random(2 * 3 * 4, 3), w: random(4 * 5, 4), b: random(5, 5) };
    const build = (decompose: boolean) => {
      const g = new GraphBuilder("test");
      const x = g.input("x", [2, 3, 4]);
      const w = g.input("w", [4, 5]);
      const b = g.input("b", [5]);
      const operands = withBias ? [x, w, b] : [x, w];
      const y = decompose
        ? linalgOps.dense.decompose!(g, operands, {})
        : g.apply("dense", operands);
      g.output("y", y);
      return g.build();
    };
    const graph = build(true);
    expect(graph.nodes.map((n) => n.op)).not.toContain("dense");
    const composite = evaluate(build(false), feeds).y!;
    const decomposed = evaluate(graph, feeds).y!;
    expectClose(decomposed, composite);
  });

  it("pins the bias message", () => {
    const g = new GraphBuilder("test");
    const x = g.input("x", [8, 4]);
    const w = g.input("w", [4, 3]);
    expect(() => g.dense(x, w, g.input("b", [4]))).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2001: dense: bias of shape [4] does not match the 3 outputs
        input: f32[8,4]  input "x"
        weight: f32[4,3]  input "w"
        bias: f32[4]  input "b"
        node: dense
        at src/ops/linalg.test.ts:156:20]
    `);
    expect(() => g.dense(x, w, g.input("b2", [1, 3]))).toThrow(
      /NNC2008: dense: bias must be a vector of shape \[3\]/,
    );
  });
});

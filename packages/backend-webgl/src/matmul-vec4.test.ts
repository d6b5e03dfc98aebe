import { compile, ReferenceTrainer, sgd, trainingGraph } from "@nnc/compiler";
import { createRng, evaluate, type Graph, GraphBuilder, randomData } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { emitPlan } from "./emit/emit-plan.js";
import { webgl } from "./index.js";
import { planWithoutSplits, runPlan } from "./test-support.js";

// The 4-wide matmul (4 adjacent output columns per fragment, B read a texel per k, A a texel per
// 4 k's when k is a multiple of 4): products and fused epilogues against core's float64
// reference, and which kernels take the path.

/** Seeded float32 data in [-1, 1). */
function data(size: number, seed: number): number[] {
  return Array.from(randomData("float32", size, createRng(seed), [-1, 1])).map(Math.fround);
}

/** y = relu(x · w + b): a matmul kernel with a bias and ReLU epilogue. */
function dense(m: number, k: number, n: number, batch: readonly number[] = []): Graph {
  const g = new GraphBuilder("dense");
  const x = g.input("x", [...batch, m, k]);
  const w = g.input("w", [k, n]);
  const b = g.input("b", [n]);
  g.output("y", g.relu(g.add(g.matmul(x, w), b)));
  return g.build();
}

/** Max |actual − expected| relative to the sum of the terms' magnitudes (k · 1 · 1 here). */
function worstError(actual: ArrayLike<number>, expected: ArrayLike<number>, k: number): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, k));
  }
  return worst;
}

describe("4-wide matmul", () => {
  const cases: {
    m: number;
    k: number;
    n: number;
    batch?: number[];
    texelA: boolean;
    /** Rows per fragment of the default plan's multi-target path. */
    lanes?: number;
  }[] = [
    { m: 5, k: 12, n: 8, texelA: true },
    { m: 7, k: 13, n: 4, texelA: false },
    { m: 3, k: 8, n: 12, batch: [2, 1], texelA: true },
    { m: 64, k: 784, n: 256, texelA: true, lanes: 4 },
    { m: 6, k: 8, n: 8, batch: [3], texelA: true, lanes: 2 },
    { m: 1, k: 3, n: 4100, texelA: false },
  ];
  for (const { m, k, n, batch = [], texelA, lanes } of cases) {
    it(`[${[...batch, m, k]}] · [${k}, ${n}] + bias, ReLU`, async () => {
      const graph = dense(m, k, n, batch);
      const rows = batch.reduce((a, b) => a * b, 1) * m;
      const feeds = { x: data(rows * k, 1), w: data(k * n, 2), b: data(n, 3) };
      const exe = await compile(graph, { backend: webgl() });
      const plan = planWithoutSplits(exe);
      const isProduct = (kn: { fragment: string }) => kn.fragment.includes(" matmul ");
      const product = plan.kernels.find(isProduct)!;
      expect(emitPlan(exe.program).kernels.find(isProduct)!.split?.targets.length).toBe(lanes);
      // B is always read a texel at a time; A only when its rows start on texel boundaries.
      expect(product.fragment).toMatch(/vec4 n\d+_4\(int base\)/);
      expect(product.fragment).toMatch(/t1_4\(/);
      expect(/t0_4\(/.test(product.fragment)).toBe(texelA);
      const actual = exe.run(feeds).y as Float32Array;
      const expected = evaluate(graph, feeds).y!;
      expect(actual.length).toBe(expected.length);
      expect(worstError(actual, expected, k)).toBeLessThan(1e-6);
      const fourWide = await runPlan(exe, plan, feeds, "y");
      expect(worstError(fourWide, expected, k)).toBeLessThan(1e-6);
      expect(Array.from(actual).some((v) => v > 0)).toBe(true);
    });
  }

  it("keeps the scalar path when n is not a multiple of 4 or the product is int32", async () => {
    const exe = await compile(dense(4, 8, 10), { backend: webgl() });
    const plan = emitPlan(exe.program);
    expect(plan.kernels.some((kn) => kn.fragment.includes("_4("))).toBe(false);
    const g = new GraphBuilder("int");
    g.output("y", g.matmul(g.input("a", [2, 4], "int32"), g.input("b", [4, 4], "int32")));
    const ints = await compile(g.build(), { backend: webgl() });
    expect(emitPlan(ints.program).kernels[0]!.fragment).not.toContain("_4(");
    const a = [1, 2, 3, 4, -5, 6, -7, 8];
    const b = Array.from({ length: 16 }, (_, i) => i - 8);
    // Row 0 of a·b: Σ_k a[0,k]·b[k,j] with b[k,j] = 4k + j − 8.
    const row0 = [0, 1, 2, 3].map((j) =>
      [1, 2, 3, 4].reduce((s, v, q) => s + v * (4 * q + j - 8), 0),
    );
    expect(Array.from(ints.run({ a, b }).y as Int32Array).slice(0, 4)).toEqual(row0);
  });

  it("keeps the 4-wide path when an epilogue makes the result bool", async () => {
    const g = new GraphBuilder("positive");
    g.output("y", g.gt(g.matmul(g.input("a", [8, 8]), g.input("b", [8, 8])), g.constant(0)));
    const graph = g.build();
    const feeds = { a: data(64, 7), b: data(64, 8) };
    const exe = await compile(graph, { backend: webgl() });
    const kernel = emitPlan(exe.program).kernels.find((k) => k.fragment.includes(" matmul "))!;
    expect(kernel.split).toBeUndefined();
    expect(kernel.fragment).toMatch(/vec4 n\d+_4\(int base\)/);
    const actual = Array.from(exe.run(feeds).y as Uint8Array);
    expect(actual).toEqual(Array.from(evaluate(graph, feeds).y!));
    expect(actual.some((v) => v === 1) && actual.some((v) => v === 0)).toBe(true);
  });

  it("splits batched products whose B broadcasts over a batch axis", async () => {
    const g = new GraphBuilder("batched");
    g.output("y", g.matmul(g.input("a", [2, 3, 4, 8]), g.input("b", [3, 8, 12])));
    const graph = g.build();
    const feeds = { a: data(2 * 3 * 4 * 8, 5), b: data(3 * 8 * 12, 6) };
    const exe = await compile(graph, { backend: webgl() });
    expect(emitPlan(exe.program).kernels[0]!.split?.targets.length).toBe(4);
    const actual = exe.run(feeds).y as Float32Array;
    expect(worstError(actual, evaluate(graph, feeds).y!, 8)).toBeLessThan(1e-6);
  });

  it("trains an MLP whose gradients use transposed operands like the reference trainer", async () => {
    const g = new GraphBuilder("mlp");
    const x = g.input("x", [8, 12]);
    const label = g.input("label", [8], "int32");
    const h = g.layers.dense(x, 16, { name: "fc1", activation: "relu" });
    const logits = g.layers.dense(h, 4, { name: "fc2" });
    g.output("loss", g.softmaxCrossEntropy(logits, label));
    const graph = g.build();
    const optimizer = sgd({ lr: 0.1 });
    const exe = await compile(graph, { backend: webgl(), mode: "train", loss: "loss", optimizer });
    const trainer = new ReferenceTrainer(trainingGraph(graph, { loss: "loss", optimizer }));
    // The gradient kernels read x and h transposed ([12, 8], [16, 8]) and fc1.weight as [16, 12].
    const wide = emitPlan(exe.program).kernels.filter((kn) =>
      /n\d+_(4|lanes)\(int base\)/.test(kn.fragment),
    );
    expect(wide.length).toBeGreaterThanOrEqual(3);
    expect(wide.some((kn) => kn.split)).toBe(true);
    const feeds = { x: data(96, 4), label: [0, 1, 2, 3, 3, 2, 1, 0] };
    for (let step = 0; step < 3; step++) {
      const loss = exe.step(feeds);
      expect(Math.abs(loss - trainer.step(feeds).loss![0]!)).toBeLessThan(1e-5);
    }
    const weights = exe.getParams()["fc1.weight"]! as Float32Array;
    expect(worstError(weights, trainer.params["fc1.weight"]!, 1)).toBeLessThan(1e-5);
  });
});

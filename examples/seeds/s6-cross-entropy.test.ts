/**
 * SEEDS.md S6 (seed document 002 question 4; 000): cross-entropy.
 * ce(p, x) = −x log p − (1 − x) log(1 − p) is, for a real target x ∈ (0, 1), KL(P‖Q) + H(P) with
 * P = Bernoulli(x) and Q = Bernoulli(p). Computed from logits it must stay finite at ±1000, and
 * on a sigmoid neuron its gradient has no σ'(z) factor, unlike the quadratic cost's.
 */

import { grad, ReferenceTrainer, sgd, trainingGraph } from "@nnc/compiler";
import { evaluate, type Graph, GraphBuilder } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { logistic, maxAbsDifference } from "./numeric.js";

/** KL(P‖Q) for P = Bernoulli(x), Q = Bernoulli(p). */
function klBernoulli(x: number, p: number): number {
  return x * Math.log(x / p) + (1 - x) * Math.log((1 - x) / (1 - p));
}

/** H(P) for P = Bernoulli(x), in nats. */
function entropyBernoulli(x: number): number {
  return -x * Math.log(x) - (1 - x) * Math.log(1 - x);
}

/** Binary cross-entropy of `logits` against `targets` (both [n]) with the given reduction. */
function bceGraph(n: number, reduction: "none" | "sum" | "mean"): Graph {
  const g = new GraphBuilder("bce");
  const logits = g.input("logits", [n]);
  g.output("ce", g.binaryCrossEntropy(logits, g.input("targets", [n]), { reduction }));
  return g.build();
}

const allFinite = (values: ArrayLike<number>) => Array.from(values).every(Number.isFinite);

describe("SEEDS.md S6: cross-entropy with real targets is KL + entropy", () => {
  // (p, x) pairs: prediction p = σ(logit), real-valued target x.
  const pairs = [
    [0.3, 0.7],
    [0.9, 0.2],
    [0.5, 0.5],
    [0.01, 0.99],
    [0.6, 0.6],
  ] as const;
  const logits = pairs.map(([p]) => Math.log(p / (1 - p)));
  const targets = pairs.map(([, x]) => x);

  it("equals KL(P‖Q) + H(P) for real x", () => {
    const { ce } = evaluate(bceGraph(pairs.length, "none"), { logits, targets });
    const expected = pairs.map(([p, x]) => klBernoulli(x, p) + entropyBernoulli(x));
    expect(maxAbsDifference(ce!, expected)).toBeLessThan(1e-13);
    // The definition, term by term: −x log p − (1 − x) log(1 − p).
    const direct = pairs.map(([p, x]) => -x * Math.log(p) - (1 - x) * Math.log(1 - p));
    expect(maxAbsDifference(ce!, direct)).toBeLessThan(1e-13);
    // Where p = x the divergence vanishes and only the target's entropy is left.
    expect(ce![2]).toBeCloseTo(Math.log(2), 14);
    expect(ce![4]).toBeCloseTo(entropyBernoulli(0.6), 14);
  });

  it("has gradient σ(z) − x in the logit, zero where p = x (the minimum over p)", () => {
    const result = evaluate(grad(bceGraph(pairs.length, "sum"), { of: "ce", wrt: ["logits"] }), {
      logits,
      targets,
    });
    const expected = pairs.map(([p, x]) => p - x);
    expect(maxAbsDifference(result["grad/logits"]!, expected)).toBeLessThan(1e-14);
  });
});

describe("SEEDS.md S6: numerically stable from logits of ±1000", () => {
  it("binary cross-entropy: finite loss and gradient, with the exact values", () => {
    const graph = bceGraph(4, "mean");
    const feeds = { logits: [1000, -1000, 1000, -1000], targets: [1, 0, 0, 1] };
    const result = evaluate(grad(graph, { of: "ce", wrt: ["logits"] }), feeds);
    // Per element max(z, 0) − z·t + log(1 + e^−|z|): 0, 0, 1000, 1000; the mean is 500.
    expect(result.ce![0]).toBe(500);
    // d(mean)/dzᵢ = (σ(zᵢ) − tᵢ)/4 with σ(1000) = 1 and σ(−1000) = 0 in float64.
    expect(allFinite(result["grad/logits"]!)).toBe(true);
    expect(maxAbsDifference(result["grad/logits"]!, [0, 0, 0.25, -0.25])).toBeLessThan(1e-15);
  });

  it("softmax cross-entropy: finite loss and gradient, with the exact values", () => {
    const g = new GraphBuilder("softmax-ce");
    const logits = g.input("logits", [2, 3]);
    const labels = g.input("labels", [2], "int32");
    g.output("ce", g.softmaxCrossEntropy(logits, labels));
    const result = evaluate(grad(g.build(), { of: "ce", wrt: ["logits"] }), {
      logits: [1000, -1000, 0, -1000, 1000, 0],
      labels: [0, 0],
    });
    // Example 1: logsumexp = 1000 (the other terms are e^−1000, e^−2000), loss 1000 − 1000 = 0.
    // Example 2: logsumexp = 1000, loss 1000 − (−1000) = 2000. Mean: 1000.
    expect(result.ce![0]).toBe(1000);
    // d(mean)/dlogits = (softmax − one_hot)/2: (1,0,0) − (1,0,0) and (0,1,0) − (1,0,0).
    expect(allFinite(result["grad/logits"]!)).toBe(true);
    expect(maxAbsDifference(result["grad/logits"]!, [0, 0, 0, -0.5, 0.5, 0])).toBeLessThan(1e-15);
  });

  it("softmax cross-entropy with probability labels: finite loss and gradient", () => {
    const g = new GraphBuilder("softmax-ce-soft");
    const logits = g.input("logits", [1, 3]);
    const labels = g.input("labels", [1, 3]);
    g.output("ce", g.softmaxCrossEntropy(logits, labels));
    const result = evaluate(grad(g.build(), { of: "ce", wrt: ["logits"] }), {
      logits: [1000, -1000, 0],
      labels: [0.5, 0.25, 0.25],
    });
    // Σ qₖ·(lse − zₖ) with lse = 1000: 0.5·0 + 0.25·2000 + 0.25·1000 = 750.
    expect(result.ce![0]).toBe(750);
    // softmax − q = (1, 0, 0) − (0.5, 0.25, 0.25).
    expect(maxAbsDifference(result["grad/logits"]!, [0.5, -0.25, -0.25])).toBeLessThan(1e-15);
  });
});

/**
 * One sigmoid neuron a = σ(wx + b) with cost `cost`: the cross-entropy from the logit z, or the
 * quadratic cost ½(a − y)².
 */
function sigmoidNeuron(cost: "cross-entropy" | "quadratic", w: number, b: number): Graph {
  const g = new GraphBuilder(`neuron-${cost}`);
  const x = g.input("x", [1]);
  const y = g.input("y", [1]);
  const z = g.add(g.mul(g.param("w", [1], { init: [w] }), x), g.param("b", [1], { init: [b] }));
  const a = g.sigmoid(z);
  g.output("a", a);
  g.output(
    "cost",
    cost === "cross-entropy"
      ? g.binaryCrossEntropy(z, y)
      : g.mul(g.sum(g.square(g.sub(a, y))), 0.5),
  );
  return g.build();
}

describe("SEEDS.md S6: cross-entropy against the quadratic cost on a saturated neuron", () => {
  // w = b = 3, x = 1: z = 6, a = σ(6) ≈ 0.9975 while the target is 0 — badly wrong and saturated.
  const [w, b, x, y] = [3, 3, 1, 0];
  const z = w * x + b;
  const a = logistic(z);
  const sigmaPrime = a * (1 - a);

  it("cross-entropy: ∂C/∂b = a − y and ∂C/∂w = (a − y)·x, with no σ'(z) factor", () => {
    const result = evaluate(grad(sigmoidNeuron("cross-entropy", w, b), { of: "cost" }), {
      x: [x],
      y: [y],
    });
    expect(result["grad/b"]![0]).toBeCloseTo(a - y, 14);
    expect(result["grad/w"]![0]).toBeCloseTo((a - y) * x, 14);
  });

  it("quadratic: ∂C/∂b = (a − y)·σ'(z) and ∂C/∂w = (a − y)·σ'(z)·x, tiny when saturated", () => {
    const result = evaluate(grad(sigmoidNeuron("quadratic", w, b), { of: "cost" }), {
      x: [x],
      y: [y],
    });
    const expected = (a - y) * sigmaPrime;
    expect(result["grad/b"]![0]! / expected).toBeCloseTo(1, 12);
    expect(result["grad/w"]![0]! / (expected * x)).toBeCloseTo(1, 12);
    // σ'(6) ≈ 0.00247: the quadratic cost's gradient is ~400 times smaller than ce's.
    expect(result["grad/b"]![0]).toBeLessThan(0.0025);
  });

  it("so the cross-entropy neuron learns its way out of saturation and the quadratic one does not", () => {
    const outputAfter = (cost: "cross-entropy" | "quadratic", steps: number) => {
      const trainer = new ReferenceTrainer(
        trainingGraph(sigmoidNeuron(cost, w, b), { loss: "cost", optimizer: sgd({ lr: 0.15 }) }),
      );
      for (let i = 0; i < steps; i++) trainer.step({ x: [x], y: [y] });
      return logistic(trainer.params.w![0]! * x + trainer.params.b![0]!);
    };
    // Observed: after 50 steps of η = 0.15, a ≈ 0.11 with cross-entropy, ≈ 0.9974 with the
    // quadratic cost (which barely moved from 0.9975).
    expect(outputAfter("cross-entropy", 50)).toBeLessThan(0.2);
    expect(outputAfter("quadratic", 50)).toBeGreaterThan(0.99);
  });
});

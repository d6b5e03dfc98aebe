/**
 * SEEDS.md S10 (seed documents 000 and 001): initialisation and symmetry. With all-zero or
 * all-equal weights, every hidden unit computes the same function, gets the same gradient and
 * stays a copy of the others through training, so the layer is worth one unit. Seeded random
 * initialisers (Glorot/Xavier uniform and normal, He, random normal) break the symmetry and are
 * reproducible from their seed. Leaky ReLU keeps a gradient α for negative inputs.
 */

import { grad, ReferenceTrainer, sgd, trainingGraph } from "@nnc/compiler";
import { evaluate, GraphBuilder, type InitOption, initialParams } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { seededRng, uniformValues } from "./numeric.js";
import { buildTwoLayerNetwork } from "./s10-two-layer.js";

const [inputs, hidden, batch] = [3, 4, 8];
const rng = seededRng(1);
const data = { x: uniformValues(rng, batch * inputs, -2, 2), y: uniformValues(rng, batch) };

/** The columns of a row-major [rows, cols] matrix: column j is hidden unit j's weights. */
function columns(values: ArrayLike<number>, cols: number): number[][] {
  const rows = values.length / cols;
  return Array.from({ length: cols }, (_, j) =>
    Array.from({ length: rows }, (_, i) => values[i * cols + j]!),
  );
}

/** The largest difference between any unit's column and unit 0's. */
function spreadAcrossUnits(values: ArrayLike<number>, cols: number): number {
  const [first, ...rest] = columns(values, cols);
  return Math.max(...rest.map((col) => Math.max(...col.map((v, i) => Math.abs(v - first![i]!)))));
}

/** The smallest distance (max-norm) between two different units' columns. */
function closestPairOfUnits(values: ArrayLike<number>, cols: number): number {
  const cs = columns(values, cols);
  let closest = Number.POSITIVE_INFINITY;
  for (let a = 0; a < cs.length; a++) {
    for (let b = a + 1; b < cs.length; b++) {
      closest = Math.min(closest, Math.max(...cs[a]!.map((v, i) => Math.abs(v - cs[b]![i]!))));
    }
  }
  return closest;
}

function train(init: InitOption, steps: number) {
  const graph = buildTwoLayerNetwork({
    inputs,
    hidden,
    batch,
    hiddenInit: init,
    outputInit: init,
    seed: 3,
  });
  const initial = initialParams(graph);
  const firstGradient = evaluate(grad(graph, { of: "loss" }), data);
  const trainer = new ReferenceTrainer(
    trainingGraph(graph, { loss: "loss", optimizer: sgd({ lr: 0.5 }) }),
  );
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push(trainer.step(data).loss![0]!);
  return { initial, firstGradient, params: trainer.params, losses };
}

describe("SEEDS.md S10: equal initial weights never break symmetry", () => {
  const symmetric: [string, InitOption][] = [
    ["all-zero", "zeros"],
    ["all-equal (0.5)", { kind: "constant", value: 0.5 }],
  ];

  it.each(symmetric)("%s: every hidden unit gets the same gradient", (_, init) => {
    const { firstGradient } = train(init, 0);
    // Unit j's gradient is xᵀ·(δ·w2ⱼ ⊙ σ'(zⱼ)); w2ⱼ and zⱼ are the same for every j.
    expect(spreadAcrossUnits(firstGradient["grad/hidden.weight"]!, hidden)).toBe(0);
    expect(spreadAcrossUnits(firstGradient["grad/hidden.bias"]!, hidden)).toBe(0);
    expect(spreadAcrossUnits(firstGradient["grad/out.weight"]!, hidden)).toBe(0);
    // ∂L/∂w2ⱼ = Σ δ·hⱼ with hⱼ = σ(0) = 1/2 at zero init: non-zero, so training does happen.
    expect(Math.abs(firstGradient["grad/out.weight"]![0]!)).toBeGreaterThan(1e-3);
  });

  it.each(symmetric)("%s: hidden units stay identical after 20 SGD steps", (_, init) => {
    const { initial, params, losses } = train(init, 20);
    const weights = params["hidden.weight"]!;
    // Identical columns (up to rounding), although the weights moved and the loss fell.
    expect(spreadAcrossUnits(weights, hidden)).toBeLessThan(1e-12);
    expect(spreadAcrossUnits(params["hidden.bias"]!, hidden)).toBeLessThan(1e-12);
    expect(spreadAcrossUnits(params["out.weight"]!, hidden)).toBeLessThan(1e-12);
    const moved = Math.max(...weights.map((v, i) => Math.abs(v - initial["hidden.weight"]![i]!)));
    expect(moved).toBeGreaterThan(0.01);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
  });

  it("all-zero: the hidden layer gets no gradient at all on the first step (w2 = 0)", () => {
    const { firstGradient } = train("zeros", 0);
    expect(Array.from(firstGradient["grad/hidden.weight"]!).every((v) => v === 0)).toBe(true);
  });
});

describe("SEEDS.md S10: random initialisers break the symmetry", () => {
  const randomInits: [string, InitOption][] = [
    ["Glorot/Xavier uniform", "glorot_uniform"],
    ["Glorot/Xavier normal", "glorot_normal"],
    ["He uniform", "he_uniform"],
    ["He normal", "he_normal"],
    ["random normal (σ = 0.05)", "normal"],
  ];

  it.each(randomInits)("%s: units get different gradients and stay different", (_, init) => {
    const { firstGradient, params, losses } = train(init, 20);
    expect(closestPairOfUnits(firstGradient["grad/hidden.weight"]!, hidden)).toBeGreaterThan(1e-4);
    expect(closestPairOfUnits(params["hidden.weight"]!, hidden)).toBeGreaterThan(1e-3);
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
  });
});

describe("SEEDS.md S10: initialisers are seeded and reproducible", () => {
  /** The initial value of a [fanIn, fanOut] weight declared with `init` and `seed`. */
  function initialWeight(init: InitOption, seed?: number, shape: [number, number] = [400, 300]) {
    const g = new GraphBuilder("init");
    const w = g.param("w", shape, { init, ...(seed === undefined ? {} : { seed }) });
    g.output("w", w);
    return initialParams(g.build()).w!;
  }

  const kinds = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "normal"] as const;

  it.each(kinds)("%s: same seed, same values; another seed, other values", (kind) => {
    const small: [number, number] = [20, 10];
    expect(initialWeight(kind, 7, small)).toEqual(initialWeight(kind, 7, small));
    expect(initialWeight(kind, 7, small)).not.toEqual(initialWeight(kind, 8, small));
    // Without a seed, the parameter's name seeds it: still reproducible.
    expect(initialWeight(kind, undefined, small)).toEqual(initialWeight(kind, undefined, small));
  });

  it.each([
    // Glorot: Var = 2/(fanIn + fanOut); He: Var = 2/fanIn; the "normal" default σ = 0.05.
    ["glorot_uniform", 2 / 700],
    ["glorot_normal", 2 / 700],
    ["he_uniform", 2 / 400],
    ["he_normal", 2 / 400],
    ["normal", 0.05 ** 2],
  ] as const)("%s has variance %d for a [400, 300] weight", (kind, variance) => {
    const w = initialWeight(kind, 5);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const sampleVariance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length;
    // 120,000 draws: the sample variance's relative standard error is ≤ √(2/n) ≈ 0.4%.
    expect(sampleVariance / variance).toBeGreaterThan(0.97);
    expect(sampleVariance / variance).toBeLessThan(1.03);
  });
});

describe("SEEDS.md S10: Leaky ReLU", () => {
  function leakyGradient(x: number[], alpha?: number): number[] {
    const g = new GraphBuilder("leaky");
    const input = g.input("x", [x.length]);
    g.output("y", g.sum(alpha === undefined ? g.leakyRelu(input) : g.leakyRelu(input, alpha)));
    return Array.from(evaluate(grad(g.build(), { of: "y", wrt: ["x"] }), { x })["grad/x"]!);
  }

  it("has gradient α = 0.01 (the default) for negative inputs and 1 for positive ones", () => {
    expect(leakyGradient([-3, -0.5, 0.5, 3])).toEqual([0.01, 0.01, 1, 1]);
  });

  it("has gradient α for negative inputs with another slope (α = 0.2)", () => {
    expect(leakyGradient([-3, -0.5, 0.5, 3], 0.2)).toEqual([0.2, 0.2, 1, 1]);
  });

  it("so unlike ReLU a unit with negative pre-activations still learns", () => {
    const g = new GraphBuilder("relu");
    const input = g.input("x", [2]);
    g.output("y", g.sum(g.relu(input)));
    const relu = evaluate(grad(g.build(), { of: "y", wrt: ["x"] }), { x: [-3, -0.5] })["grad/x"]!;
    expect(Array.from(relu)).toEqual([0, 0]);
    expect(leakyGradient([-3, -0.5])).toEqual([0.01, 0.01]);
  });
});

/**
 * SEEDS.md S2 (seed document 002, question 1): reverse-mode gradients of the three-layer network
 * h = W1x + b1, a = σ(W2h + b2), o = W3a + b3 with respect to all six parameters agree with
 * central finite differences of the loss, evaluated in float64.
 */

import { grad, PassManager, planMemory, sgd, trainingPipeline } from "@nnc/compiler";
import { evaluate, initialParams } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { centralDifferences, maxScaledDifference, seededRng, uniformValues } from "./numeric.js";
import { buildThreeLayerNetwork } from "./s2-three-layer.js";

const sizes = { n: 4, m: 5, r: 3, s: 2, batch: 3 };
const PARAMS = [
  "fc1.weight",
  "fc1.bias",
  "fc2.weight",
  "fc2.bias",
  "fc3.weight",
  "fc3.bias",
] as const;

function randomProblem(seed: number) {
  const graph = buildThreeLayerNetwork(sizes);
  const rng = seededRng(seed);
  const { n, s, batch } = sizes;
  const data = { x: uniformValues(rng, batch * n, -2, 2), y: uniformValues(rng, batch * s) };
  // Random biases too: the zero biases of the initialiser would hide a missing bias term.
  const params = Object.fromEntries(
    Object.entries(initialParams(graph)).map(([name, v]) => [name, uniformValues(rng, v.length)]),
  );
  return { graph, data, params };
}

describe("SEEDS.md S2: gradients of the three-layer network", () => {
  it("has parameters of the document's sizes (transposed: nnc's dense weight is [in, out])", () => {
    const params = initialParams(buildThreeLayerNetwork(sizes));
    const { n, m, r, s } = sizes;
    expect(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.length]))).toEqual({
      "fc1.weight": n * m,
      "fc1.bias": m,
      "fc2.weight": m * r,
      "fc2.bias": r,
      "fc3.weight": r * s,
      "fc3.bias": s,
    });
  });

  it.each([1, 2])(
    "∂L/∂W1, ∂L/∂W2, ∂L/∂W3, ∂L/∂b1, ∂L/∂b2, ∂L/∂b3 match central differences (seed %i)",
    (seed) => {
      const { graph, data, params } = randomProblem(seed);
      const gradients = evaluate(grad(graph, { of: "loss" }), { ...data, ...params });
      for (const name of PARAMS) {
        const loss = (value: Float64Array) =>
          evaluate(graph, { ...data, ...params, [name]: value }).loss![0]!;
        const numeric = centralDifferences(loss, params[name]!);
        const analytic = gradients[`grad/${name}`]!;
        // Central differences with h = 1e-6 in float64 are good to about 1e-9 here.
        expect(maxScaledDifference(analytic, numeric), name).toBeLessThan(1e-7);
        // Not vacuous: every parameter of this random problem has a non-zero gradient.
        expect(Math.max(...Array.from(analytic, Math.abs)), name).toBeGreaterThan(1e-3);
      }
    },
  );

  it("gives ∂L/∂b3 = Σ over the batch of 2(o − y)/s for the squared error", () => {
    const { graph, data, params } = randomProblem(3);
    const result = evaluate(grad(graph, { of: "loss", wrt: ["fc3.bias"] }), {
      ...data,
      ...params,
    });
    const { s, batch } = sizes;
    const expected = Array.from({ length: s }, (_, j) => {
      let sum = 0;
      for (let b = 0; b < batch; b++) sum += (2 * (result.o![b * s + j]! - data.y[b * s + j]!)) / s;
      return sum;
    });
    expect(maxScaledDifference(result["grad/fc3.bias"]!, expected)).toBeLessThan(1e-14);
  });
});

describe("SEEDS.md S2: what the backward pass keeps", () => {
  // n, m, r, s = 6, 5, 4, 3: the plan must keep m + r + s = 12 elements (48 bytes as float32,
  // 24 with the document's 2-byte floats): h, a and one s-sized value for the loss.
  const sizes = { n: 6, m: 5, r: 4, s: 3 };
  const step = () =>
    new PassManager().run(
      buildThreeLayerNetwork(sizes),
      trainingPipeline({ loss: "loss", optimizer: sgd({ lr: 0.1 }) }),
      "train",
    ).graph;

  it("keeps h, a and one s-sized value: m + r + s elements, never the pre-activation", () => {
    const { report } = planMemory(step());
    const elements = report.keptActivations.map((k) => k.shape.reduce((a, b) => a * b, 1));
    expect(elements).toEqual([sizes.m, sizes.r, sizes.s]);
    expect(report.keptBytes).toBe(4 * (sizes.m + sizes.r + sizes.s));
    expect(report.keptActivations.some((k) => /^fc2\/.*(add|matmul)$/.test(k.name))).toBe(false);
  });
});

/**
 * SEEDS.md S3 (seed document 002, question 1): ReLU at 0 and the swish activation.
 * ReLU's left derivative at 0 is 0 and its right derivative 1; nnc (as PyTorch and JAX) uses 0
 * at exactly 0. ReLU's second derivative is 0 wherever it exists, so grad of grad through ReLU is
 * valid but uninformative. Swish g(x) = x·σ(βx) is smooth, so its grad of grad is informative;
 * g → x/2 as β → 0 and g → ReLU as β → ∞.
 */

import { grad, jvp } from "@nnc/compiler";
import { evaluate, type Graph, GraphBuilder, type Value } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { centralDifferences, logistic, maxAbsDifference } from "./numeric.js";

/** y = Σ act(x) for an input vector x of `n` elements. */
function sumOf(n: number, act: (g: GraphBuilder, x: Value) => Value): Graph {
  const g = new GraphBuilder("s3");
  const x = g.input("x", [n]);
  g.output("y", g.sum(act(g, x)));
  return g.build();
}

/** The gradient graph of `y` w.r.t. `x`, then the JVP of that gradient along `tangent/x`. */
function secondDerivativeGraph(graph: Graph): Graph {
  return jvp(grad(graph, { of: "y", wrt: ["x"] }), { of: "grad/x", wrt: ["x"] });
}

/** Swish''(x) for β = 1: with σ = σ(x), d/dx[σ + xσ(1−σ)] = σ(1−σ)·(2 + x(1 − 2σ)). */
function swishSecondDerivative(x: number): number {
  const s = logistic(x);
  return s * (1 - s) * (2 + x * (1 - 2 * s));
}

describe("SEEDS.md S3: ReLU at 0", () => {
  const relu = sumOf(3, (g, x) => g.relu(x));

  it("has gradient [0, 0, 1] at x = [−1, 0, 2]: 0 at exactly 0", () => {
    const result = evaluate(grad(relu, { of: "y", wrt: ["x"] }), { x: [-1, 0, 2] });
    expect(Array.from(result["grad/x"]!)).toEqual([0, 0, 1]);
  });

  it("has one-sided difference quotients 0 (left) and 1 (right) at 0", () => {
    const h = 1e-3;
    const single = sumOf(1, (g, x) => g.relu(x));
    const [left, zero, right] = [-h, 0, h].map((v) => evaluate(single, { x: [v] }).y![0]!);
    // (relu(0) − relu(−h)) / h = 0 and (relu(h) − relu(0)) / h = 1 for every h > 0.
    expect((zero! - left!) / h).toBe(0);
    expect((right! - zero!) / h).toBe(1);
  });

  it("has a zero second derivative away from 0 (grad of grad is valid but uninformative)", () => {
    const x = [-2, -0.5, 0.5, 2];
    const result = evaluate(secondDerivativeGraph(sumOf(4, (g, v) => g.relu(v))), {
      x,
      "tangent/x": [1, 1, 1, 1],
    });
    // The Hessian of Σ relu(x) is diagonal with relu'' = 0, so H·1 = 0.
    expect(Array.from(result["tangent/grad/x"]!)).toEqual([0, 0, 0, 0]);
    expect(Array.from(result["grad/x"]!)).toEqual([0, 0, 1, 1]);
  });
});

describe("SEEDS.md S3: swish", () => {
  const xs = [-3, -1, -0.2, 0, 0.4, 1.5, 4];
  const swish = sumOf(xs.length, (g, x) => g.swish(x, 1));

  it("has a first derivative σ(x) + xσ(x)(1 − σ(x))", () => {
    const result = evaluate(grad(swish, { of: "y", wrt: ["x"] }), { x: xs });
    const expected = xs.map((x) => logistic(x) + x * logistic(x) * (1 - logistic(x)));
    expect(maxAbsDifference(result["grad/x"]!, expected)).toBeLessThan(1e-15);
  });

  it("has a grad of grad (forward over reverse) matching finite differences of the gradient", () => {
    const result = evaluate(secondDerivativeGraph(swish), {
      x: xs,
      "tangent/x": xs.map(() => 1),
    });
    const second = result["tangent/grad/x"]!;
    // Σ swish(xᵢ) has a diagonal Hessian, so H·1 holds swish''(xᵢ); compare with the hand formula
    // and with central differences of the gradient that nnc computes.
    expect(maxAbsDifference(second, xs.map(swishSecondDerivative))).toBeLessThan(1e-14);
    const gradient = grad(
      sumOf(1, (g, x) => g.swish(x, 1)),
      { of: "y", wrt: ["x"] },
    );
    const numeric = xs.map(
      (x) => centralDifferences((v) => evaluate(gradient, { x: v })["grad/x"]![0]!, [x])[0]!,
    );
    expect(maxAbsDifference(second, numeric)).toBeLessThan(1e-8);
    // Not vacuous: swish'' is far from 0 here (swish''(0) = 1/2).
    expect(second[3]).toBeCloseTo(0.5, 14);
  });

  it("can be differentiated twice in reverse mode (grad of grad)", () => {
    // grad's contract: "The result is an ordinary graph, so it can be differentiated again."
    const scalar = sumOf(1, (g, x) => g.swish(x, 1));
    const first = grad(scalar, { of: "y", wrt: ["x"] });
    const twice = grad(first, { of: "grad/x", wrt: ["x"] });
    const second = twice.outputs.filter((o) => o.name.startsWith("grad/")).map((o) => o.name);
    expect(second.length).toBeGreaterThan(0);
    const result = evaluate(twice, { x: [0.4] });
    const values = Object.entries(result)
      .filter(([name]) => name !== "y")
      .map(([, v]) => v[0]!);
    // swish'(0.4) and swish''(0.4) must both be there.
    expect(values).toContainEqual(expect.closeTo(swishSecondDerivative(0.4), 14));
  });

  it("tends to x/2 as β → 0 (β = 1e-6)", () => {
    const xv = [-5, -1, 0, 0.5, 5];
    const g = new GraphBuilder("swish-small-beta");
    g.output("y", g.swish(g.input("x", [xv.length]), 1e-6));
    const y = evaluate(g.build(), { x: xv }).y!;
    // x·σ(βx) − x/2 = x·(σ(βx) − 1/2) ≈ βx²/4 ≤ 6.25e-6 for |x| ≤ 5.
    expect(
      maxAbsDifference(
        y,
        xv.map((x) => x / 2),
      ),
    ).toBeLessThan(7e-6);
    expect(
      maxAbsDifference(
        y,
        xv.map((x) => x / 2),
      ),
    ).toBeGreaterThan(0);
  });

  it("tends to ReLU as β → ∞ (β = 1e6)", () => {
    const xv = [-5, -0.01, 0, 0.01, 5];
    const g = new GraphBuilder("swish-large-beta");
    g.output("y", g.swish(g.input("x", [xv.length]), 1e6));
    const y = evaluate(g.build(), { x: xv }).y!;
    // |x·σ(βx) − relu(x)| = |x|·σ(−β|x|) ≤ |x|·e^(−β|x|) ≤ 0.01·e^(−1e4) for |x| ≥ 0.01.
    expect(
      maxAbsDifference(
        y,
        xv.map((x) => Math.max(x, 0)),
      ),
    ).toBeLessThan(1e-300);
  });
});

/**
 * SEEDS.md S9 (seed document 004): the numeric walk-through of backpropagation through a
 * three-layer ReLU network, one SGD step, a 2×2 convolution, and the gradient of the
 * α‖w‖ₚᵖ penalty (for p = 2, weight decay).
 */

import { grad, ReferenceTrainer, sgd, trainingGraph } from "@nnc/compiler";
import { evaluate, type Graph, GraphBuilder, type Value } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { maxAbsDifference, seededRng, uniformValues } from "./numeric.js";
import { addS9Network, buildS9Network } from "./s9-network.js";

const feeds = { x: [3], y: [6] };

describe("SEEDS.md S9: forward pass", () => {
  it("gives a1 = (3, −3), h1 = (3, 0), a2 = (−3, 3), h2 = (0, 3), ŷ = 3, J = 9", () => {
    const out = evaluate(buildS9Network(), feeds);
    // a1 = W1·3 = (3, −3); h1 = ReLU(a1); a2 = W2·h1 = (−1·3 + 1·0, 1·3 − 1·0);
    // h2 = ReLU(a2); ŷ = −1·0 + 1·3; J = (6 − 3)².
    expect(Array.from(out.a1!)).toEqual([3, -3]);
    expect(Array.from(out.h1!)).toEqual([3, 0]);
    expect(Array.from(out.a2!)).toEqual([-3, 3]);
    expect(Array.from(out.h2!)).toEqual([0, 3]);
    expect(Array.from(out.yHat!)).toEqual([3]);
    expect(Array.from(out.J!)).toEqual([9]);
  });
});

describe("SEEDS.md S9: backward pass", () => {
  it("gives ∂J/∂W3 = [0, −18], ∂J/∂W2 = [[0, 0], [−18, 0]], ∂J/∂W1 = [−18, 0]ᵀ", () => {
    const out = evaluate(grad(buildS9Network(), { of: "J" }), feeds);
    // ∂J/∂ŷ = −2(y − ŷ) = −6.
    // ∂J/∂W3 = −6·h2ᵀ = (−6·0, −6·3).
    expect(Array.from(out["grad/W3"]!)).toEqual([0, -18]);
    // ∂J/∂a2 = (−6·w3₁·[a2₁ > 0], −6·w3₂·[a2₂ > 0]) = (0, −6); ∂J/∂w2ᵢⱼ = ∂J/∂a2ᵢ·h1ⱼ.
    expect(Array.from(out["grad/W2"]!)).toEqual([0, 0, -18, 0]);
    // ∂J/∂a1ᵢ = Σₖ ∂J/∂a2ₖ·w2ₖᵢ·[a1ᵢ > 0] = (0·(−1) + (−6)·1, 0) = (−6, 0); ∂J/∂W1 = ∂J/∂a1·x.
    expect(Array.from(out["grad/W1"]!)).toEqual([-18, 0]);
  });

  it("moves exactly the three weights with non-zero gradient to 1.18 after one SGD step (η = 0.01)", () => {
    const trainer = new ReferenceTrainer(
      trainingGraph(buildS9Network(), { loss: "J", optimizer: sgd({ lr: 0.01 }) }),
    );
    const out = trainer.step(feeds);
    expect(Array.from(out.J!)).toEqual([9]);
    // w ← w − η·∂J/∂w: 1 − 0.01·(−18) = 1.18 for W3₁₂, W2₂₁ and W1₁₁. (The document prints
    // "1 − 0.1·(−18)" for these lines; with its own η = 0.01 the figure 1.18 is right.)
    const { W1, W2, W3 } = trainer.params;
    expect(Array.from(W3!)).toEqual([-1, expect.closeTo(1.18, 14)]);
    expect(Array.from(W2!)).toEqual([-1, 1, expect.closeTo(1.18, 14), -1]);
    expect(Array.from(W1!)).toEqual([expect.closeTo(1.18, 14), -1]);
  });
});

describe("SEEDS.md S9: convolution", () => {
  it("I = [[1,2,3],[4,5,6],[1,5,3]] ⋆ K = [[1,0],[0,1]] is [[6,8],[9,8]]", () => {
    const g = new GraphBuilder("s9-conv");
    const image = g.input("I", [1, 1, 3, 3]);
    const kernel = g.param("K", [1, 1, 2, 2], { init: [1, 0, 0, 1] });
    g.output("O", g.conv2d(image, kernel));
    const out = evaluate(g.build(), { I: [1, 2, 3, 4, 5, 6, 1, 5, 3] });
    // Each output is the sum of its window's main diagonal: 1+5, 2+6, 4+5, 5+3.
    expect(Array.from(out.O!)).toEqual([6, 8, 9, 8]);
  });
});

/** α·Σᵢ |wᵢ|ᵖ for a parameter `w` of `n` elements with the given values. */
function penaltyGraph(values: ArrayLike<number>, alpha: number, p: number): Graph {
  const g = new GraphBuilder("lp-penalty");
  const w = g.param("w", [values.length], { init: Array.from(values) });
  g.output("penalty", g.mul(g.sum(g.pow(g.abs(w), p)), alpha));
  return g.build();
}

describe("SEEDS.md S9: the gradient of α‖w‖ₚᵖ", () => {
  const alpha = 0.3;

  it.each([2, 3])("is α·p·w^(p−1) for w > 0 (p = %i)", (p) => {
    const w = uniformValues(seededRng(p), 6, 0.1, 2);
    const out = evaluate(grad(penaltyGraph(w, alpha, p), { of: "penalty" }));
    const expected = Array.from(w, (v) => alpha * p * v ** (p - 1));
    expect(maxAbsDifference(out["grad/w"]!, expected)).toBeLessThan(1e-14);
  });

  it.each([2, 3])("is α·p·|w|^(p−1)·sign(w) for either sign (p = %i)", (p) => {
    const w = uniformValues(seededRng(10 + p), 6, -2, 2);
    const out = evaluate(grad(penaltyGraph(w, alpha, p), { of: "penalty" }));
    const expected = Array.from(w, (v) => alpha * p * Math.abs(v) ** (p - 1) * Math.sign(v));
    expect(maxAbsDifference(out["grad/w"]!, expected)).toBeLessThan(1e-14);
  });

  it("for p = 2 is weight decay: sgd with weightDecay λ = sgd on J + (λ/2)‖w‖²", () => {
    const lambda = 0.1;
    const lr = 0.01;
    const penalised = (() => {
      const g = new GraphBuilder("s9-penalised");
      const v = addS9Network(g);
      const squaredNorm = (w: Value) => g.sum(g.pow(g.abs(w), 2));
      const norm = g.add(g.add(squaredNorm(v.w1), squaredNorm(v.w2)), squaredNorm(v.w3));
      g.output("loss", g.add(v.j, g.mul(norm, lambda / 2)));
      return g.build();
    })();
    const decayed = new ReferenceTrainer(
      trainingGraph(buildS9Network(), { loss: "J", optimizer: sgd({ lr, weightDecay: lambda }) }),
    );
    const explicit = new ReferenceTrainer(
      trainingGraph(penalised, { loss: "loss", optimizer: sgd({ lr }) }),
    );
    decayed.step(feeds);
    explicit.step(feeds);
    // One step by hand: w ← w − η(∂J/∂w + λw).
    const expected = {
      W1: [1 - lr * (-18 + lambda * 1), -1 - lr * (0 + lambda * -1)],
      W2: [-1 + lr * lambda, 1 - lr * lambda, 1 - lr * (-18 + lambda), -1 + lr * lambda],
      W3: [-1 + lr * lambda, 1 - lr * (-18 + lambda)],
    };
    for (const [name, values] of Object.entries(expected)) {
      expect(maxAbsDifference(decayed.params[name]!, values), name).toBeLessThan(1e-15);
      expect(maxAbsDifference(explicit.params[name]!, values), name).toBeLessThan(1e-15);
    }
    // And they stay together over further steps.
    for (let i = 0; i < 4; i++) {
      decayed.step(feeds);
      explicit.step(feeds);
    }
    for (const name of ["W1", "W2", "W3"]) {
      expect(maxAbsDifference(decayed.params[name]!, explicit.params[name]!), name).toBeLessThan(
        1e-14,
      );
    }
  });
});

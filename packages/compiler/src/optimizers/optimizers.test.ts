import { type Graph, GraphBuilder } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { ReferenceTrainer } from "../reference-trainer.js";
import { adam, adamw } from "./adam.js";
import { momentum } from "./momentum.js";
import type { Optimizer } from "./optimizer.js";
import { sgd } from "./sgd.js";
import { LEARNING_RATE_PARAM, STEP_PARAM, trainingGraph } from "./training-graph.js";

/** SEEDS.md S7: f(x, y) = y² + (y − x)², minimum at (0, 0), starting from (1, 1). */
function seedS7(): Graph {
  const g = new GraphBuilder("s7");
  const x = g.param("x", [], { init: [1] });
  const y = g.param("y", [], { init: [1] });
  g.output("f", g.add(g.square(y), g.square(g.sub(y, x))));
  return g.build();
}

function stepOnce(optimizer: Optimizer) {
  const trainer = new ReferenceTrainer(trainingGraph(seedS7(), { loss: "f", optimizer }));
  const f = trainer.step({}).f![0];
  return { f, x: trainer.params.x![0]!, y: trainer.params.y![0]!, trainer };
}

describe("SEEDS.md S7: gradient-descent step sizes", () => {
  // ∇f(1, 1) = (−2(y − x), 2y + 2(y − x)) = (0, 2).
  it.each([
    [0.01, 0.98, 1.4],
    [0.1, 0.8, 1.28],
    [10, -19, 19.03],
  ])("a step of %d from (1, 1) lands on (1, %d), %d from the minimum", (lr, y, distance) => {
    const result = stepOnce(sgd({ lr }));
    expect(result.f).toBe(1);
    expect(result.x).toBe(1);
    expect(result.y).toBeCloseTo(y, 12);
    expect(Math.hypot(result.x, result.y).toFixed(2)).toBe(distance.toFixed(2));
  });

  it("keeps the learning rate and step count as state", () => {
    const { trainer } = stepOnce(sgd({ lr: 0.1 }));
    expect(trainer.params[LEARNING_RATE_PARAM]![0]).toBeCloseTo(0.1, 12);
    expect(trainer.params[STEP_PARAM]![0]).toBe(1);
    // A schedule changes the rate between steps by writing the state.
    trainer.params[LEARNING_RATE_PARAM]![0] = 0.01;
    trainer.step({});
    // y: 0.8 − 0.01·(2·0.8 + 2·(0.8 − 1)) = 0.8 − 0.012
    expect(trainer.params.y![0]).toBeCloseTo(0.788, 12);
  });
});

describe("momentum", () => {
  it("accumulates velocity: v₁ = g₁, v₂ = μv₁ + g₂", () => {
    const trainer = new ReferenceTrainer(
      trainingGraph(seedS7(), { loss: "f", optimizer: momentum({ lr: 0.1, momentum: 0.9 }) }),
    );
    trainer.step({});
    // step 1: g = (0, 2), v = (0, 2), (x, y) = (1, 0.8)
    expect([trainer.params.x![0], trainer.params.y![0]]).toEqual([1, expect.closeTo(0.8, 12)]);
    trainer.step({});
    // step 2: g = (−2(0.8 − 1), 2·0.8 + 2(0.8 − 1)) = (0.4, 1.2); v = (0.4, 1.8 + 1.2) = (0.4, 3)
    expect(trainer.params["opt/x/velocity"]![0]).toBeCloseTo(0.4, 12);
    expect(trainer.params["opt/y/velocity"]![0]).toBeCloseTo(3, 12);
    expect(trainer.params.x![0]).toBeCloseTo(1 - 0.04, 12);
    expect(trainer.params.y![0]).toBeCloseTo(0.8 - 0.3, 12);
  });

  it("Nesterov steps along g + μ·v", () => {
    const trainer = new ReferenceTrainer(
      trainingGraph(seedS7(), {
        loss: "f",
        optimizer: momentum({ lr: 0.1, momentum: 0.9, nesterov: true }),
      }),
    );
    trainer.step({});
    // g = (0, 2), v = (0, 2), direction = g + 0.9·v = (0, 3.8)
    expect(trainer.params.y![0]).toBeCloseTo(1 - 0.38, 12);
  });
});

describe("adam and adamw", () => {
  it("takes a first step of lr·sign(g) (bias correction makes m̂ = g, v̂ = g²)", () => {
    const { x, y } = stepOnce(adam({ lr: 0.01 }));
    expect(x).toBe(1); // g_x = 0: m̂ = 0, no move
    expect(y).toBeCloseTo(1 - 0.01 * (2 / (2 + 1e-8)), 12);
  });

  it("adds AdamW's decoupled decay λ·w to the step, not to the gradient", () => {
    const { x, y } = stepOnce(adamw({ lr: 0.01, weightDecay: 0.1 }));
    expect(x).toBeCloseTo(1 - 0.01 * 0.1 * 1, 12);
    expect(y).toBeCloseTo(1 - 0.01 * (2 / (2 + 1e-8) + 0.1), 12);
  });

  it("couples Adam's weight decay into the gradient (L2)", () => {
    // g_x = 0 + 0.1·1, so x moves by lr·sign(0.1) = 0.01.
    const { x } = stepOnce(adam({ lr: 0.01, weightDecay: 0.1 }));
    expect(x).toBeCloseTo(1 - 0.01 * (0.1 / (0.1 + 1e-8)), 12);
  });
});

describe("training graphs", () => {
  it("records one update per parameter and state slot, and no gradient outputs", () => {
    const graph = trainingGraph(seedS7(), { loss: "f", optimizer: adam({ lr: 0.1 }) });
    expect(graph.outputs.map((o) => o.name)).toEqual(["f"]);
    expect(graph.updates.map((u) => u.param).sort()).toEqual(
      ["opt/step", "opt/x/m", "opt/x/v", "opt/y/m", "opt/y/v", "x", "y"].sort(),
    );
  });

  it("rejects bad hyperparameters and graphs without parameters", () => {
    expect(() => sgd({ lr: Number.NaN })).toThrowErrorMatchingInlineSnapshot(
      `[NncError: error NNC1002: sgd: lr must be a finite number ≥ 0, got NaN]`,
    );
    expect(() => momentum({ lr: 0.1, momentum: 1.5 })).toThrowError(
      /momentum must be a finite number in \[0, 1\]/,
    );
    const g = new GraphBuilder("fixed");
    g.output("y", g.square(g.input("x", [2])));
    expect(() => trainingGraph(g.build(), { loss: "y", optimizer: sgd({ lr: 1 }) })).toThrowError(
      /no trainable parameters/,
    );
  });
});

import { describe, expect, it } from "vitest";
import { evaluate, type Feeds } from "../evaluate.js";
import { GraphBuilder, type LossOptions } from "../graph-builder.js";
import type { Shape } from "../shape.js";
import type { Value } from "../value.js";
import { lossOps } from "./losses.js";

/** Builds a one-output graph with `build` and evaluates it; returns the values and the shape. */
function run(
  build: (g: GraphBuilder) => Value,
  feeds: Feeds = {},
): { y: Float64Array; shape: Shape } {
  const g = new GraphBuilder("test");
  const out = build(g);
  g.output("y", out);
  return { y: Float64Array.from(evaluate(g.build(), feeds).y!), shape: out.shape };
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

const REDUCTIONS = ["none", "mean", "sum"] as const;

/** Runs a two-operand loss with each reduction on the same data. */
function lossByReduction(
  loss: (g: GraphBuilder, a: Value, b: Value, options: LossOptions) => Value,
  a: { shape: Shape; data: readonly number[]; dtype?: "int32" },
  b: { shape: Shape; data: readonly number[]; dtype?: "int32" },
) {
  return Object.fromEntries(
    REDUCTIONS.map((reduction) => [
      reduction,
      run(
        (g) =>
          loss(g, g.input("a", a.shape), g.input("b", b.shape, b.dtype ?? "float32"), {
            reduction,
          }),
        { a: a.data, b: b.data },
      ),
    ]),
  ) as Record<(typeof REDUCTIONS)[number], { y: Float64Array; shape: Shape }>;
}

// ---- mse ---------------------------------------------------------------------------------------

describe("mse", () => {
  const mse = (g: GraphBuilder, a: Value, b: Value, o: LossOptions) => g.mse(a, b, o);

  it("averages over non-batch axes, then reduces over the batch", () => {
    // Squared errors [[0, 4], [9, 0]]: per example [2, 4.5].
    const r = lossByReduction(
      mse,
      { shape: [2, 2], data: [1, 2, 3, 4] },
      { shape: [2, 2], data: [1, 0, 0, 4] },
    );
    expect(r.none).toEqual({ y: Float64Array.of(2, 4.5), shape: [2] });
    expect(r.mean).toEqual({ y: Float64Array.of(3.25), shape: [] });
    expect(r.sum).toEqual({ y: Float64Array.of(6.5), shape: [] });
  });

  it("treats each element of a rank-1 prediction as one example", () => {
    const r = lossByReduction(
      mse,
      { shape: [3], data: [1, 2, 3] },
      { shape: [3], data: [1, 1, 1] },
    );
    expect(r.none).toEqual({ y: Float64Array.of(0, 1, 4), shape: [3] });
    expectClose(r.mean.y, [5 / 3]);
    expect(r.sum.y).toEqual(Float64Array.of(5));
  });

  it("gives a scalar for a rank-0 prediction, whatever the reduction", () => {
    const r = lossByReduction(mse, { shape: [], data: [3] }, { shape: [], data: [1] });
    for (const reduction of REDUCTIONS)
      expect(r[reduction]).toEqual({ y: Float64Array.of(4), shape: [] });
  });

  it("averages over every non-batch axis of a rank-3 prediction", () => {
    // Example 0: errors 1, 1, 1, 1 → 1. Example 1: errors 0, 0, 0, 4 → 16/4 = 4.
    const r = lossByReduction(
      mse,
      { shape: [2, 2, 2], data: [1, 1, 1, 1, 0, 0, 0, 4] },
      { shape: [2, 2, 2], data: [0, 2, 0, 2, 0, 0, 0, 0] },
    );
    expect(r.none.y).toEqual(Float64Array.of(1, 4));
    expect(r.mean.y).toEqual(Float64Array.of(2.5));
  });

  it("rejects shapes that differ", () => {
    const g = new GraphBuilder("test");
    const prediction = g.input("prediction", [8, 10]);
    const target = g.input("target", [8, 1]);
    expect(() => g.mse(prediction, target)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2001: mse: prediction and target shapes differ ([8,10] vs [8,1])
        prediction: f32[8,10]  input "prediction"
        target: f32[8,1]  input "target"
        node: mse
        at src/ops/losses.test.ts:100:20]
    `);
  });
});

// ---- softmax_cross_entropy ---------------------------------------------------------------------

describe("softmax_cross_entropy", () => {
  const sce = (g: GraphBuilder, a: Value, b: Value, o: LossOptions) =>
    g.softmaxCrossEntropy(a, b, o);

  it("is −log of the label's softmax probability", () => {
    // softmax([0, ln 3]) = [1/4, 3/4].
    const r = lossByReduction(
      sce,
      { shape: [2, 2], data: [0, Math.log(3), 0, Math.log(3)] },
      { shape: [2], data: [1, 0], dtype: "int32" },
    );
    expectClose(r.none.y, [Math.log(4 / 3), Math.log(4)]);
    expect(r.none.shape).toEqual([2]);
    expectClose(r.mean.y, [(Math.log(4 / 3) + Math.log(4)) / 2]);
    expectClose(r.sum.y, [Math.log(16 / 3)]);
    expect(r.sum.shape).toEqual([]);
  });

  it("is log C for uniform logits", () => {
    const { y } = run(
      (g) => g.softmaxCrossEntropy(g.input("x", [1, 5]), g.input("l", [1], "int32")),
      {
        x: [7, 7, 7, 7, 7],
        l: [3],
      },
    );
    expectClose(y, [Math.log(5)]);
  });

  it("is finite and exact for logits of ±1000", () => {
    const r = lossByReduction(
      sce,
      { shape: [2, 2], data: [1000, -1000, 1000, -1000] },
      { shape: [2], data: [0, 1], dtype: "int32" },
    );
    expect(r.none.y).toEqual(Float64Array.of(0, 2000));
    expect(r.mean.y).toEqual(Float64Array.of(1000));
    const probabilities = lossByReduction(
      sce,
      { shape: [2, 2], data: [1000, -1000, 1000, -1000] },
      { shape: [2, 2], data: [1, 0, 0, 1] },
    );
    expect(probabilities.none.y).toEqual(Float64Array.of(0, 2000));
  });

  it("takes probability labels: −Σ p·log softmax", () => {
    // Half the mass on each class of softmax [1/4, 3/4]: ½ log 4 + ½ log(4/3).
    const { y } = run(
      (g) =>
        g.softmaxCrossEntropy(g.input("x", [1, 2]), g.input("p", [1, 2]), { reduction: "none" }),
      { x: [0, Math.log(3)], p: [0.5, 0.5] },
    );
    expectClose(y, [0.5 * Math.log(4) + 0.5 * Math.log(4 / 3)]);
  });

  it("gives logsumexp(logits) for a label outside [0, C) (no class selected)", () => {
    // logsumexp([1, 2]) = 2 + log(1 + e⁻¹) = 2.31326168751822; label 0 would give 1.31326….
    const { y } = run(
      (g) =>
        g.softmaxCrossEntropy(g.input("x", [4, 2]), g.input("l", [4], "int32"), {
          reduction: "none",
        }),
      { x: [1, 2, 1, 2, 1, 2, 1, 2], l: [-1, 2, 7, 0] },
    );
    expectClose(y, [2.31326168751822, 2.31326168751822, 2.31326168751822, 1.31326168751822], 1e-13);
  });

  it("decomposes an out-of-range int32 label like the reference", () => {
    const feeds = { x: [1, 2, 0.5, -1, 3, 3], l: [-1, 1, 3] };
    const composite = run(
      (g) =>
        g.softmaxCrossEntropy(g.input("x", [3, 2]), g.input("l", [3], "int32"), {
          reduction: "none",
        }),
      feeds,
    );
    const decomposed = run(
      (g) =>
        lossOps.softmax_cross_entropy.decompose!(
          g,
          [g.input("x", [3, 2]), g.input("l", [3], "int32")],
          { reduction: "none" },
        ),
      feeds,
    );
    expectClose(decomposed.y, composite.y);
  });

  it("rejects labels with another batch size", () => {
    const g = new GraphBuilder("test");
    const logits = g.input("logits", [32, 10]);
    const labels = g.input("labels", [30], "int32");
    expect(() => g.softmaxCrossEntropy(logits, labels)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2001: softmax_cross_entropy: batch sizes differ (logits 32 vs labels 30)
        logits: f32[32,10]  input "logits"
        labels: i32[30]  input "labels"
        node: softmax_cross_entropy
        at src/ops/losses.test.ts:204:20]
    `);
  });

  it("rejects probability labels of another shape", () => {
    const g = new GraphBuilder("test");
    const logits = g.input("logits", [32, 10]);
    const labels = g.input("labels", [32, 9]);
    expect(() => g.softmaxCrossEntropy(logits, labels)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2001: softmax_cross_entropy: probability labels must have the logits' shape [32,10], got [32,9]
        logits: f32[32,10]  input "logits"
        labels: f32[32,9]  input "labels"
        node: softmax_cross_entropy
        at src/ops/losses.test.ts:217:20]
    `);
  });
});

// ---- binary_cross_entropy ----------------------------------------------------------------------

describe("binary_cross_entropy", () => {
  const bce = (g: GraphBuilder, a: Value, b: Value, o: LossOptions) =>
    g.binaryCrossEntropy(a, b, o);
  const perElement = (logits: number[], targets: number[]) =>
    run(
      (g) =>
        g.binaryCrossEntropy(g.input("x", [logits.length]), g.input("t", [targets.length]), {
          reduction: "none",
        }),
      {
        x: logits,
        t: targets,
      },
    ).y;

  it("is −t log p − (1 − t) log(1 − p) with p = σ(x)", () => {
    // σ(0) = 1/2 and σ(ln 3) = 3/4.
    const y = perElement([0, 0, Math.log(3), Math.log(3)], [1, 0, 1, 0]);
    expectClose(y, [Math.log(2), Math.log(2), Math.log(4 / 3), Math.log(4)]);
  });

  it("is finite and exact for logits of ±1000", () => {
    const y = perElement([1000, 1000, -1000, -1000, 1000], [1, 0, 0, 1, 0.25]);
    expect([...y]).toEqual([0, 1000, 0, 1000, 750]);
  });

  it("keeps full precision where the loss is tiny", () => {
    // log(1 + e⁻⁴⁰) = e⁻⁴⁰ to double precision; a naive log(1 + e⁻⁴⁰) would give 0.
    expectClose(perElement([40], [1]), [Math.exp(-40)], 1e-30);
    expect(perElement([40], [1])[0]! / Math.exp(-40)).toBeCloseTo(1, 12);
  });

  it("equals KL(P‖Q) + H(P) for soft targets (SEEDS S6)", () => {
    const cases = [
      [0.2, 0.3],
      [0.7, 0.5],
      [0.99, 0.9],
      [0.05, 0.6],
    ] as const;
    const y = perElement(
      cases.map(([p]) => Math.log(p / (1 - p))),
      cases.map(([, x]) => x),
    );
    cases.forEach(([p, x], i) => {
      const kl = x * Math.log(x / p) + (1 - x) * Math.log((1 - x) / (1 - p));
      const entropy = -x * Math.log(x) - (1 - x) * Math.log(1 - x);
      expectClose([y[i]!], [kl + entropy], 1e-13);
      expectClose([y[i]!], [-x * Math.log(p) - (1 - x) * Math.log(1 - p)], 1e-13);
    });
  });

  it("averages over non-batch axes, then reduces", () => {
    // Example 0: logits 0 → log 2 twice. Example 1: [ln 3, ln 3] with targets [1, 0] → (log 4/3 + log 4)/2.
    const r = lossByReduction(
      bce,
      { shape: [2, 2], data: [0, 0, Math.log(3), Math.log(3)] },
      { shape: [2, 2], data: [1, 0, 1, 0] },
    );
    const second = (Math.log(4 / 3) + Math.log(4)) / 2;
    expectClose(r.none.y, [Math.log(2), second]);
    expectClose(r.mean.y, [(Math.log(2) + second) / 2]);
    expectClose(r.sum.y, [Math.log(2) + second]);
  });

  it("rejects shapes that differ", () => {
    const g = new GraphBuilder("test");
    const logits = g.input("logits", [4, 1]);
    const targets = g.input("targets", [4]);
    expect(() => g.binaryCrossEntropy(logits, targets)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2001: binary_cross_entropy: logits and targets shapes differ ([4,1] vs [4])
        logits: f32[4,1]  input "logits"
        targets: f32[4]  input "targets"
        node: binary_cross_entropy
        at src/ops/losses.test.ts:297:20]
    `);
  });
});

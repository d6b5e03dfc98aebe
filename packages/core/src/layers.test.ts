import { describe, expect, it } from "vitest";
import { evaluate, evaluateAll } from "./evaluate.js";
import { GraphBuilder } from "./graph-builder.js";
import { RNG_STEP_PARAM } from "./layers.js";
import { printGraph } from "./print-graph.js";
import { hashString } from "./random.js";
import { summarize } from "./summarize.js";

/** Two training-mode dropout layers on `[rows, cols]` inputs, both as outputs. */
function twoDropouts(rows: number, cols: number, seed?: number) {
  const g = new GraphBuilder("drop");
  const x = g.input("x", [rows, cols]);
  const a = g.layers.dropout(x, { rate: 0.5, training: true, ...(seed !== undefined && { seed }) });
  const b = g.layers.dropout(x, { rate: 0.5, training: true, ...(seed !== undefined && { seed }) });
  g.output("a", a);
  g.output("b", b);
  return g.build();
}

const zeroPattern = (y: ArrayLike<number>) => Array.from(y, (v) => (v === 0 ? 0 : 1)).join("");

describe("layers.dropout", () => {
  it("in training salts every mask with one shared step counter that each step increments", () => {
    const graph = twoDropouts(1, 4);
    expect(printGraph(graph)).toMatchInlineSnapshot(`
      "graph "drop" {
        %0 = input "x" : f32[1,4]
        %1 = param "rng/step" zeros() frozen : f32[]
        %2 = constant [1] : f32[]  # dropout/constant
        %3 = add(%1, %2) : f32[]  # dropout/add
        %4 = dropout(%0, %1) {rate=0.5, seed=658024080} : f32[1,4]  # dropout/dropout
        %5 = dropout(%0, %1) {rate=0.5, seed=744040580} : f32[1,4]  # dropout_1/dropout
        output "a" = %4
        output "b" = %5
        update "rng/step" = %3
      }"
    `);
    expect(graph.nodes.filter((n) => n.op === "dropout").map((n) => n.attrs.seed)).toEqual([
      hashString("dropout"),
      hashString("dropout_1"),
    ]);
    expect(RNG_STEP_PARAM).toBe("rng/step");
  });

  it("draws a new mask for each step count, the same one for the same count", () => {
    const graph = twoDropouts(40, 50);
    const x = new Float64Array(2000).fill(1);
    const { outputs, updates } = evaluateAll(graph, { x });
    expect(Array.from(updates["rng/step"]!)).toEqual([1]);
    const at = (step: number) => evaluate(graph, { x, "rng/step": [step] });
    const [step0, step1, again1] = [at(0), at(1), at(1)];
    expect(zeroPattern(step0.a!)).toBe(zeroPattern(outputs.a!));
    expect(zeroPattern(step1.a!)).not.toBe(zeroPattern(step0.a!));
    expect(zeroPattern(again1.a!)).toBe(zeroPattern(step1.a!));
    // Layers seeded by their names draw different masks at the same step.
    expect(zeroPattern(step0.b!)).not.toBe(zeroPattern(step0.a!));
    // Kept fraction: 2,000 Bernoulli(1/2) draws, σ ≈ 0.011; the bound is ≈ 5σ.
    for (const y of [step0.a!, step1.a!, step0.b!]) {
      const kept = Array.from(y).filter((v) => v !== 0).length / y.length;
      expect(Math.abs(kept - 0.5)).toBeLessThan(0.06);
    }
  });

  it("is the low-level op salted with the counter", () => {
    const layer = twoDropouts(8, 8, 31);
    const g = new GraphBuilder("op");
    const x = g.input("x", [8, 8]);
    g.output("y", g.dropout(x, { rate: 0.5, seed: 31, salt: g.input("salt", []) }));
    const manual = g.build();
    const x0 = Float64Array.from({ length: 64 }, (_, i) => i + 1);
    for (const step of [0, 5]) {
      const want = evaluate(manual, { x: x0, salt: [step] }).y!;
      const got = evaluate(layer, { x: x0, "rng/step": [step] });
      expect(got.a).toEqual(want);
      // An explicit seed is honoured by both layers.
      expect(got.b).toEqual(want);
    }
  });

  it("is the identity in inference, with no step counter", () => {
    const g = new GraphBuilder("infer");
    const x = g.input("x", [2, 3]);
    const y = g.layers.dropout(x, { rate: 0.5, training: false });
    expect(y).toBe(x);
    g.output("y", y);
    const graph = g.build();
    expect(graph.params).toEqual([]);
    expect(graph.updates).toEqual([]);
  });

  it("shows as a dropout layer; the counter is a non-trainable parameter", () => {
    const g = new GraphBuilder("net");
    const x = g.input("x", [2, 4]);
    const h = g.layers.dropout(x, { rate: 0.25, training: true, name: "drop1" });
    g.output("y", g.layers.dense(h, 3, { name: "fc" }));
    const summary = summarize(g.build());
    expect(summary.rows.map((r) => [r.name, r.op, r.outputShape])).toEqual([
      ["drop1", "dropout", [2, 4]],
      ["fc", "dense", [2, 3]],
    ]);
    expect(summary.nonTrainableParams).toBe(1);
    expect(summary.trainableParams).toBe(4 * 3 + 3);
  });
});

import { compile, sgd } from "@nnc/compiler";
import { createRng, evaluate, GraphBuilder, hashString, RNG_STEP_PARAM } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { cpu } from "../index.js";

/** Core's salted dropout of `x` (the reference), rounded to float32 as the backend stores it. */
function referenceDropout(x: Float32Array, rate: number, seed: number, salt: number): Float32Array {
  const g = new GraphBuilder("reference");
  const input = g.input("x", [x.length]);
  g.output("y", g.dropout(input, { rate, seed, salt: g.input("salt", []) }));
  return Float32Array.from(evaluate(g.build(), { x, salt: [salt] }).y!);
}

const keptMask = (y: ArrayLike<number>): number[] => Array.from(y, (v) => (v !== 0 ? 1 : 0));

describe("salted dropout on the cpu backend", () => {
  it("draws core's mask bit for bit for every salt", async () => {
    const n = 37 * 53;
    const g = new GraphBuilder("salted");
    const x = g.input("x", [37, 53]);
    g.output("y", g.dropout(x, { rate: 0.3, seed: 12345, salt: g.input("salt", []) }));
    const exe = await compile(g.build(), { backend: cpu() });
    const rng = createRng(8);
    const data = Float32Array.from({ length: n }, () => rng.uniform(-2, 2));
    const masks = new Set<string>();
    for (const salt of [0, 1, 2, 2.5, -3, 123_456, 16_777_216]) {
      const got = exe.run({ x: data, salt: [salt] }).y!;
      expect(got, `salt ${salt}`).toEqual(referenceDropout(data, 0.3, 12345, salt));
      masks.add(keptMask(got).join(""));
    }
    // 2.5 reads as 2: six distinct masks from seven salts.
    expect(masks.size).toBe(6);
  });

  it("draws a fresh mask every training step and counts the steps in rng/step", async () => {
    // loss = Σ dropout(x · w) with x = 1: ∂loss/∂w is the step's mask times 1/(1 − rate) = 2,
    // so each SGD step with lr 1/8 lowers w by 0.25 where the step kept the element.
    const n = 4096;
    const rate = 0.5;
    const g = new GraphBuilder("drop-train");
    const x = g.input("x", [n]);
    const w = g.param("w", [n], { init: "ones" });
    const h = g.layers.dropout(g.mul(x, w), { rate, training: true, name: "drop" });
    g.output("loss", g.sum(h));
    const graph = g.build();
    const options = {
      backend: cpu(),
      mode: "train" as const,
      loss: "loss",
      optimizer: sgd({ lr: 0.125 }),
    };
    const exe = await compile(graph, options);
    const ones = new Float32Array(n).fill(1);

    const stepMask = (before: Float32Array, after: Float32Array): number[] =>
      Array.from(after, (v, i) => {
        expect(before[i]! - v).toBeOneOf([0, 0.25]);
        return v !== before[i] ? 1 : 0;
      });
    const w0 = exe.getParams().w!;
    exe.step({ x: ones });
    const w1 = exe.getParams().w!;
    expect(Array.from(exe.getParams()[RNG_STEP_PARAM]!)).toEqual([1]);
    exe.step({ x: ones });
    const w2 = exe.getParams().w!;
    expect(Array.from(exe.getParams()[RNG_STEP_PARAM]!)).toEqual([2]);

    const mask1 = stepMask(w0, w1);
    const mask2 = stepMask(w1, w2);
    expect(mask2).not.toEqual(mask1);
    // Step k uses the salt k − 1 with the seed hashed from the layer's name.
    const seed = hashString("drop");
    expect(mask1).toEqual(keptMask(referenceDropout(ones, rate, seed, 0)));
    expect(mask2).toEqual(keptMask(referenceDropout(ones, rate, seed, 1)));
    // Kept fraction: n Bernoulli(1/2) draws, σ = √(0.25/4096) ≈ 0.0078; the bound is ≈ 5σ.
    for (const mask of [mask1, mask2]) {
      expect(Math.abs(mask.reduce((s, v) => s + v, 0) / n - (1 - rate))).toBeLessThan(0.04);
    }

    // A run resumed from the state after step 1 draws step 2's mask again.
    const resumed = await compile(graph, options);
    resumed.setParams({ w: w1, [RNG_STEP_PARAM]: [1] });
    resumed.step({ x: ones });
    expect(resumed.getParams().w).toEqual(w2);
    expect(Array.from(resumed.getParams()[RNG_STEP_PARAM]!)).toEqual([2]);
  });

  it("compiles the inference graph without dropout or a step counter", async () => {
    const g = new GraphBuilder("drop-infer");
    const x = g.input("x", [4]);
    g.output("y", g.layers.dropout(x, { rate: 0.5, training: false }));
    const exe = await compile(g.build(), { backend: cpu() });
    expect(Object.keys(exe.getParams())).toEqual([]);
    expect(Array.from(exe.run({ x: [1, 2, 3, 4] }).y!)).toEqual([1, 2, 3, 4]);
  });
});

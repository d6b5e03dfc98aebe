import { describe, expect, it } from "vitest";
import { constantLr, cosineLr, stepLr } from "./schedules.js";

const at = (step: number, stepsPerEpoch = 10, totalSteps = 100) => ({
  step,
  epoch: Math.ceil(step / stepsPerEpoch),
  stepsPerEpoch,
  totalSteps,
});

describe("learning-rate schedules", () => {
  it("constant", () => {
    expect([1, 50, 100].map((s) => constantLr(0.3).lr(at(s)))).toEqual([0.3, 0.3, 0.3]);
  });

  it("step decay by epochs and by steps", () => {
    const byEpoch = stepLr({ lr: 1, gamma: 0.5, everyEpochs: 2 });
    // Epochs 1–2 at 1, 3–4 at 0.5, 5–6 at 0.25.
    expect([1, 20, 21, 40, 41].map((s) => byEpoch.lr(at(s)))).toEqual([1, 1, 0.5, 0.5, 0.25]);
    const bySteps = stepLr({ lr: 1, everySteps: 3 });
    expect([1, 3, 4, 7].map((s) => bySteps.lr(at(s)))).toEqual([1, 1, 0.1, 0.1 ** 2]);
  });

  it("cosine: peak after warm-up, half-way at the middle, minLr at the last step", () => {
    const schedule = cosineLr({ lr: 1, minLr: 0.1, warmupSteps: 10 });
    expect(schedule.lr(at(5))).toBeCloseTo(0.5, 15);
    expect(schedule.lr(at(10))).toBe(1);
    expect(schedule.lr(at(11))).toBe(1);
    // 89 post-warm-up steps from 11 to 100: p = 1/2 at step 55.5, so check symmetry about it.
    const mid = (schedule.lr(at(55)) + schedule.lr(at(56))) / 2;
    expect(mid).toBeCloseTo(0.55, 3);
    expect(schedule.lr(at(100))).toBeCloseTo(0.1, 15);
    // Monotone after the warm-up.
    for (let s = 11; s < 100; s++)
      expect(schedule.lr(at(s + 1))).toBeLessThanOrEqual(schedule.lr(at(s)));
  });

  it("rejects nonsense", () => {
    expect(() => constantLr(0)).toThrowError(
      /NNC7003: constantLr: lr must be a positive number, got 0/,
    );
    expect(() => stepLr({ lr: 1 })).toThrowError(/exactly one of everyEpochs and everySteps/);
    expect(() => stepLr({ lr: 1, everySteps: 0 })).toThrowError(
      /everySteps must be a positive integer/,
    );
    expect(() => stepLr({ lr: 1, gamma: 2, everySteps: 1 })).toThrowError(
      /gamma must be in \(0, 1\]/,
    );
    expect(() => cosineLr({ lr: 1, minLr: 2 })).toThrowError(/minLr must be in \[0, lr\]/);
    expect(() => cosineLr({ lr: 1, warmupSteps: 1.5 })).toThrowError(
      /warmupSteps must be a non-negative integer/,
    );
  });
});

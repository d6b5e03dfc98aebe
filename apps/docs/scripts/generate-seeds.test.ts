/**
 * The seed figures generator's computation (without the file write): every check in it must pass
 * against the current nnc, and a few figures are pinned here as SEEDS.md gives them, so a change
 * in nnc that alters a page's numbers fails this test before it reaches the site.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { computeSeedFigures, type SeedFigures } from "./generate-seeds.js";
import { checkClose, checkEqual, FigureMismatch } from "./seeds/check.js";

describe("generate-seeds", () => {
  let figures: SeedFigures;
  beforeAll(async () => {
    figures = await computeSeedFigures();
  }, 240_000);

  it("reproduces S9's walk-through: J = 9, the gradients, 1.18 after one step", () => {
    expect(figures.s9.forward.J).toEqual([9]);
    expect(figures.s9.gradients.W2).toEqual([
      [0, 0],
      [-18, 0],
    ]);
    expect(figures.s9.step.W3[1]).toBeCloseTo(1.18, 6);
  });

  it("reproduces S7's distances 1.40, 1.28 and 19.03", () => {
    expect(figures.s7.steps.map((s) => s.distance.toFixed(2))).toEqual(["1.40", "1.28", "19.03"]);
  });

  it("reproduces S2's m + r + s kept elements and S4's table", () => {
    const [plan] = figures.s2.plans;
    expect(plan!.kept.map((k) => k.role)).toEqual(["h", "a", "loss"]);
    expect(plan!.halfBytes).toBe(2 * (5 + 4 + 3));
    expect(figures.s4.network.rows.map((r) => `${r.output}/${r.params}`)).toEqual([
      "31×31×5/85",
      "10×10×5/0",
      "8×8×5/230",
      "4×4×5/0",
      "5/405",
    ]);
  });

  it("has S1's nine ∂L/∂X sums equal to nnc's values", () => {
    expect(figures.s1.sumsX).toHaveLength(9);
    for (const sum of figures.s1.sumsX) expect(sum.nnc).toBe(sum.byHand);
  });

  it("records the figures the concept pages need", () => {
    expect(figures.batchNorm.training.biasMoves.every((m) => m.withPass === 0)).toBe(true);
    expect(figures.compiler.memory.lenet.report.keptBytes).toBeLessThan(
      figures.compiler.memory.lenet.noRecompute.keptBytes,
    );
    expect(Object.keys(figures.seconds)).toContain("s8");
  });
});

describe("figure checks", () => {
  it("throw a FigureMismatch naming the figure and both values", () => {
    expect(() => checkEqual("S9 J", [8], [9])).toThrowError(FigureMismatch);
    expect(() => checkEqual("S9 J", [8], [9])).toThrowError("S9 J: nnc computed [8], expected [9]");
    expect(() => checkClose("S7 y", 0.97, 0.98, 1e-6)).toThrowError(/S7 y: .*largest difference/);
    // A NaN never passes a tolerance.
    expect(() => checkClose("S3 x", [Number.NaN], [0], 1)).toThrowError(FigureMismatch);
    expect(checkClose("S7 y", [0.98], [0.98], 0)).toBe(0);
  });
});

import type { OpName } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { checkOpSamples } from "./test-support.js";

// Every valid op sample of the reductions, layout ops and dropout, run on WebGL and compared
// with core's float64 reference: layout ops and dropout's mask exactly, sums within the float32
// accumulation bound of their sizes.

const EXACT: readonly OpName[] = [
  "max",
  "min",
  "argmax",
  "reshape",
  "transpose",
  "broadcast_to",
  "slice",
  "pad",
  "concat",
  "one_hot",
  "dropout",
];

describe("reduction, layout and dropout op samples agree with the reference", () => {
  for (const op of EXACT) {
    it(op, async () => {
      const { failures, checked } = await checkOpSamples(op, { rtol: 1e-6, atol: 0 });
      expect(failures).toEqual([]);
      expect(checked).toBeGreaterThan(0);
    });
  }
  it("sum", async () => {
    const { failures, checked } = await checkOpSamples("sum", { rtol: 1e-5, atol: 1e-5 });
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(0);
  });
});

import { OP_NAMES, opDef } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { SCALAR } from "./glsl/ops/elementwise.js";
import { checkOpSamples } from "./test-support.js";

// Every valid op sample of every elementwise primitive, run as a WebGL shader and compared with
// core's float64 reference. Arithmetic is one float32 rounding; transcendental functions get
// the room SwiftShader's exp/log/sin need (see README).

const TRANSCENDENTAL = new Set([
  "exp",
  "sin",
  "cos",
  "tanh",
  "erf",
  "pow",
  "sigmoid",
  "softplus",
  "elu",
  "log",
]);

describe("elementwise op samples agree with the reference", () => {
  for (const op of Object.keys(SCALAR) as (keyof typeof SCALAR)[]) {
    it(op, async () => {
      const tolerance = TRANSCENDENTAL.has(op)
        ? { rtol: 1e-5, atol: 1e-6 }
        : { rtol: 1e-6, atol: 1e-7 };
      const { failures, checked } = await checkOpSamples(op, tolerance);
      expect(failures).toEqual([]);
      expect(checked).toBeGreaterThan(0);
    });
  }

  it("covers every elementwise primitive of the registry", () => {
    const elementwise = OP_NAMES.filter(
      (op) => opDef(op).category === "elementwise" && opDef(op).kind === "primitive",
    );
    expect(Object.keys(SCALAR).sort()).toEqual([...elementwise].sort());
  });
});

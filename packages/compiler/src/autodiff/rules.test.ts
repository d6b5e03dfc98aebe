import {
  createRng,
  evaluate,
  GraphBuilder,
  hashString,
  OP_NAMES,
  OP_SAMPLES,
  type OpName,
  opDef,
  sizeOf,
} from "@nnc/core";
import { describe, expect, it } from "vitest";
import { grad, jvp } from "./api.js";
import {
  adjointChecks,
  dot,
  finiteDifference,
  maxError,
  randn,
  sampleFeeds,
  sampleGraph,
} from "./test-support.js";

// Registry-wide autodiff checks: every differentiable primitive's JVP rule against central finite
// differences in float64, every transpose rule against the adjoint identity ⟨A x, y⟩ = ⟨x, Aᵀ y⟩,
// and every composite differentiated through its decomposition against finite differences.

/** Primitives without a JVP rule, and why. Any other primitive must have one. */
const NOT_DIFFERENTIABLE: Partial<Record<OpName, string>> = {
  eq: "boolean result",
  ne: "boolean result",
  lt: "boolean result",
  le: "boolean result",
  gt: "boolean result",
  ge: "boolean result",
  argmax: "integer result",
  max_pool2d_argmax: "integer result",
  one_hot: "integer operand, no float operand to differentiate",
};

const primitives = OP_NAMES.filter((op) => opDef(op).kind === "primitive");
const composites = OP_NAMES.filter((op) => opDef(op).kind === "composite");

describe("rule coverage", () => {
  it("gives every primitive a JVP rule unless it is listed as not differentiable", () => {
    const missing = primitives.filter((op) => !opDef(op).jvp && !(op in NOT_DIFFERENTIABLE));
    expect(missing).toEqual([]);
    const listedButDifferentiable = Object.keys(NOT_DIFFERENTIABLE).filter(
      (op) => opDef(op as OpName).jvp,
    );
    expect(listedButDifferentiable).toEqual([]);
  });

  it("gives every op with a linearity declaration a transpose rule, and vice versa", () => {
    for (const op of OP_NAMES) {
      expect(Boolean(opDef(op).linearity), op).toBe(Boolean(opDef(op).transpose));
    }
  });
});

/** Primitives whose JVP is not the derivative of their value, by definition. */
const JVP_BY_DEFINITION: Partial<Record<OpName, string>> = {
  stop_gradient: "the identity whose tangent is defined to be zero",
};

it("gives stop_gradient a zero tangent", () => {
  const g = new GraphBuilder("stop");
  const x = g.input("x", [3]);
  g.output("y", g.add(g.stopGradient(g.square(x)), x));
  const out = evaluate(jvp(g.build(), { of: "y", wrt: ["x"] }), {
    x: [1, 2, 3],
    "tangent/x": [1, 1, 1],
  });
  expect(Array.from(out["tangent/y"]!)).toEqual([1, 1, 1]);
});

describe.each(primitives.filter((op) => opDef(op).jvp && !(op in JVP_BY_DEFINITION)))(
  "JVP of %s",
  (op) => {
    it("matches central finite differences in float64", () => {
      const rng = createRng(hashString(`jvp-${op}`));
      for (const [k, sample] of OP_SAMPLES[op].valid(createRng(hashString(op))).entries()) {
        const graph = sampleGraph(op, sample);
        const floatInputs = sample.inputs.flatMap((t, i) =>
          t.dtype === "float32" ? [`in${i}`] : [],
        );
        // Integer or boolean results (a cast to int32) carry no tangent.
        if (floatInputs.length === 0 || graph.node(graph.outputs[0]!.node).type.dtype !== "float32")
          continue;
        const feeds = sampleFeeds(sample, rng);
        const tangents = Object.fromEntries(
          floatInputs.map((name) => [name, randn(feeds[name]!.length, rng)]),
        );
        const forward = jvp(graph, { of: "out", wrt: floatInputs });
        const tangentFeeds = Object.fromEntries(
          Object.entries(tangents).map(([k2, v]) => [`tangent/${k2}`, v]),
        );
        const result = evaluate(forward, { ...feeds, ...tangentFeeds });
        const got = result["tangent/out"]!;
        const want = finiteDifference(graph, feeds, tangents, "out");
        // Where the value itself is infinite (padding with −∞), differences are undefined.
        result.out!.forEach((v, i) => {
          if (!Number.isFinite(v)) got[i] = want[i] = 0;
        });
        expect(maxError(got, want), `sample ${k}`).toBeLessThan(1e-6);
      }
    });
  },
);

describe.each(OP_NAMES.filter((op) => opDef(op).transpose))("transpose of %s", (op) => {
  it("satisfies the adjoint identity ⟨A x, y⟩ = ⟨x, Aᵀ y⟩", () => {
    const rng = createRng(hashString(`adjoint-${op}`));
    for (const [k, sample] of OP_SAMPLES[op].valid(createRng(hashString(op))).entries()) {
      for (const { operands, lhs, rhs } of adjointChecks(op, sample, rng)) {
        expect(Math.abs(lhs - rhs), `sample ${k}, operands ${operands}`).toBeLessThan(
          1e-9 * (1 + Math.abs(lhs)),
        );
      }
    }
  });
});

describe.each(composites)("gradient of composite %s (through its decomposition)", (op) => {
  it("matches central finite differences of Σ wᵢ·outᵢ", () => {
    const rng = createRng(hashString(`composite-${op}`));
    for (const [k, sample] of OP_SAMPLES[op].valid(createRng(hashString(op))).entries()) {
      const floatInputs = sample.inputs.flatMap((t, i) => (t.dtype === "float32" ? [i] : []));
      if (floatInputs.length === 0) continue;
      const g = new GraphBuilder(`composite-${op}`);
      const inputs = sample.inputs.map((t, i) => g.input(`in${i}`, t.shape, t.dtype));
      const out = g.apply(op, inputs, sample.attrs);
      const weights = g.input("weights", out.shape);
      g.output("loss", g.sum(g.mul(out, weights)));
      const graph = g.build();
      const feeds = { ...sampleFeeds(sample, rng), weights: randn(sizeOf(out.shape), rng) };
      const wrt = floatInputs.map((i) => `in${i}`);
      const gradients = evaluate(grad(graph, { of: "loss", wrt }), feeds);
      const direction = Object.fromEntries(
        wrt.map((name) => [name, randn(feeds[name as keyof typeof feeds]!.length, rng)]),
      );
      const directional = wrt.reduce(
        (s, name) => s + dot(gradients[`grad/${name}`]!, direction[name]!),
        0,
      );
      const fd = finiteDifference(graph, feeds, direction, "loss")[0]!;
      expect(Math.abs(directional - fd) / (1 + Math.abs(fd)), `sample ${k}`).toBeLessThan(1e-6);
    }
  });
});

import { describe, expect, it } from "vitest";
import { type ErrorCode, isNncError } from "./errors.js";
import { evaluateAll } from "./evaluate.js";
import { expandComposites } from "./expand-composites.js";
import type { Graph } from "./graph.js";
import { GraphBuilder } from "./graph-builder.js";
import type { CompositeOpName, OpName } from "./op-attrs.js";
import type { OpSample } from "./op-samples.js";
import { printGraph } from "./print-graph.js";
import { createRng, hashString, randomData } from "./random.js";
import { OP_NAMES, OP_SAMPLES, OPS, opDef } from "./registry.js";
import { deserializeGraph, serializeGraph } from "./serialize.js";
import { sizeOf } from "./shape.js";

// The registry-wide suite: every op, whatever family it belongs to, is held to the same checks.
// Adding an op without samples does not compile (OP_SAMPLES is exhaustive).

function buildSample(op: OpName, sample: OpSample): Graph {
  const g = new GraphBuilder(`sample-${op}`);
  const inputs = sample.inputs.map((t, i) => g.input(`in${i}`, t.shape, t.dtype));
  g.output("out", g.apply(op, inputs, sample.attrs));
  return g.build();
}

function feedsFor(sample: OpSample, seed: number): Record<string, Float64Array> {
  const rng = createRng(seed);
  return Object.fromEntries(
    sample.inputs.map((t, i) => [
      `in${i}`,
      randomData(t.dtype, sizeOf(t.shape), rng, sample.ranges?.[i] ?? [-2, 2]),
    ]),
  );
}

function maxRelativeError(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
    worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(x), Math.abs(y)));
  }
  return worst;
}

describe("op registry", () => {
  it("gives every composite a decomposition and no primitive one", () => {
    for (const op of OP_NAMES) {
      const def = opDef(op);
      expect(def.name, op).toBe(op);
      expect(def.kind === "composite", `${op}: composite iff decomposes`).toBe(
        def.decompose !== undefined,
      );
    }
  });

  it("covers every op of the foundation issue", () => {
    const required = `neg abs sign exp log sqrt rsqrt square reciprocal sin cos tanh sigmoid relu
      leaky_relu elu softplus swish gelu add sub mul div pow maximum minimum eq ne lt le gt ge select
      cast sum mean max min argmax log_sum_exp reshape transpose broadcast_to slice pad concat
      flatten squeeze expand_dims one_hot matmul dense conv2d conv2d_transpose max_pool2d avg_pool2d
      batch_norm softmax log_softmax dropout mse softmax_cross_entropy binary_cross_entropy`;
    expect(required.split(/\s+/).filter((op) => !(op in OPS))).toEqual([]);
  });
});

describe.each(OP_NAMES)("%s", (op) => {
  const samples = OP_SAMPLES[op].valid(createRng(hashString(op)));

  it("has valid and invalid samples", () => {
    expect(samples.length).toBeGreaterThanOrEqual(2);
    expect(OP_SAMPLES[op].invalid.length).toBeGreaterThanOrEqual(1);
  });

  it("agrees between its shape/dtype rules and its reference evaluation", () => {
    for (const [k, sample] of samples.entries()) {
      const graph = buildSample(op, sample);
      const node = graph.node(graph.outputs[0]!.node);
      // evaluateAll throws when the kernel's own output shape differs from the shape rule.
      const { values } = evaluateAll(graph, feedsFor(sample, k));
      const out = values[node.id]!;
      expect(out.shape, `sample ${k}`).toEqual(node.type.shape);
      expect(out.data.length).toBe(sizeOf(node.type.shape));
      if (node.type.dtype === "int32")
        expect(out.data.every((v) => Number.isInteger(v))).toBe(true);
      if (node.type.dtype === "bool") expect(out.data.every((v) => v === 0 || v === 1)).toBe(true);
    }
  });

  it("keeps canonical attributes canonical (validation is idempotent)", () => {
    for (const sample of samples) {
      const graph = buildSample(op, sample);
      const node = graph.node(graph.outputs[0]!.node);
      const again = buildSample(op, { ...sample, attrs: node.attrs });
      expect(again.node(again.outputs[0]!.node).attrs).toEqual(node.attrs);
    }
  });

  it("survives a JSON round trip", () => {
    for (const sample of samples) {
      const graph = buildSample(op, sample);
      expect(printGraph(deserializeGraph(serializeGraph(graph)))).toBe(printGraph(graph));
    }
  });

  it("rejects invalid uses with the documented error code", () => {
    for (const bad of OP_SAMPLES[op].invalid) {
      let code: ErrorCode | undefined;
      try {
        buildSample(op, { inputs: bad.inputs, attrs: bad.attrs });
      } catch (error) {
        if (!isNncError(error)) throw error;
        code = error.code;
        expect(error.op, bad.why).toBe(op);
      }
      expect(code, bad.why).toBe(bad.code);
    }
  });

  if (OPS[op].kind === "composite") {
    it("decomposes into primitives that compute the same values", () => {
      for (const [k, sample] of samples.entries()) {
        const graph = buildSample(op, sample);
        const expanded = expandComposites(graph);
        expect(
          expanded.nodes.every(
            (n) =>
              n.op === "input" ||
              n.op === "param" ||
              n.op === "constant" ||
              opDef(n.op).kind === "primitive",
          ),
        ).toBe(true);
        const feeds = feedsFor(sample, k);
        const want = evaluateAll(graph, feeds).values[graph.outputs[0]!.node]!.data;
        const got = evaluateAll(expanded, feeds).values[expanded.outputs[0]!.node]!.data;
        expect(maxRelativeError(want, got), `sample ${k}`).toBeLessThan(1e-9);
      }
    });
  }
});

describe("the composite/primitive split", () => {
  it("CompositeOpName lists exactly the records of kind composite", () => {
    // A Record over the type: a missing or extra key does not compile.
    const composites: Record<CompositeOpName, true> = {
      swish: true,
      gelu: true,
      mean: true,
      log_sum_exp: true,
      flatten: true,
      squeeze: true,
      expand_dims: true,
      dense: true,
      batch_norm: true,
      softmax: true,
      log_softmax: true,
      mse: true,
      softmax_cross_entropy: true,
      binary_cross_entropy: true,
    };
    const fromRecords = OP_NAMES.filter((op) => opDef(op).kind === "composite");
    expect([...fromRecords].sort()).toEqual(Object.keys(composites).sort());
  });
});

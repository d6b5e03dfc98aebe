import { evaluateAll, GraphBuilder } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { buildW3 } from "../../../../examples/w3-bn-convnet/model.js";
import { sgd } from "../optimizers/sgd.js";
import { trainingGraph } from "../optimizers/training-graph.js";
import type { Kernel } from "./fuse-elementwise.js";
import { PassManager } from "./pass-manager.js";
import { INFERENCE_PIPELINE, trainingPipeline } from "./pipelines.js";
import { expectSameOutputs, randomFeeds } from "./test-support.js";

describe("the inference pipeline", () => {
  it("compiles W3: no batch_norm or composite left, outputs unchanged, every node in a kernel", () => {
    const before = buildW3({ batch: 1, training: false });
    const { graph, reports, artifacts } = new PassManager().run(
      before,
      INFERENCE_PIPELINE,
      "infer",
    );
    expect(reports.map((r) => r.name)).toEqual([
      "fold-batch-norm",
      "decompose-composites",
      "constant-fold",
      "simplify-algebra",
      "eliminate-common-subexpressions",
      "eliminate-dead-code",
      "fuse-elementwise",
    ]);
    expect(graph.nodes.filter((n) => n.op === "batch_norm")).toEqual([]);
    expect(reports[0]!.notes.filter((n) => n.action === "removed").length).toBeGreaterThanOrEqual(
      4,
    );
    expectSameOutputs(before, graph, randomFeeds(before, 3), 1e-5);
    const kernels = artifacts.kernels as Kernel[];
    const covered = kernels.flatMap((k) => k.nodes).length;
    expect(covered).toBe(
      graph.nodes.filter((n) => !["input", "param", "constant"].includes(n.op)).length,
    );
    expect(kernels.some((k) => k.kind === "epilogue")).toBe(true);
  });
});

describe("the training pipeline", () => {
  it("builds the same step as trainingGraph, simplified", () => {
    const g = new GraphBuilder("mlp");
    const x = g.input("x", [4, 6]);
    const y = g.input("y", [4], "int32");
    const h = g.layers.dense(x, 5, { name: "fc1", activation: "relu", seed: 1 });
    g.output("loss", g.softmaxCrossEntropy(g.layers.dense(h, 3, { name: "fc2", seed: 2 }), y));
    const model = g.build();
    const options = { loss: "loss", optimizer: sgd({ lr: 0.1 }) };
    const { graph, reports } = new PassManager().run(model, trainingPipeline(options), "train");
    const reference = trainingGraph(model, options);
    expect(graph.nodes.length).toBeLessThan(reference.nodes.length);
    const feeds = randomFeeds(reference, 5);
    const a = evaluateAll(reference, feeds);
    const b = evaluateAll(graph, feeds);
    expect(b.outputs.loss![0]).toBeCloseTo(a.outputs.loss![0]!, 12);
    for (const [name, value] of Object.entries(a.updates)) {
      const got = b.updates[name]!;
      for (const [i, v] of value.entries()) expect(got[i]).toBeCloseTo(v, 12);
    }
    expect(reports.find((r) => r.name === "differentiate")!.notes[0]!.detail).toBe(
      'gradient of "loss" for 4 parameters and a sgd update',
    );
  });
});

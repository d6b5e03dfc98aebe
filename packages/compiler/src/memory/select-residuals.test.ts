import { evaluateAll, type Graph, GraphBuilder } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { sgd } from "../optimizers/sgd.js";
import { PassManager } from "../passes/pass-manager.js";
import { trainingPipeline } from "../passes/pipelines.js";
import { randomFeeds } from "../passes/test-support.js";
import { selectResiduals, valueBytes } from "./select-residuals.js";

/** SEEDS.md S2: h = W1x + b1, a = σ(W2h + b2), o = W3a + b3 with n, m, r, s = 7, 5, 4, 3. */
function seedS2(loss: "mse" | "cross-entropy"): Graph {
  const g = new GraphBuilder("s2");
  const x = g.input("x", [1, 7]);
  const h = g.layers.dense(x, 5, { name: "layer1", seed: 1 });
  const a = g.layers.dense(h, 4, { name: "layer2", activation: "sigmoid", seed: 2 });
  const o = g.layers.dense(a, 3, { name: "layer3", seed: 3 });
  if (loss === "mse") g.output("loss", g.mse(o, g.input("y", [1, 3])));
  else g.output("loss", g.softmaxCrossEntropy(o, g.input("label", [1], "int32")));
  return g.build();
}

function compileTraining(model: Graph): Graph {
  const pipeline = trainingPipeline({ loss: "loss", optimizer: sgd({ lr: 0.1 }) });
  return new PassManager().run(model, pipeline, "train").graph;
}

function keptSummary(graph: Graph, kept: readonly number[]) {
  return kept.map((id) => ({
    name: graph.node(id).name,
    elements: valueBytes(graph.node(id)) / 4,
  }));
}

describe("residual selection", () => {
  it("keeps exactly h, a and 2(o − y) for S2 with a squared error: m + r + s elements", () => {
    const selection = selectResiduals(compileTraining(seedS2("mse")));
    expect(keptSummary(selection.graph, selection.kept)).toEqual([
      { name: "layer1/dense/add", elements: 5 }, // h
      { name: "layer2/sigmoid", elements: 4 }, // a (σ' = a(1 − a) comes from it)
      { name: "d(mse/square)/mul", elements: 3 }, // 2(o − y): the squared error's own factor
    ]);
    expect(selection.recomputed).toEqual([]);
  });

  it("keeps h, a and one s-sized value for S2 with cross-entropy, recomputing the cheap rest", () => {
    const selection = selectResiduals(compileTraining(seedS2("cross-entropy")));
    expect(keptSummary(selection.graph, selection.kept)).toEqual([
      { name: "layer1/dense/add", elements: 5 },
      { name: "layer2/sigmoid", elements: 4 },
      { name: "softmax_cross_entropy/log_sum_exp/exp", elements: 3 }, // the softmax numerator
    ]);
    // Recomputed from the kept exponentials and the labels input: a 3-element sum, a one-hot.
    expect([...selection.recomputed].sort()).toEqual([
      "softmax_cross_entropy/log_sum_exp/sum",
      "softmax_cross_entropy/one_hot",
    ]);
  });

  it("keeps each ReLU layer's output (its mask comes with it), not the pre-activations", () => {
    const g = new GraphBuilder("relu-mlp");
    const x = g.input("x", [8, 10]);
    let h = g.layers.dense(x, 16, { name: "fc1", activation: "relu", seed: 1 });
    h = g.layers.dense(h, 12, { name: "fc2", activation: "relu", seed: 2 });
    const logits = g.layers.dense(h, 4, { name: "fc3", seed: 3 });
    g.output("loss", g.softmaxCrossEntropy(logits, g.input("y", [8], "int32")));
    const selection = selectResiduals(compileTraining(g.build()));
    const kept = keptSummary(selection.graph, selection.kept).map((k) => k.name);
    expect(kept).toEqual(["fc1/relu", "fc2/relu", "softmax_cross_entropy/log_sum_exp/exp"]);
  });

  it("computes the same step after rematerialisation", () => {
    const step = compileTraining(seedS2("cross-entropy"));
    const selection = selectResiduals(step);
    const feeds = randomFeeds(step, 9);
    const a = evaluateAll(step, feeds);
    const b = evaluateAll(selection.graph, feeds);
    expect(b.outputs).toEqual(a.outputs);
    expect(b.updates).toEqual(a.updates);
  });

  it("keeps everything the backward part reads when recomputation is off", () => {
    const selection = selectResiduals(compileTraining(seedS2("cross-entropy")), {
      recompute: false,
    });
    expect(selection.recomputed).toEqual([]);
    expect(
      keptSummary(selection.graph, selection.kept).reduce((n, k) => n + k.elements, 0),
    ).toBeGreaterThan(12);
  });

  it("never recomputes matmul, conv or reductions over more than 64 inputs per output", () => {
    const g = new GraphBuilder("conv");
    const x = g.input("x", [2, 3, 16, 16]);
    const y = g.layers.conv2d(x, {
      name: "conv",
      filters: 4,
      kernel: 3,
      activation: "tanh",
      seed: 1,
    });
    g.output("loss", g.mean(g.square(g.mean(y, [2, 3]))));
    const selection = selectResiduals(compileTraining(g.build()));
    const { graph } = selection;
    for (const name of selection.recomputed) {
      const node = graph.findNode(`recompute/${name}`)!;
      expect(["conv2d", "matmul"]).not.toContain(node.op);
      if (node.op === "sum") {
        const fanIn =
          graph.node(node.inputs[0]!).type.shape.reduce((a, b) => a * b, 1) /
          Math.max(
            1,
            node.type.shape.reduce((a, b) => a * b, 1),
          );
        expect(fanIn).toBeLessThanOrEqual(64);
      }
    }
    // Backward through the 14×14 spatial mean needs tanh' = 1 − tanh², kept as such (it is as
    // large as tanh's output and saves recomputing it).
    expect(selection.kept.map((id) => graph.node(id).name)).toContain("d(conv/tanh)/sub");
  });

  it("leaves inference graphs alone", () => {
    const model = seedS2("mse");
    const selection = selectResiduals(model);
    expect(selection.graph).toBe(model);
    expect(selection.kept).toEqual([]);
  });
});

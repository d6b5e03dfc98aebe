import { evaluateAll, type Graph, GraphBuilder } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { buildLeNet } from "../../../../examples/lenet/model.js";
import { sgd } from "../optimizers/sgd.js";
import { PassManager } from "../passes/pass-manager.js";
import { trainingPipeline } from "../passes/pipelines.js";
import { randomFeeds } from "../passes/test-support.js";
import { checkPlan } from "./check-plan.js";
import { evaluatePlanned } from "./evaluate-planned.js";
import { formatMemoryReport, planMemory } from "./plan-memory.js";

function trainingStep(model: Graph): Graph {
  return new PassManager().run(
    model,
    trainingPipeline({ loss: "loss", optimizer: sgd({ lr: 0.05 }) }),
    "train",
  ).graph;
}

describe("planMemory", () => {
  it("plans a LeNet-5 training step (W2, batch 32) in at most 50 % of the naive arena", () => {
    const step = trainingStep(buildLeNet({ batch: 32 }));
    const plan = planMemory(step);
    checkPlan(plan.graph, plan.buffers);
    const { report } = plan;
    expect(report.ratio).toBeLessThanOrEqual(0.5);
    expect(report.paramBytes).toBe(61_706 * 4);
    // Before a max-pool, ReLU keeps only its mask (bool, a byte per element) and the pool keeps
    // int32 argmax indices, not its input; no pre-activation is kept.
    const kept = report.keptActivations.map((k) => k.name);
    expect(kept).toEqual([
      "d(conv1/relu)/gt",
      "pool1/max_pool2d",
      "d(pool1/max_pool2d)/max_pool2d_argmax",
      "d(conv2/relu)/gt",
      "d(pool2/max_pool2d)/max_pool2d_argmax",
      "fc1/flatten/reshape",
      "fc1/relu",
      "fc2/relu",
      "softmax_cross_entropy/log_sum_exp/exp",
    ]);
    expect(report.keptActivations[0]).toEqual({
      name: "d(conv1/relu)/gt",
      shape: [32, 6, 28, 28],
      bytes: 32 * 6 * 28 * 28,
    });
  });

  it("gives bit-identical outputs and updates with planning on and off", () => {
    const step = trainingStep(buildLeNet({ batch: 4 }));
    const feeds = randomFeeds(step, 1, { label: [1, 7, 3, 0] });
    const reference = evaluateAll(step, feeds);
    for (const options of [{}, { inPlace: false }, { recompute: false }]) {
      const plan = planMemory(step, options);
      checkPlan(plan.graph, plan.buffers);
      const planned = evaluatePlanned(plan.graph, plan.buffers, feeds);
      expect(planned.outputs).toEqual(reference.outputs);
      expect(planned.updates).toEqual(reference.updates);
    }
  });

  it("reports S2's kept values: h, a and one s-sized value", () => {
    const g = new GraphBuilder("s2");
    const x = g.input("x", [1, 7]);
    const h = g.layers.dense(x, 5, { name: "layer1", seed: 1 });
    const a = g.layers.dense(h, 4, { name: "layer2", activation: "sigmoid", seed: 2 });
    const o = g.layers.dense(a, 3, { name: "layer3", seed: 3 });
    g.output("loss", g.mse(o, g.input("y", [1, 3])));
    const { report } = planMemory(trainingStep(g.build()));
    expect(report.keptActivations).toEqual([
      { name: "layer1/dense/add", shape: [1, 5], bytes: 20 },
      { name: "layer2/sigmoid", shape: [1, 4], bytes: 16 },
      { name: "d(mse/square)/mul", shape: [1, 3], bytes: 12 },
    ]);
    expect(report.keptBytes).toBe(4 * (5 + 4 + 3));
    expect(formatMemoryReport(report)).toContain("layer2/sigmoid  [1,4]  16 B");
  });

  it("plans inference graphs with nothing kept", () => {
    const model = buildLeNet({ batch: 2 });
    const { report, buffers, graph } = planMemory(model);
    checkPlan(graph, buffers);
    expect(report.keptActivations).toEqual([]);
    expect(report.peakArenaBytes).toBeLessThan(report.naive.peakArenaBytes);
  });
});

import { summarize } from "@nnc/core";
import { describe, expect, it } from "vitest";
import buildW3Inference, { buildW3 } from "./model.js";

const layers = (batch: number) => [
  ["conv1", "conv2d", [batch, 32, 32, 32], 896],
  ["bn1", "batch_norm", [batch, 32, 32, 32], 64],
  ["relu1", "relu", [batch, 32, 32, 32], 0],
  ["conv2", "conv2d", [batch, 32, 32, 32], 9_248],
  ["bn2", "batch_norm", [batch, 32, 32, 32], 64],
  ["relu2", "relu", [batch, 32, 32, 32], 0],
  ["pool1", "max_pool2d", [batch, 32, 16, 16], 0],
  ["conv3", "conv2d", [batch, 64, 16, 16], 18_496],
  ["bn3", "batch_norm", [batch, 64, 16, 16], 128],
  ["relu3", "relu", [batch, 64, 16, 16], 0],
  ["conv4", "conv2d", [batch, 64, 16, 16], 36_928],
  ["bn4", "batch_norm", [batch, 64, 16, 16], 128],
  ["relu4", "relu", [batch, 64, 16, 16], 0],
  ["pool2", "max_pool2d", [batch, 64, 8, 8], 0],
  ["fc", "dense", [batch, 10], 40_970],
];

describe("W3 BN convnet (BENCHMARKS.md)", () => {
  it("has the VGG-style per-layer shapes and parameter counts at batch 1 (the default export)", () => {
    const summary = summarize(buildW3Inference());
    expect(summary.rows.map((r) => [r.name, r.op, r.outputShape, r.params])).toEqual(layers(1));
    expect(summary.trainableParams).toBe(106_922);
    // running_mean and running_var of 32 + 32 + 64 + 64 channels
    expect(summary.nonTrainableParams).toBe(384);
  });

  it("has the same layers at batch 16 in training, plus the loss", () => {
    const graph = buildW3({ batch: 16, training: true });
    const summary = summarize(graph);
    expect(summary.rows.map((r) => [r.name, r.op, r.outputShape, r.params])).toEqual([
      ...layers(16),
      ["softmax_cross_entropy", "softmax_cross_entropy", [], 0],
    ]);
    expect(graph.outputs.map((o) => o.name)).toEqual(["logits", "loss"]);
    expect(graph.updates.map((u) => u.param)).toEqual(
      [1, 2, 3, 4].flatMap((k) => [`bn${k}.running_mean`, `bn${k}.running_var`]),
    );
  });
});

import { type Graph, GraphBuilder, type Value } from "@nnc/core";
import { describe, expect, it } from "vitest";
// The benchmark model lives with the examples; only this test reaches across for it.
import { buildW3 } from "../../../../examples/w3-bn-convnet/model.js";
import { foldBatchNorm } from "./fold-batch-norm.js";
import { expectSameOutputs, randomFeeds, runPass } from "./test-support.js";

// Folding reassociates (x·W)·s into x·(W·s): equal up to rounding, not bit for bit.
const RTOL = 1e-5;

/** Inference-mode batch_norm over `x`'s channels with parameters named `<name>.*`. */
function inferenceNorm(g: GraphBuilder, x: Value, name = "bn"): Value {
  return g.layers.batchNorm(x, { name, training: false });
}

function countOps(graph: Graph, op: string): number {
  return graph.nodes.filter((n) => n.op === op).length;
}

/** Runs the pass and checks it removed every batch_norm and kept the outputs. */
function expectFolded(before: Graph, seed = 1): Graph {
  const { graph, notes } = runPass(foldBatchNorm, before);
  expect(countOps(graph, "batch_norm")).toBe(0);
  expect(notes.filter((n) => n.action === "removed").map((n) => n.node)).toEqual(
    before.nodes.filter((n) => n.op === "batch_norm").map((n) => n.name),
  );
  expectSameOutputs(before, graph, randomFeeds(before, seed), RTOL);
  return graph;
}

describe("fold-batch-norm: conv2d", () => {
  it("folds into a conv layer with bias: scaled weight, folded bias through the same add", () => {
    const g = new GraphBuilder("conv-bn");
    const x = g.input("x", [2, 3, 5, 5]);
    const h = g.layers.conv2d(x, {
      name: "conv1",
      filters: 4,
      kernel: 3,
      padding: "same",
      seed: 1,
    });
    g.output("y", g.relu(inferenceNorm(g, h, "bn1")));
    const before = g.build();
    const { graph, text, notes } = runPass(foldBatchNorm, before);
    expect(text).toMatchInlineSnapshot(`
      "graph "conv-bn" {
        %0 = input "x" : f32[2,3,5,5]
        %1 = param "conv1.weight" glorot_uniform(seed=1) : f32[4,3,3,3]
        %2 = param "conv1.bias" zeros() : f32[4]
        %3 = param "bn1.weight" ones() : f32[4]
        %4 = param "bn1.bias" zeros() : f32[4]
        %5 = param "bn1.running_mean" zeros() frozen : f32[4]
        %6 = param "bn1.running_var" ones() frozen : f32[4]
        %7 = constant [0.00001] : f32[]  # conv1/constant
        %8 = add(%6, %7) : f32[4]  # conv1/fold/var_eps
        %9 = rsqrt(%8) : f32[4]  # conv1/fold/inv_std
        %10 = mul(%3, %9) : f32[4]  # conv1/fold/factor
        %11 = reshape(%10) {shape=[4,1,1,1]} : f32[4,1,1,1]  # conv1/fold/factor_oihw
        %12 = mul(%1, %11) : f32[4,3,3,3]  # conv1/fold/weight
        %13 = sub(%2, %5) : f32[4]  # conv1/fold/bias_centered
        %14 = mul(%13, %10) : f32[4]  # conv1/fold/bias_scaled
        %15 = add(%14, %4) : f32[4]  # conv1/fold/bias
        %16 = conv2d(%0, %12) {strides=[1,1], padding=[[1,1],[1,1]], dilations=[1,1], groups=1} : f32[2,4,5,5]  # conv1/conv2d
        %17 = reshape(%15) {shape=[1,4,1,1]} : f32[1,4,1,1]  # conv1/reshape
        %18 = add(%16, %17) : f32[2,4,5,5]  # conv1/add
        %19 = relu(%18) : f32[2,4,5,5]
        output "y" = %19
      }"
    `);
    expect(notes).toEqual([
      {
        action: "removed",
        node: "bn1/batch_norm",
        op: "batch_norm",
        detail:
          "folded into conv1/conv2d: weight scaled by γ/√(σ²+ε) per output channel, bias (b − μ)·γ/√(σ²+ε) + β",
      },
      {
        action: "rewritten",
        node: "conv1/conv2d",
        op: "conv2d",
        detail: "reads the folded weight; conv1/add adds the folded bias",
      },
    ]);
    expectSameOutputs(before, graph, randomFeeds(before, 1), RTOL);
  });

  it("folds into a conv without bias: the new bias is β − μ·γ/√(σ²+ε)", () => {
    const g = new GraphBuilder("conv-bn");
    const x = g.input("x", [2, 3, 5, 5]);
    const h = g.layers.conv2d(x, { name: "conv1", filters: 4, kernel: 3, bias: false, seed: 1 });
    g.output("y", inferenceNorm(g, h, "bn1"));
    const before = g.build();
    const { graph, text } = runPass(foldBatchNorm, before);
    expect(text).toMatchInlineSnapshot(`
      "graph "conv-bn" {
        %0 = input "x" : f32[2,3,5,5]
        %1 = param "conv1.weight" glorot_uniform(seed=1) : f32[4,3,3,3]
        %2 = param "bn1.weight" ones() : f32[4]
        %3 = param "bn1.bias" zeros() : f32[4]
        %4 = param "bn1.running_mean" zeros() frozen : f32[4]
        %5 = param "bn1.running_var" ones() frozen : f32[4]
        %6 = constant [0.00001] : f32[]  # conv1/constant
        %7 = add(%5, %6) : f32[4]  # conv1/fold/var_eps
        %8 = rsqrt(%7) : f32[4]  # conv1/fold/inv_std
        %9 = mul(%2, %8) : f32[4]  # conv1/fold/factor
        %10 = reshape(%9) {shape=[4,1,1,1]} : f32[4,1,1,1]  # conv1/fold/factor_oihw
        %11 = mul(%1, %10) : f32[4,3,3,3]  # conv1/fold/weight
        %12 = mul(%4, %9) : f32[4]  # conv1/fold/mean_scaled
        %13 = sub(%3, %12) : f32[4]  # conv1/fold/bias
        %14 = conv2d(%0, %11) {strides=[1,1], padding=[[0,0],[0,0]], dilations=[1,1], groups=1} : f32[2,4,3,3]  # conv1/conv2d
        %15 = reshape(%13) {shape=[1,4,1,1]} : f32[1,4,1,1]  # conv1/reshape
        %16 = add(%14, %15) : f32[2,4,3,3]  # conv1/add
        output "y" = %16
      }"
    `);
    expectSameOutputs(before, graph, randomFeeds(before, 2), RTOL);
  });

  it("folds through a separate bias add, with the bias first and a constant [C,1,1] bias", () => {
    const g = new GraphBuilder("conv-add-bn");
    const x = g.input("x", [2, 2, 4, 4]);
    const w = g.param("w", [3, 2, 3, 3], { seed: 3 });
    const bias = g.constant([0.5, -1, 2], [3, 1, 1]);
    const h = g.add(bias, g.conv2d(x, w));
    g.output("y", inferenceNorm(g, h));
    const before = g.build();
    const { graph, text } = runPass(foldBatchNorm, before);
    expect(text).toMatchInlineSnapshot(`
      "graph "conv-add-bn" {
        %0 = input "x" : f32[2,2,4,4]
        %1 = param "w" glorot_uniform(seed=3) : f32[3,2,3,3]
        %2 = constant [0.5, -1, 2] : f32[3,1,1]
        %3 = param "bn.weight" ones() : f32[3]
        %4 = param "bn.bias" zeros() : f32[3]
        %5 = param "bn.running_mean" zeros() frozen : f32[3]
        %6 = param "bn.running_var" ones() frozen : f32[3]
        %7 = constant [0.00001] : f32[]  # conv2d/constant
        %8 = add(%6, %7) : f32[3]  # conv2d/fold/var_eps
        %9 = rsqrt(%8) : f32[3]  # conv2d/fold/inv_std
        %10 = mul(%3, %9) : f32[3]  # conv2d/fold/factor
        %11 = reshape(%10) {shape=[3,1,1,1]} : f32[3,1,1,1]  # conv2d/fold/factor_oihw
        %12 = mul(%1, %11) : f32[3,2,3,3]  # conv2d/fold/weight
        %13 = reshape(%2) {shape=[3]} : f32[3]  # conv2d/fold/bias_vector
        %14 = sub(%13, %5) : f32[3]  # conv2d/fold/bias_centered
        %15 = mul(%14, %10) : f32[3]  # conv2d/fold/bias_scaled
        %16 = add(%15, %4) : f32[3]  # conv2d/fold/bias
        %17 = conv2d(%0, %12) {strides=[1,1], padding=[[0,0],[0,0]], dilations=[1,1], groups=1} : f32[2,3,2,2]
        %18 = reshape(%16) {shape=[1,3,1,1]} : f32[1,3,1,1]  # conv2d/reshape
        %19 = add(%18, %17) : f32[2,3,2,2]
        output "y" = %19
      }"
    `);
    expectSameOutputs(before, graph, randomFeeds(before, 3), RTOL);
  });

  it("folds a uniform (scalar) bias add", () => {
    const g = new GraphBuilder("conv-scalar-bn");
    const x = g.input("x", [2, 2, 4, 4]);
    const h = g.add(g.conv2d(x, g.param("w", [3, 2, 3, 3], { seed: 4 })), 0.75);
    g.output("y", inferenceNorm(g, h));
    expectFolded(g.build(), 4);
  });

  it.each([
    { label: "strided", options: { stride: 2 }, inChannels: 2, filters: 3 },
    {
      label: "padded (asymmetric)",
      options: {
        padding: [
          [0, 2],
          [1, 0],
        ] as const,
      },
      inChannels: 2,
      filters: 3,
    },
    {
      label: "dilated",
      options: { dilation: 2, padding: "same" as const },
      inChannels: 2,
      filters: 3,
    },
    { label: "grouped", options: { groups: 2 }, inChannels: 4, filters: 6 },
    { label: "depthwise (multiplier 2)", options: { groups: 3 }, inChannels: 3, filters: 6 },
    {
      label: "strided + dilated + same",
      options: { stride: [2, 1] as const, dilation: [1, 2] as const, padding: "same" as const },
      inChannels: 2,
      filters: 3,
    },
  ])("folds into a $label conv", ({ options, inChannels, filters }) => {
    const g = new GraphBuilder("conv-bn");
    const x = g.input("x", [2, inChannels, 7, 6]);
    const h = g.layers.conv2d(x, { name: "conv", filters, kernel: 3, seed: 5, ...options });
    g.output("y", inferenceNorm(g, h));
    const before = g.build();
    const after = expectFolded(before, 5);
    const conv = (graph: Graph) => graph.nodes.find((n) => n.op === "conv2d")!;
    expect(conv(after).attrs).toEqual(conv(before).attrs);
  });
});

describe("fold-batch-norm: dense and matmul", () => {
  it("folds into a dense layer: the weight scales along its output axis (1)", () => {
    const g = new GraphBuilder("dense-bn");
    const x = g.input("x", [4, 3]);
    const h = g.layers.dense(x, 5, { name: "fc", seed: 6 });
    g.output("y", inferenceNorm(g, h));
    const before = g.build();
    const { graph, text } = runPass(foldBatchNorm, before);
    expect(text).toMatchInlineSnapshot(`
      "graph "dense-bn" {
        %0 = input "x" : f32[4,3]
        %1 = param "fc.weight" glorot_uniform(seed=6) : f32[3,5]
        %2 = param "fc.bias" zeros() : f32[5]
        %3 = param "bn.weight" ones() : f32[5]
        %4 = param "bn.bias" zeros() : f32[5]
        %5 = param "bn.running_mean" zeros() frozen : f32[5]
        %6 = param "bn.running_var" ones() frozen : f32[5]
        %7 = constant [0.00001] : f32[]  # fc/constant
        %8 = add(%6, %7) : f32[5]  # fc/fold/var_eps
        %9 = rsqrt(%8) : f32[5]  # fc/fold/inv_std
        %10 = mul(%3, %9) : f32[5]  # fc/fold/factor
        %11 = mul(%1, %10) : f32[3,5]  # fc/fold/weight
        %12 = sub(%2, %5) : f32[5]  # fc/fold/bias_centered
        %13 = mul(%12, %10) : f32[5]  # fc/fold/bias_scaled
        %14 = add(%13, %4) : f32[5]  # fc/fold/bias
        %15 = dense(%0, %11, %14) : f32[4,5]  # fc/dense
        output "y" = %15
      }"
    `);
    expectSameOutputs(before, graph, randomFeeds(before, 6), RTOL);
  });

  it("folds into a dense layer without bias, giving it one", () => {
    const g = new GraphBuilder("dense-bn");
    const x = g.input("x", [4, 3]);
    g.output("y", inferenceNorm(g, g.layers.dense(x, 5, { name: "fc", bias: false })));
    const after = expectFolded(g.build(), 7);
    expect(after.nodes.find((n) => n.op === "dense")!.inputs).toHaveLength(3);
  });

  it("folds a dense with its own bias and a further bias add, both into one bias", () => {
    const g = new GraphBuilder("dense-add-bn");
    const x = g.input("x", [4, 3]);
    const h = g.dense(x, g.param("w", [3, 5]), g.param("b", [5]));
    g.output("y", inferenceNorm(g, g.add(h, g.param("b2", [1, 5]))));
    expectFolded(g.build(), 8);
  });

  it("folds into matmul + add and into a bare matmul, keeping the matmul's name", () => {
    const g = new GraphBuilder("matmul-bn");
    const x = g.input("x", [4, 3]);
    const h1 = g.add(g.matmul(x, g.param("w1", [3, 5])), g.param("b1", [5]));
    const h2 = g.matmul(x, g.param("w2", [3, 5]));
    g.output("y1", inferenceNorm(g, h1, "bn1"));
    g.output("y2", inferenceNorm(g, h2, "bn2"));
    const before = g.build();
    const after = expectFolded(before, 9);
    expect(after.nodes.filter((n) => n.op === "matmul").map((n) => n.name)).toEqual([
      "matmul",
      "matmul_1",
    ]);
  });

  it("keeps a dense on a rank-3 input: batch_norm's axis 1 is not its feature axis", () => {
    const g = new GraphBuilder("dense3-bn");
    const x = g.input("x", [2, 3, 4]);
    g.output("y", inferenceNorm(g, g.dense(x, g.param("w", [4, 5]))));
    const before = g.build();
    const { graph, notes } = runPass(foldBatchNorm, before);
    expect(graph).toBe(before);
    expect(notes).toEqual([
      {
        action: "kept",
        node: "bn/batch_norm",
        op: "batch_norm",
        detail:
          "dense is dense with output [2,3,5]: batch_norm's channel axis 1 is not its output-feature axis",
      },
    ]);
  });
});

describe("fold-batch-norm: pairs it leaves alone", () => {
  it("keeps the pair when the conv output has another consumer, and says why", () => {
    const g = new GraphBuilder("shared-conv");
    const x = g.input("x", [2, 2, 4, 4]);
    const h = g.conv2d(x, g.param("w", [3, 2, 3, 3]));
    g.output("y", inferenceNorm(g, h));
    g.output("skip", g.relu(h));
    const before = g.build();
    const { graph, notes } = runPass(foldBatchNorm, before);
    expect(graph).toBe(before);
    expect(notes).toEqual([
      {
        action: "kept",
        node: "bn/batch_norm",
        op: "batch_norm",
        detail: "conv2d also feeds relu, which must keep reading the unnormalised value",
      },
    ]);
  });

  it("keeps the pair when the bias add is itself a graph output", () => {
    const g = new GraphBuilder("shared-add");
    const x = g.input("x", [2, 2, 4, 4]);
    const h = g.layers.conv2d(x, { name: "conv", filters: 3, kernel: 1 });
    g.output("pre", h);
    g.output("y", inferenceNorm(g, h));
    const before = g.build();
    const { graph, notes } = runPass(foldBatchNorm, before);
    expect(graph).toBe(before);
    expect(notes.map((n) => n.detail)).toEqual([
      'conv/add also feeds output "pre", which must keep reading the unnormalised value',
    ]);
  });

  it("leaves a training-mode batch_norm untouched", () => {
    const g = new GraphBuilder("train-bn");
    const x = g.input("x", [2, 2, 4, 4]);
    const h = g.layers.conv2d(x, { name: "conv", filters: 3, kernel: 3 });
    g.output("y", g.layers.batchNorm(h, { name: "bn", training: true }));
    const before = g.build();
    const { graph, notes } = runPass(foldBatchNorm, before);
    expect(graph).toBe(before);
    expect(notes.map((n) => [n.action, n.node, n.detail])).toEqual([
      [
        "kept",
        "bn/batch_norm",
        "training-mode batch_norm normalises with batch statistics; there is nothing to fold",
      ],
    ]);
  });

  it("does nothing when compiling for training", () => {
    const before = buildW3({ batch: 1, training: false });
    const { graph, notes } = runPass(foldBatchNorm, before, "train");
    expect(graph).toBe(before);
    expect(notes).toHaveLength(4);
    expect(notes[0]).toEqual({
      action: "kept",
      node: "bn1/batch_norm",
      op: "batch_norm",
      detail: "compiling for training: the fold is an inference-only rewrite",
    });
  });

  it("keeps a batch_norm whose statistics are computed from the inputs", () => {
    const g = new GraphBuilder("dynamic-stats");
    const x = g.input("x", [2, 2, 4, 4]);
    const h = g.conv2d(x, g.param("w", [3, 2, 3, 3]));
    const mean = g.mean(h, [0, 2, 3]);
    const variance = g.param("variance", [3], { init: "ones" });
    g.output("y", g.batchNorm(h, g.param("gamma", [3]), g.param("beta", [3]), { mean, variance }));
    const before = g.build();
    const { graph, notes } = runPass(foldBatchNorm, before);
    expect(graph).toBe(before);
    expect(notes.map((n) => n.detail)).toEqual([
      "its mean mean is computed from the graph's inputs, so it is not a constant to fold",
    ]);
  });

  it("keeps a batch_norm that follows no conv, dense or matmul, and folds the others", () => {
    const g = new GraphBuilder("mixed");
    const x = g.input("x", [2, 2, 4, 4]);
    const h = g.relu(
      inferenceNorm(g, g.layers.conv2d(x, { name: "conv", filters: 3, kernel: 3 }), "bn1"),
    );
    g.output("y", inferenceNorm(g, h, "bn2"));
    const before = g.build();
    const { graph, notes } = runPass(foldBatchNorm, before);
    expect(countOps(graph, "batch_norm")).toBe(1);
    expect(notes.map((n) => [n.action, n.node, n.detail])).toEqual([
      [
        "kept",
        "bn2/batch_norm",
        "its input relu is relu, not conv2d, dense or matmul (optionally plus a per-channel bias)",
      ],
      [
        "removed",
        "bn1/batch_norm",
        "folded into conv/conv2d: weight scaled by γ/√(σ²+ε) per output channel, bias (b − μ)·γ/√(σ²+ε) + β",
      ],
      ["rewritten", "conv/conv2d", "reads the folded weight; conv/add adds the folded bias"],
    ]);
    expectSameOutputs(before, graph, randomFeeds(before, 10), RTOL);
  });

  it("returns its input when there is no batch_norm", () => {
    const g = new GraphBuilder("plain");
    g.output("y", g.layers.conv2d(g.input("x", [1, 1, 3, 3]), { filters: 1, kernel: 1 }));
    const before = g.build();
    expect(runPass(foldBatchNorm, before)).toMatchObject({ graph: before, notes: [] });
  });
});

describe("fold-batch-norm: W3", () => {
  it.each([1, 16])("removes all four batch_norms at batch %i and keeps the logits", (batch) => {
    const before = buildW3({ batch, training: false });
    const after = expectFolded(before, 11);
    expect(countOps(after, "conv2d")).toBe(4);
    // Nothing but the folded weights and biases was added: every parameter is still there.
    expect(after.params.map((p) => p.name)).toEqual(before.params.map((p) => p.name));
  });
});

import {
  evaluate,
  evaluateAll,
  type Feeds,
  type Graph,
  GraphBuilder,
  type ReferenceArray,
  type Value,
} from "@nnc/core";
import { describe, expect, it } from "vitest";
// The benchmark model lives with the examples; only this test reaches across for it.
import { buildW3 } from "../../../../examples/w3-bn-convnet/model.js";
import { grad, gradName } from "../autodiff/api.js";
import { dropBiasBeforeBatchNorm } from "./drop-bias-before-batch-norm.js";
import { expectSameOutputs, randomFeeds, runPass } from "./test-support.js";

// (h + b) − mean(h + b) equals h − mean(h) exactly in real arithmetic; in float64 up to rounding.
const RTOL = 1e-12;

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const [x, y] = [want[i]!, got[i]!];
    expect(Math.abs(x - y), `${what}[${i}]: ${x} vs ${y}`).toBeLessThanOrEqual(
      RTOL * Math.max(1, Math.abs(x)),
    );
  }
}

/**
 * The loss and the gradient of every trainable parameter agree before and after; each dropped
 * bias's gradient is exactly zero after (and already ≈ 0 before: the cancellation is real).
 */
function expectSameGradients(before: Graph, after: Graph, feeds: Feeds, dropped: string[]): void {
  const want = evaluate(grad(before, { of: "loss" }), feeds);
  const got = evaluate(grad(after, { of: "loss" }), feeds);
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  const trainable = before.params.filter((p) => p.attrs.trainable !== false);
  expect(trainable.length).toBeGreaterThan(dropped.length);
  for (const name of dropped) {
    expect(
      [...got[gradName(name)]!].every((v) => v === 0),
      `${name}: exact zeros`,
    ).toBe(true);
    expect(Math.max(...[...want[gradName(name)]!].map(Math.abs)), name).toBeLessThan(1e-12);
  }
  for (const [name, values] of Object.entries(want)) {
    if (dropped.some((d) => name === gradName(d))) continue;
    expectClose(got[name]!, values, name);
  }
}

/** The state updates (running statistics) agree before and after. */
function expectSameUpdates(before: Graph, after: Graph, feeds: Feeds): void {
  const want = evaluateAll(before, feeds).updates;
  const got = evaluateAll(after, feeds).updates;
  expect(Object.keys(got)).toEqual(Object.keys(want));
  expect(Object.keys(want).length).toBeGreaterThan(0);
  for (const [name, values] of Object.entries(want)) {
    expectClose(got[name] as ReferenceArray, values, name);
  }
}

/** x [4,2,4,4] → `body` → relu → dense 4 → softmax cross-entropy "loss" with labels in [0, 4). */
function classifier(
  name: string,
  body: (g: GraphBuilder, x: Value) => Value,
  inputShape = [4, 2, 4, 4],
): Graph {
  const g = new GraphBuilder(name);
  const x = g.input("x", inputShape);
  const labels = g.input("labels", [inputShape[0]!], "int32");
  const h = g.relu(body(g, x));
  g.output("loss", g.softmaxCrossEntropy(g.layers.dense(h, 4, { name: "fc" }), labels));
  return g.build();
}

describe("drop-bias-before-batch-norm", () => {
  it("removes a bias add feeding batch_norm; the bias param stays, with no consumer", () => {
    const before = classifier("conv-bias-bn", (g, x) => {
      const conv = g.conv2d(x, g.param("conv.weight", [3, 2, 3, 3], { seed: 1 }), { padding: 1 });
      const bias = g.reshape(g.param("conv.bias", [3], { init: [0.5, -1, 2] }), [1, 3, 1, 1]);
      const scale = g.param("bn.weight", [3], { init: "ones" });
      const offset = g.param("bn.bias", [3], { init: "zeros" });
      return g.batchNorm(g.add(bias, conv), scale, offset, { training: true });
    });
    const { graph, text, notes } = runPass(dropBiasBeforeBatchNorm, before, "train");
    expect(text).toMatchInlineSnapshot(`
      "graph "conv-bias-bn" {
        %0 = input "x" : f32[4,2,4,4]
        %1 = input "labels" : i32[4]
        %2 = param "conv.weight" glorot_uniform(seed=1) : f32[3,2,3,3]
        %3 = conv2d(%0, %2) {strides=[1,1], padding=[[1,1],[1,1]], dilations=[1,1], groups=1} : f32[4,3,4,4]
        %4 = param "conv.bias" values(3) : f32[3]
        %5 = param "bn.weight" ones() : f32[3]
        %6 = param "bn.bias" zeros() : f32[3]
        %7 = batch_norm(%3, %5, %6) {epsilon=0.00001, training=true} : f32[4,3,4,4]
        %8 = relu(%7) : f32[4,3,4,4]
        %9 = flatten(%8) {axis=1} : f32[4,48]  # fc/flatten
        %10 = param "fc.weight" glorot_uniform(seed=1248825632) : f32[48,4]
        %11 = param "fc.bias" zeros() : f32[4]
        %12 = dense(%9, %10, %11) : f32[4,4]  # fc/dense
        %13 = softmax_cross_entropy(%12, %1) {reduction="mean"} : f32[]
        output "loss" = %13
      }"
    `);
    expect(notes).toEqual([
      {
        action: "removed",
        node: "add",
        op: "add",
        detail:
          "conv.bias: removed from the computation of the outputs (batch_norm subtracts the batch mean, which cancels it exactly); its gradient is exactly zero. The parameter stays in the graph (parameters are its interface).",
      },
    ]);
    const feeds = randomFeeds(before, 1);
    expectSameOutputs(before, graph, feeds, RTOL);
    expectSameGradients(before, graph, feeds, ["conv.bias"]);
  });

  it("keeps the bias in the running mean of a batchNorm layer, so inference is unchanged", () => {
    const before = classifier("conv-bn-layer", (g, x) => {
      const h = g.layers.conv2d(x, { name: "conv1", filters: 3, kernel: 3, padding: "same" });
      return g.layers.batchNorm(h, { name: "bn1", training: true });
    });
    const { graph, text, notes } = runPass(dropBiasBeforeBatchNorm, before, "train");
    expect(text).toMatchInlineSnapshot(`
      "graph "conv-bn-layer" {
        %0 = input "x" : f32[4,2,4,4]
        %1 = input "labels" : i32[4]
        %2 = param "conv1.weight" glorot_uniform(seed=3184444564) : f32[3,2,3,3]
        %3 = conv2d(%0, %2) {strides=[1,1], padding=[[1,1],[1,1]], dilations=[1,1], groups=1} : f32[4,3,4,4]  # conv1/conv2d
        %4 = param "conv1.bias" zeros() : f32[3]
        %5 = reshape(%4) {shape=[1,3,1,1]} : f32[1,3,1,1]  # conv1/reshape
        %6 = param "bn1.weight" ones() : f32[3]
        %7 = param "bn1.bias" zeros() : f32[3]
        %8 = param "bn1.running_mean" zeros() frozen : f32[3]
        %9 = param "bn1.running_var" ones() frozen : f32[3]
        %10 = batch_norm(%3, %6, %7) {epsilon=0.00001, training=true} : f32[4,3,4,4]  # bn1/batch_norm
        %11 = mean(%3) {axes=[0,2,3], keepDims=true} : f32[1,3,1,1]  # bn1/mean
        %12 = add(%11, %5) : f32[1,3,1,1]  # conv1/add
        %13 = sub(%3, %11) : f32[4,3,4,4]  # bn1/sub
        %14 = square(%13) : f32[4,3,4,4]  # bn1/square
        %15 = sum(%14) {axes=[0,2,3], keepDims=false} : f32[3]  # bn1/sum
        %16 = constant [63] : f32[]  # bn1/constant
        %17 = div(%15, %16) : f32[3]  # bn1/div
        %18 = constant [0.9] : f32[]  # bn1/constant_1
        %19 = mul(%8, %18) : f32[3]  # bn1/mul
        %20 = reshape(%12) {shape=[3]} : f32[3]  # bn1/reshape
        %21 = constant [0.1] : f32[]  # bn1/constant_2
        %22 = mul(%20, %21) : f32[3]  # bn1/mul_1
        %23 = add(%19, %22) : f32[3]  # bn1/add
        %24 = constant [0.9] : f32[]  # bn1/constant_3
        %25 = mul(%9, %24) : f32[3]  # bn1/mul_2
        %26 = constant [0.1] : f32[]  # bn1/constant_4
        %27 = mul(%17, %26) : f32[3]  # bn1/mul_3
        %28 = add(%25, %27) : f32[3]  # bn1/add_1
        %29 = relu(%10) : f32[4,3,4,4]
        %30 = flatten(%29) {axis=1} : f32[4,48]  # fc/flatten
        %31 = param "fc.weight" glorot_uniform(seed=1248825632) : f32[48,4]
        %32 = param "fc.bias" zeros() : f32[4]
        %33 = dense(%30, %31, %32) : f32[4,4]  # fc/dense
        %34 = softmax_cross_entropy(%33, %1) {reduction="mean"} : f32[]
        output "loss" = %34
        update "bn1.running_mean" = %23
        update "bn1.running_var" = %28
      }"
    `);
    expect(notes).toEqual([
      {
        action: "removed",
        node: "conv1/add",
        op: "add",
        detail:
          "conv1.bias: removed from the computation of the outputs (bn1/batch_norm subtracts the batch mean, which cancels it exactly); its gradient is exactly zero. It still enters the update of bn1.running_mean as before, so the running statistics, hence inference with the trained parameters, are unchanged.",
      },
    ]);
    // randomFeeds gives conv1.bias non-zero values: the running mean must still include them.
    const feeds = randomFeeds(before, 2);
    expectSameOutputs(before, graph, feeds, RTOL);
    expectSameUpdates(before, graph, feeds);
    expectSameGradients(before, graph, feeds, ["conv1.bias"]);
  });

  it("drops a dense layer's own bias before a batchNorm layer", () => {
    const before = classifier(
      "dense-bn",
      (g, x) =>
        g.layers.batchNorm(g.layers.dense(x, 5, { name: "fc0" }), { name: "bn", training: true }),
      [6, 3],
    );
    const { graph, text, notes } = runPass(dropBiasBeforeBatchNorm, before, "train");
    expect(text).toMatchInlineSnapshot(`
      "graph "dense-bn" {
        %0 = input "x" : f32[6,3]
        %1 = input "labels" : i32[6]
        %2 = param "fc0.weight" glorot_uniform(seed=743985164) : f32[3,5]
        %3 = param "fc0.bias" zeros() : f32[5]
        %4 = dense(%0, %2) : f32[6,5]  # fc0/dense
        %5 = param "bn.weight" ones() : f32[5]
        %6 = param "bn.bias" zeros() : f32[5]
        %7 = param "bn.running_mean" zeros() frozen : f32[5]
        %8 = param "bn.running_var" ones() frozen : f32[5]
        %9 = batch_norm(%4, %5, %6) {epsilon=0.00001, training=true} : f32[6,5]  # bn/batch_norm
        %10 = mean(%4) {axes=[0], keepDims=true} : f32[1,5]  # bn/mean
        %11 = add(%10, %3) : f32[1,5]  # bn/mean/bias
        %12 = sub(%4, %10) : f32[6,5]  # bn/sub
        %13 = square(%12) : f32[6,5]  # bn/square
        %14 = sum(%13) {axes=[0], keepDims=false} : f32[5]  # bn/sum
        %15 = constant [5] : f32[]  # bn/constant
        %16 = div(%14, %15) : f32[5]  # bn/div
        %17 = constant [0.9] : f32[]  # bn/constant_1
        %18 = mul(%7, %17) : f32[5]  # bn/mul
        %19 = reshape(%11) {shape=[5]} : f32[5]  # bn/reshape
        %20 = constant [0.1] : f32[]  # bn/constant_2
        %21 = mul(%19, %20) : f32[5]  # bn/mul_1
        %22 = add(%18, %21) : f32[5]  # bn/add
        %23 = constant [0.9] : f32[]  # bn/constant_3
        %24 = mul(%8, %23) : f32[5]  # bn/mul_2
        %25 = constant [0.1] : f32[]  # bn/constant_4
        %26 = mul(%16, %25) : f32[5]  # bn/mul_3
        %27 = add(%24, %26) : f32[5]  # bn/add_1
        %28 = relu(%9) : f32[6,5]
        %29 = param "fc.weight" glorot_uniform(seed=1248825632) : f32[5,4]
        %30 = param "fc.bias" zeros() : f32[4]
        %31 = dense(%28, %29, %30) : f32[6,4]  # fc/dense
        %32 = softmax_cross_entropy(%31, %1) {reduction="mean"} : f32[]
        output "loss" = %32
        update "bn.running_mean" = %22
        update "bn.running_var" = %27
      }"
    `);
    expect(notes.map((n) => [n.node, n.op])).toEqual([["fc0/dense", "dense"]]);
    const feeds = randomFeeds(before, 3);
    expectSameOutputs(before, graph, feeds, RTOL);
    expectSameUpdates(before, graph, feeds);
    expectSameGradients(before, graph, feeds, ["fc0.bias"]);
  });

  it("keeps h + b for a statistics reader it cannot rewrite, and still drops b from the loss", () => {
    const g = new GraphBuilder("odd-stat");
    const x = g.input("x", [4, 2, 3, 3]);
    const labels = g.input("labels", [4], "int32");
    const h = g.layers.conv2d(x, { name: "conv", filters: 3, kernel: 1 });
    const y = g.batchNorm(h, g.param("gamma", [3], { init: "ones" }), g.param("beta", [3]), {
      training: true,
    });
    const peak = g.param("peak", [3], { init: "zeros", trainable: false });
    g.update(peak, g.max(h, [0, 2, 3]));
    g.output("loss", g.softmaxCrossEntropy(g.layers.dense(y, 4, { name: "fc" }), labels));
    const before = g.build();
    const { graph, notes } = runPass(dropBiasBeforeBatchNorm, before, "train");
    expect(notes.map((n) => n.detail)).toEqual([
      "conv.bias: removed from the computation of the outputs (batch_norm subtracts the batch mean, which cancels it exactly); its gradient is exactly zero. It still enters the update of peak as before, so the running statistics, hence inference with the trained parameters, are unchanged.",
    ]);
    const norm = graph.nodes.find((n) => n.op === "batch_norm")!;
    expect(graph.node(norm.inputs[0]!).name).toBe("conv/conv2d");
    expect(graph.findNode("conv/add")?.op).toBe("add");
    const feeds = randomFeeds(before, 4);
    expectSameUpdates(before, graph, feeds);
    expectSameGradients(before, graph, feeds, ["conv.bias"]);
  });

  it("keeps the bias when the biased value also reaches an output, and says why", () => {
    const g = new GraphBuilder("residual");
    const x = g.input("x", [4, 2, 3, 3]);
    const h = g.layers.conv2d(x, { name: "conv", filters: 2, kernel: 1 });
    const y = g.batchNorm(h, g.param("gamma", [2]), g.param("beta", [2]), { training: true });
    g.output("loss", g.mean(g.square(g.add(y, h))));
    const before = g.build();
    const { graph, notes } = runPass(dropBiasBeforeBatchNorm, before, "train");
    expect(graph).toBe(before);
    expect(notes).toEqual([
      {
        action: "kept",
        node: "batch_norm",
        op: "batch_norm",
        detail:
          "conv/add also feeds add, which reaches the outputs; its bias is not redundant there",
      },
    ]);
  });

  it("has nothing to drop when the conv has no bias, and says so", () => {
    const before = classifier("no-bias", (g, x) =>
      g.layers.batchNorm(g.layers.conv2d(x, { name: "conv", filters: 3, kernel: 3, bias: false }), {
        name: "bn",
        training: true,
      }),
    );
    const { graph, notes } = runPass(dropBiasBeforeBatchNorm, before, "train");
    expect(graph).toBe(before);
    expect(notes.map((n) => n.detail)).toEqual([
      "its input conv/conv2d is conv2d, not a per-channel bias add; there is no bias to drop",
    ]);
  });

  it("keeps a bias that varies inside the normalised axes (dense on a rank-3 input)", () => {
    const g = new GraphBuilder("dense3");
    const x = g.input("x", [2, 3, 4]);
    const h = g.dense(x, g.param("w", [4, 5]), g.param("b", [5]));
    g.output("y", g.batchNorm(h, g.param("gamma", [3]), g.param("beta", [3]), { training: true }));
    const before = g.build();
    const { graph, notes } = runPass(dropBiasBeforeBatchNorm, before, "train");
    expect(graph).toBe(before);
    expect(notes.map((n) => n.detail)).toEqual([
      "its input dense is dense, not a per-channel bias add; there is no bias to drop",
    ]);
  });

  it("does nothing when compiling for inference", () => {
    const before = buildW3({ batch: 1, training: true });
    const { graph, notes } = runPass(dropBiasBeforeBatchNorm, before, "infer");
    expect(graph).toBe(before);
    expect(notes.map((n) => [n.action, n.node, n.detail])[0]).toEqual([
      "kept",
      "bn1/batch_norm",
      "compiling for inference: no batch mean cancels the bias there",
    ]);
  });

  it("drops all four conv biases of W3 in training, with identical loss, updates and gradients", () => {
    const before = buildW3({ batch: 2, training: true });
    const { graph, notes } = runPass(dropBiasBeforeBatchNorm, before, "train");
    const biases = [1, 2, 3, 4].map((k) => `conv${k}.bias`);
    expect(notes.map((n) => n.detail.slice(0, n.detail.indexOf(":")))).toEqual(biases);
    for (const k of [1, 2, 3, 4]) {
      const norm = graph.findNode(`bn${k}/batch_norm`)!;
      expect(graph.node(norm.inputs[0]!).name).toBe(`conv${k}/conv2d`);
    }
    expect(graph.params.map((p) => p.name)).toEqual(before.params.map((p) => p.name));
    const feeds = randomFeeds(before, 5, { label: Int32Array.from([3, 7]) });
    expectSameOutputs(before, graph, feeds, RTOL);
    expectSameUpdates(before, graph, feeds);
    expectSameGradients(before, graph, feeds, biases);
  });
});

import { GraphBuilder } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { decomposeComposites } from "./decompose-composites.js";
import { expectSameOutputs, randomFeeds, runPass } from "./test-support.js";

describe("decompose-composites", () => {
  const g = new GraphBuilder("head");
  const x = g.input("x", [2, 3]);
  const labels = g.input("labels", [2], "int32");
  const w = g.param("w", [3, 3], { init: "glorot_uniform", seed: 1 });
  g.output("loss", g.softmaxCrossEntropy(g.dense(x, w), labels));
  const before = g.build();

  it("expands composites into primitives", () => {
    const { graph, text, notes } = runPass(decomposeComposites, before);
    expect(notes.map((n) => n.detail)).toEqual([
      "dense expanded into primitives",
      "softmax_cross_entropy expanded into primitives",
    ]);
    expect(text).toMatchInlineSnapshot(`
      "graph "head" {
        %0 = input "x" : f32[2,3]
        %1 = input "labels" : i32[2]
        %2 = param "w" glorot_uniform(seed=1) : f32[3,3]
        %3 = matmul(%0, %2) : f32[2,3]  # dense/matmul
        %4 = one_hot(%1) {depth=3, onValue=1, offValue=0} : f32[2,3]  # softmax_cross_entropy/one_hot
        %5 = mul(%4, %3) : f32[2,3]  # softmax_cross_entropy/mul
        %6 = sum(%5) {axes=[1], keepDims=false} : f32[2]  # softmax_cross_entropy/sum
        %7 = max(%3) {axes=[1], keepDims=true} : f32[2,1]  # softmax_cross_entropy/log_sum_exp/max
        %8 = stop_gradient(%7) : f32[2,1]  # softmax_cross_entropy/log_sum_exp/stop_gradient
        %9 = sub(%8, %8) : f32[2,1]  # softmax_cross_entropy/log_sum_exp/sub
        %10 = constant [0] : f32[]  # softmax_cross_entropy/log_sum_exp/constant
        %11 = eq(%9, %10) : bool[2,1]  # softmax_cross_entropy/log_sum_exp/eq
        %12 = constant [0] : f32[]  # softmax_cross_entropy/log_sum_exp/constant_1
        %13 = select(%11, %8, %12) : f32[2,1]  # softmax_cross_entropy/log_sum_exp/select
        %14 = sub(%3, %13) : f32[2,3]  # softmax_cross_entropy/log_sum_exp/sub_1
        %15 = exp(%14) : f32[2,3]  # softmax_cross_entropy/log_sum_exp/exp
        %16 = sum(%15) {axes=[1], keepDims=true} : f32[2,1]  # softmax_cross_entropy/log_sum_exp/sum
        %17 = log(%16) : f32[2,1]  # softmax_cross_entropy/log_sum_exp/log
        %18 = add(%17, %13) : f32[2,1]  # softmax_cross_entropy/log_sum_exp/add
        %19 = reshape(%18) {shape=[2]} : f32[2]  # softmax_cross_entropy/log_sum_exp/reshape
        %20 = sub(%19, %6) : f32[2]  # softmax_cross_entropy/sub
        %21 = sum(%20) {axes=[0], keepDims=false} : f32[]  # softmax_cross_entropy/mean/sum
        %22 = constant [0.5] : f32[]  # softmax_cross_entropy/mean/constant
        %23 = mul(%21, %22) : f32[]  # softmax_cross_entropy/mean/mul
        output "loss" = %23
      }"
    `);
    expectSameOutputs(before, graph, randomFeeds(before, 1));
  });

  it("returns its input when there is nothing to expand", () => {
    const { graph } = runPass(decomposeComposites, before);
    expect(runPass(decomposeComposites, graph).graph).toBe(graph);
  });
});

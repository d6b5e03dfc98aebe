import { type Graph, GraphBuilder } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { grad } from "../autodiff/api.js";
import { constantFold } from "./constant-fold.js";
import { eliminateCommonSubexpressions } from "./eliminate-common-subexpressions.js";
import { eliminateDeadCode } from "./eliminate-dead-code.js";
import type { Pass } from "./pass.js";
import { simplifyAlgebra } from "./simplify-algebra.js";
import { expectSameOutputs, randomFeeds, runPass } from "./test-support.js";

describe("eliminate-dead-code", () => {
  it("removes what no output or state update reads, keeping the graph's interface", () => {
    const g = new GraphBuilder("dead");
    const x = g.input("x", [3]);
    g.input("unused", [2]);
    const w = g.param("w", [3], { init: "ones" });
    g.param("spare", [3], { init: "zeros" });
    const count = g.param("count", [], { init: "zeros", trainable: false });
    const y = g.mul(x, w);
    g.exp(g.add(y, 1)); // dead: nothing reads it
    g.output("y", y);
    // Only a state update reads this chain: it stays.
    g.update(count, g.add(count, 1));
    const before = g.build();

    const { graph, text, notes } = runPass(eliminateDeadCode, before);
    expect(notes.map((n) => `${n.action} ${n.op} ${n.node}: ${n.detail}`)).toEqual([
      "kept input unused: unused input, kept: inputs and parameters are the graph's interface",
      "kept param spare: unused param, kept: inputs and parameters are the graph's interface",
      "removed constant constant: no output or state update reads it",
      "removed add add: no output or state update reads it",
      "removed exp exp: no output or state update reads it",
    ]);
    expect(text).toMatchInlineSnapshot(`
      "graph "dead" {
        %0 = input "x" : f32[3]
        %1 = input "unused" : f32[2]
        %2 = param "w" ones() : f32[3]
        %3 = param "spare" zeros() : f32[3]
        %4 = param "count" zeros() frozen : f32[]
        %5 = mul(%0, %2) : f32[3]
        %6 = constant [1] : f32[]  # constant_1
        %7 = add(%4, %6) : f32[]  # add_1
        output "y" = %5
        update "count" = %7
      }"
    `);
    expectSameOutputs(before, graph, randomFeeds(before, 1));
    expect(runPass(eliminateDeadCode, graph).graph).toBe(graph);
  });

  it("summarises large removals per op", () => {
    const g = new GraphBuilder("many");
    const x = g.input("x", [2]);
    for (let i = 0; i < 20; i++) g.tanh(g.mul(x, i));
    g.output("y", g.neg(x));
    const before = g.build();

    const { graph, notes } = runPass(eliminateDeadCode, before);
    expect(graph.nodes.map((n) => n.op)).toEqual(["input", "neg"]);
    expect(notes.map((n) => `${n.op} ${n.node}: ${n.detail}`)).toEqual([
      'constant constant: 20 unused constant nodes ("constant", "constant_1", "constant_2", …); 60 removed in all',
      'mul mul: 20 unused mul nodes ("mul", "mul_1", "mul_2", …); 60 removed in all',
      'tanh tanh: 20 unused tanh nodes ("tanh", "tanh_1", "tanh_2", …); 60 removed in all',
    ]);
  });

  it("returns its input when everything is live, and so is idempotent", () => {
    const g = new GraphBuilder("live");
    const x = g.input("x", [2]);
    g.output("y", g.exp(x));
    const before = g.build();
    const { graph, notes } = runPass(eliminateDeadCode, before);
    expect(graph).toBe(before);
    expect(notes).toEqual([]);
  });
});

describe("constant-fold, simplify-algebra, eliminate-common-subexpressions, eliminate-dead-code", () => {
  const pipeline: readonly Pass[] = [
    constantFold,
    simplifyAlgebra,
    eliminateCommonSubexpressions,
    eliminateDeadCode,
  ];

  function mlpGrad(): Graph {
    const g = new GraphBuilder("mlp");
    const x = g.input("x", [8, 4]);
    const y = g.input("y", [8], "int32");
    const h = g.layers.dense(x, 6, { name: "fc1", activation: "relu", seed: 1 });
    const logits = g.layers.dense(h, 3, { name: "fc2", seed: 2 });
    g.output("loss", g.softmaxCrossEntropy(logits, y));
    return grad(g.build(), { of: "loss" });
  }

  function runPipeline(graph: Graph) {
    let current = graph;
    const counts = [graph.nodes.length];
    for (const pass of pipeline) {
      current = runPass(pass, current, "train").graph;
      counts.push(current.nodes.length);
    }
    return { graph: current, counts };
  }

  it("shrink the gradient of an MLP without changing its outputs", () => {
    const before = mlpGrad();
    const { graph, counts } = runPipeline(before);
    // Node counts before and after each pass (62, 62, 61, 55, 51 when written); the exact
    // figures follow autodiff's rules, so only the drop is pinned here.
    expect(counts.at(-1)!).toBeLessThan(counts[0]! - 8);
    // Folding rounds constants to float32: equal to float32 precision.
    for (const seed of [1, 2, 3]) expectSameOutputs(before, graph, randomFeeds(before, seed), 1e-5);
    const ops = (g: Graph) => g.nodes.map((n) => n.op);
    // log-sum-exp's stop_gradient is gone, and so is the chain of constant arithmetic that
    // seeds the backward pass (d loss / d loss = 1, times the mean's 1/8).
    expect(ops(before)).toContain("stop_gradient");
    expect(ops(graph)).not.toContain("stop_gradient");
    for (const node of graph.nodes) {
      if (node.op !== "constant" && node.inputs.length > 0) {
        expect(
          node.inputs.every((i) => graph.node(i).op === "constant"),
          node.name,
        ).toBe(false);
      }
    }
    // A second run of the whole chain finds nothing left to do: no foldable node, no identity,
    // no duplicate, no dead node.
    let again = graph;
    for (const pass of pipeline) again = runPass(pass, again, "train").graph;
    expect(again).toBe(graph);
  });
});

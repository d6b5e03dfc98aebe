import { GraphBuilder } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { eliminateCommonSubexpressions } from "./eliminate-common-subexpressions.js";
import { expectSameOutputs, randomFeeds, runPass } from "./test-support.js";

describe("eliminate-common-subexpressions", () => {
  it("merges equal computations, cascading through chains", () => {
    const g = new GraphBuilder("dupes");
    const x = g.input("x", [2, 3]);
    const y = g.input("y", [3]);
    // Two copies of exp(x)·2 + y, the second with the sum's operands swapped.
    const first = g.add(g.mul(g.exp(x), 2), y);
    const second = g.add(y, g.mul(g.exp(x), 2));
    // Equal attributes merge; different ones do not.
    const s0 = g.sum(x, [0]);
    const s1 = g.sum(x, [0]);
    const s2 = g.sum(x, [1]);
    g.output("a", g.sub(first, second));
    g.output("b", g.concat([s0, s1]));
    g.output("c", s2);
    g.output("d", second);
    const before = g.build();

    const { graph, text, notes } = runPass(eliminateCommonSubexpressions, before);
    expect(notes.map((n) => `${n.action} ${n.node}: ${n.detail}`)).toEqual([
      'removed exp_1: computes the same f32[2,3] as %2 "exp": merged with it',
      'removed constant_1: computes the same f32[] as %3 "constant": merged with it',
      'removed mul_1: computes the same f32[2,3] as %4 "mul": merged with it',
      'removed add_1: computes the same f32[2,3] as %5 "add": merged with it',
      'removed sum_1: computes the same f32[3] as %10 "sum": merged with it',
    ]);
    expect(text).toMatchInlineSnapshot(`
      "graph "dupes" {
        %0 = input "x" : f32[2,3]
        %1 = input "y" : f32[3]
        %2 = exp(%0) : f32[2,3]
        %3 = constant [2] : f32[]
        %4 = mul(%2, %3) : f32[2,3]
        %5 = add(%4, %1) : f32[2,3]
        %6 = sum(%0) {axes=[0], keepDims=false} : f32[3]
        %7 = sum(%0) {axes=[1], keepDims=false} : f32[2]  # sum_2
        %8 = sub(%5, %5) : f32[2,3]
        %9 = concat(%6, %6) {axis=0} : f32[6]
        output "a" = %8
        output "b" = %9
        output "c" = %7
        output "d" = %5
      }"
    `);
    expectSameOutputs(before, graph, randomFeeds(before, 1));
  });

  it("merges constants with equal dtype, shape and values, and only those", () => {
    const g = new GraphBuilder("constants");
    const x = g.input("x", [2]);
    const values = [
      g.constant([0, 1]),
      g.constant([0, 1]),
      g.constant([0, 1], [1, 2]),
      g.constant([0, 1], [2], "int32"),
      g.constant([-0, 1]),
      g.constant([Number.NaN, Number.POSITIVE_INFINITY]),
      g.constant([Number.NaN, Number.POSITIVE_INFINITY]),
      g.constant([Number.NaN, Number.NEGATIVE_INFINITY]),
    ];
    values.forEach((v, i) => {
      g.output(`c${i}`, v.dtype === "int32" ? g.cast(v, "float32") : g.add(x, v));
    });
    const before = g.build();

    const { graph, notes } = runPass(eliminateCommonSubexpressions, before);
    expect(notes.map((n) => `${n.node}: ${n.detail}`)).toEqual([
      'constant_1: computes the same f32[2] as %1 "constant": merged with it',
      'constant_6: computes the same f32[2] as %6 "constant_5": merged with it',
      // ...and so do the sums reading them.
      'add_1: computes the same f32[2] as %9 "add": merged with it',
      'add_5: computes the same f32[2] as %14 "add_4": merged with it',
    ]);
    expect(graph.nodes.filter((n) => n.op === "constant").map((n) => n.attrs.value)).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
      [-0, 1],
      [Number.NaN, Number.POSITIVE_INFINITY],
      [Number.NaN, Number.NEGATIVE_INFINITY],
    ]);
    expectSameOutputs(before, graph, randomFeeds(before, 1));
  });

  it("never merges inputs or parameters, and merges dropout only with the same seed", () => {
    const g = new GraphBuilder("sources");
    const a = g.input("a", [4]);
    const b = g.input("b", [4]);
    const p = g.param("p", [4], { init: "zeros" });
    const q = g.param("q", [4], { init: "zeros" });
    const d0 = g.dropout(a, { rate: 0.5, seed: 1 });
    const d1 = g.dropout(a, { rate: 0.5, seed: 1 });
    const d2 = g.dropout(a, { rate: 0.5, seed: 2 });
    g.output("inputs", g.add(a, b));
    g.output("params", g.add(p, q));
    g.output("masks", g.concat([d0, d1, d2]));
    const before = g.build();

    const { graph, text, notes } = runPass(eliminateCommonSubexpressions, before);
    // Equal seeds draw the same mask: one dropout computes both.
    expect(notes.map((n) => n.node)).toEqual(["dropout_1"]);
    expect(text).toMatchInlineSnapshot(`
      "graph "sources" {
        %0 = input "a" : f32[4]
        %1 = input "b" : f32[4]
        %2 = param "p" zeros() : f32[4]
        %3 = param "q" zeros() : f32[4]
        %4 = dropout(%0) {rate=0.5, seed=1} : f32[4]
        %5 = dropout(%0) {rate=0.5, seed=2} : f32[4]  # dropout_2
        %6 = add(%0, %1) : f32[4]
        %7 = add(%2, %3) : f32[4]  # add_1
        %8 = concat(%4, %4, %5) {axis=0} : f32[12]
        output "inputs" = %6
        output "params" = %7
        output "masks" = %8
      }"
    `);
    expectSameOutputs(before, graph, randomFeeds(before, 1));
  });

  it("is idempotent and returns its input when nothing repeats", () => {
    const g = new GraphBuilder("twice");
    const x = g.input("x", [3]);
    g.output("y", g.mul(g.tanh(x), g.tanh(x)));
    g.output("z", g.tanh(x));
    const before = g.build();
    const once = runPass(eliminateCommonSubexpressions, before);
    expect(once.graph.nodes.map((n) => n.op)).toEqual(["input", "tanh", "mul"]);
    expect(once.graph.outputs).toEqual([
      { name: "y", node: 2 },
      { name: "z", node: 1 },
    ]);
    const twice = runPass(eliminateCommonSubexpressions, once.graph);
    expect(twice.graph).toBe(once.graph);
    expect(twice.notes).toEqual([]);
  });
});

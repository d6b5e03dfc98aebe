import { describe, expect, it } from "vitest";
import { NncError } from "./errors.js";
import { evaluate, evaluateAll } from "./evaluate.js";
import { GraphBuilder } from "./graph-builder.js";
import { printGraph } from "./print-graph.js";

describe("GraphBuilder", () => {
  it("derives unique, scoped node names", () => {
    const g = new GraphBuilder("names");
    const x = g.input("x", [2, 3]);
    const a = g.relu(x);
    const b = g.relu(a);
    const c = g.scope("fc2", () => g.matmul(b, g.param("fc2.weight", [3, 4])));
    g.output("y", c);
    const graph = g.build();
    expect(graph.nodes.map((n) => n.name)).toEqual([
      "x",
      "relu",
      "relu_1",
      "fc2.weight",
      "fc2/matmul",
    ]);
  });

  it("turns number operands into scalar constants of the other operand's dtype", () => {
    const g = new GraphBuilder();
    const i = g.input("i", [3], "int32");
    g.output("twice", g.mul(i, 2));
    g.output("half", g.mul(g.input("f", [3]), 0.5));
    const graph = g.build();
    expect(graph.node(graph.outputs[0]!.node).type).toEqual({ dtype: "int32", shape: [3] });
    const out = evaluate(graph, { i: [1, 2, 3], f: [2, 4, 6] });
    expect(Array.from(out.twice!)).toEqual([2, 4, 6]);
    expect(Array.from(out.half!)).toEqual([1, 2, 3]);
  });

  it("rejects a fractional literal for int32 operands", () => {
    const g = new GraphBuilder();
    const i = g.input("i", [3], "int32");
    expect(() => g.mul(i, 0.5)).toThrow(/literal 0.5 is not an integer/);
  });

  it("records the user's source line on every node", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [2]);
    const y = g.exp(x);
    g.output("y", y);
    const loc = g.build().node(y.id).loc;
    expect(loc?.file).toMatch(/graph-builder\.test\.ts$/);
    expect(loc?.line).toBeGreaterThan(1);
  });

  it("pins the message of a shape error, with the caller's location", () => {
    const g = new GraphBuilder("mlp");
    const x = g.input("x", [32, 784]);
    const h = g.relu(x);
    const w = g.param("fc2.weight", [512, 10]);
    expect(() => g.matmul(h, w)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2003: matmul: contracting dimensions differ (784 vs 512)
        lhs: f32[32,784]  %1 = relu(%0)
        rhs: f32[512,10]  param "fc2.weight"
        node: matmul
        at src/graph-builder.test.ts:58:20]
    `);
  });

  it("rejects duplicate and malformed names", () => {
    const g = new GraphBuilder();
    g.input("x", [1]);
    expect(() => g.input("x", [1])).toThrow(NncError);
    expect(() => g.param("bad\nname", [1])).toThrowError(/control characters/);
    expect(() => g.input("", [1])).toThrowError(/non-empty/);
  });

  it("rejects values from another builder", () => {
    const a = new GraphBuilder("a");
    const b = new GraphBuilder("b");
    const x = a.input("x", [1]);
    expect(() => b.relu(x)).toThrowError(/another GraphBuilder/);
  });

  it("rejects invalid shapes, dtypes and initial values", () => {
    const g = new GraphBuilder();
    expect(() => g.input("x", [2, -1])).toThrowError(/NNC2008/);
    expect(() => g.input("y", [2], "float16" as never)).toThrowError(/NNC2002/);
    expect(() => g.param("w", [2, 2], { init: [1, 2, 3] })).toThrowError(
      /needs 4 initial values, got 3/,
    );
    expect(() => g.param("v", [2], { init: "bogus" as never })).toThrowError(/NNC1008/);
    expect(() => g.constant([1, 2, 3], [2, 2])).toThrowError(/NNC2005/);
  });

  it("accepts explicit parameter values and evaluates with them", () => {
    const g = new GraphBuilder();
    const w = g.param("w", [2, 2], { init: [1, 2, 3, 4] });
    const x = g.input("x", [1, 2]);
    g.output("y", g.matmul(x, w));
    expect(Array.from(evaluate(g.build(), { x: [1, 1] }).y!)).toEqual([4, 6]);
  });

  it("records state updates and checks their type", () => {
    const g = new GraphBuilder();
    const s = g.param("s", [2], { init: "zeros", trainable: false });
    const x = g.input("x", [2]);
    g.update(s, g.add(s, x));
    expect(() => g.update(s, g.input("z", [3]))).toThrowError(/must keep its type/);
    const graph = g.build();
    expect(printGraph(graph)).toMatchInlineSnapshot(`
      "graph "graph" {
        %0 = param "s" zeros() frozen : f32[2]
        %1 = input "x" : f32[2]
        %2 = add(%0, %1) : f32[2]
        %3 = input "z" : f32[3]
        update "s" = %2
      }"
    `);
  });
});

describe("layers", () => {
  it("names parameters after the layer and groups nodes in its scope", () => {
    const g = new GraphBuilder("net");
    const x = g.input("x", [4, 3, 8, 8]);
    let h = g.layers.conv2d(x, {
      name: "conv1",
      filters: 6,
      kernel: 3,
      padding: "same",
      activation: "relu",
    });
    h = g.layers.batchNorm(h, { name: "bn1", training: true });
    h = g.layers.maxPool2d(h, { kernel: 2 });
    g.output("logits", g.layers.dense(h, 10, { name: "fc" }));
    const graph = g.build();
    expect(graph.params.map((p) => [p.name, p.type.shape])).toEqual([
      ["conv1.weight", [6, 3, 3, 3]],
      ["conv1.bias", [6]],
      ["bn1.weight", [6]],
      ["bn1.bias", [6]],
      ["bn1.running_mean", [6]],
      ["bn1.running_var", [6]],
      ["fc.weight", [96, 10]],
      ["fc.bias", [10]],
    ]);
    expect(graph.updates.map((u) => u.param)).toEqual(["bn1.running_mean", "bn1.running_var"]);
    expect(graph.nodes.filter((n) => n.op === "max_pool2d").map((n) => n.name)).toEqual([
      "max_pool2d/max_pool2d",
    ]);
  });

  it("updates running statistics with momentum and the unbiased variance", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [4, 1]);
    g.output("y", g.layers.batchNorm(x, { name: "bn", training: true, momentum: 0.5 }));
    const data = [1, 2, 3, 6]; // mean 3, unbiased variance (4 + 1 + 0 + 9) / 3 = 14/3
    const { outputs, updates } = evaluateAll(g.build(), { x: data });
    expect(outputs.y!.length).toBe(4);
    expect(updates["bn.running_mean"]![0]).toBeCloseTo(0.5 * 0 + 0.5 * 3, 12);
    expect(updates["bn.running_var"]![0]).toBeCloseTo(0.5 * 1 + 0.5 * (14 / 3), 12);
  });

  it("rejects a layer name used twice", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [1, 4]);
    g.layers.dense(x, 2, { name: "fc" });
    expect(() => g.layers.dense(x, 2, { name: "fc" })).toThrowError(/layer "fc" is defined twice/);
  });
});

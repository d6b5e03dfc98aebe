import {
  createRng,
  evaluate,
  GraphBuilder,
  hashString,
  OP_NAMES,
  OP_SAMPLES,
  randomData,
  sizeOf,
} from "@nnc/core";
import { describe, expect, it } from "vitest";
import { constantFold } from "./constant-fold.js";
import { expectSameOutputs, randomFeeds, runPass } from "./test-support.js";

describe("constant-fold", () => {
  it("folds chains of constant arithmetic, leaving inputs and parameters alone", () => {
    const g = new GraphBuilder("scale");
    const x = g.input("x", [2, 3]);
    const w = g.param("w", [3], { init: "normal", seed: 1 });
    const c = g.constant([1, 2, 3]);
    const scale = g.exp(g.add(g.mul(c, 0.1), 0.5));
    g.output("y", g.mul(g.add(x, scale), g.mul(w, 2)));
    const before = g.build();

    const { graph, text, notes } = runPass(constantFold, before);
    expect(text).toMatchInlineSnapshot(`
      "graph "scale" {
        %0 = input "x" : f32[2,3]
        %1 = param "w" normal(mean=0, std=0.05, seed=1) : f32[3]
        %2 = constant [1, 2, 3] : f32[3]
        %3 = constant [0.1] : f32[]  # constant_1
        %4 = constant [0.10000000149011612, 0.20000000298023224, 0.30000001192092896] : f32[3]  # constant_2
        %5 = constant [0.5] : f32[]  # constant_2_1
        %6 = constant [0.6000000238418579, 0.699999988079071, 0.800000011920929] : f32[3]  # constant_3
        %7 = constant [1.822118878364563, 2.0137526988983154, 2.22554087638855] : f32[3]  # constant_4
        %8 = add(%0, %7) : f32[2,3]  # add_1
        %9 = constant [2] : f32[]  # constant_3_1
        %10 = mul(%1, %9) : f32[3]  # mul_1
        %11 = mul(%8, %10) : f32[2,3]  # mul_2
        output "y" = %11
      }"
    `);
    expect(notes).toEqual([
      {
        action: "rewritten",
        node: "mul",
        op: "mul",
        detail: "all operands are constants: folded to a constant f32[3]",
      },
      {
        action: "rewritten",
        node: "add",
        op: "add",
        detail: "all operands are constants: folded to a constant f32[3]",
      },
      {
        action: "rewritten",
        node: "exp",
        op: "exp",
        detail: "all operands are constants: folded to a constant f32[3]",
      },
    ]);
    // Folded values are float32 roundings of the float64 reference.
    expectSameOutputs(before, graph, randomFeeds(before, 1), 1e-6);
  });

  it("rounds float32 results to float32 and keeps int32 and bool exact", () => {
    const g = new GraphBuilder("dtypes");
    g.output("f", g.mul(g.constant(0.1), 3));
    const seven = g.constant([7, -7, 2147483647], [3], "int32");
    g.output("i", g.add(g.div(seven, 2), g.mul(seven, seven)));
    g.output("b", g.gt(g.constant([1, 2, 3]), 2));
    const before = g.build();

    const { graph } = runPass(constantFold, before);
    expect(graph.nodes.filter((n) => n.op !== "constant")).toEqual([]);
    const out = evaluate(graph);
    expect(out.f![0]).toBe(Math.fround(0.1 * 3));
    expect(out.f![0]).not.toBe(0.1 * 3);
    // 7 / 2 truncates; 2147483647² wraps like Int32Array.
    expect(Array.from(out.i!)).toEqual([
      3 + 49,
      -3 + 49,
      (1073741823 + Math.imul(2147483647, 2147483647)) | 0,
    ]);
    expect(Array.from(out.b!)).toEqual([0, 0, 1]);
    expect(Array.from(out.i!)).toEqual(Array.from(evaluate(before).i!));
  });

  it("keeps a fold that would turn a small operand into a large constant", () => {
    const g = new GraphBuilder("broadcasts");
    const x = g.input("x", [1000, 1000]);
    const big = g.broadcastTo(g.constant(0.5), [1000, 1000]);
    const small = g.broadcastTo(g.constant(2), [4, 4]);
    const grown = g.broadcastTo(g.constant([1, 2]), [300, 2]);
    g.output("y", g.mul(x, big));
    g.output("s", small);
    g.output("grown", grown);
    const before = g.build();

    const { graph, notes } = runPass(constantFold, before);
    expect(notes).toEqual([
      {
        action: "kept",
        node: "broadcast_to",
        op: "broadcast_to",
        detail:
          "operands are constants, but folding would materialise 1000000 elements (largest operand: 1; limits: 65536, or growth up to 256)",
      },
      {
        action: "rewritten",
        node: "broadcast_to_1",
        op: "broadcast_to",
        detail: "all operands are constants: folded to a constant f32[4,4]",
      },
      {
        action: "kept",
        node: "broadcast_to_2",
        op: "broadcast_to",
        detail:
          "operands are constants, but folding would materialise 600 elements (largest operand: 2; limits: 65536, or growth up to 256)",
      },
    ]);
    expect(graph.nodes.map((n) => n.op)).toEqual([
      "input",
      "constant",
      "broadcast_to",
      "constant",
      "constant",
      "constant",
      "broadcast_to",
      "mul",
    ]);
  });

  it("folds a large result that is no larger than its operands", () => {
    const g = new GraphBuilder("negate");
    g.output("y", g.neg(g.constant(new Array<number>(1000).fill(3))));
    const { graph } = runPass(constantFold, g.build());
    expect(graph.nodes.map((n) => n.op)).toEqual(["constant", "constant"]);
  });

  it("does not fold dropout, and says why", () => {
    const g = new GraphBuilder("dropout");
    g.output("y", g.dropout(g.constant([1, 2, 3, 4]), { rate: 0.5, seed: 3 }));
    const before = g.build();
    const { graph, notes } = runPass(constantFold, before);
    expect(graph).toBe(before);
    expect(notes).toEqual([
      {
        action: "kept",
        node: "dropout",
        op: "dropout",
        detail: "dropout of a constant is not folded: its mask is the step's randomness",
      },
    ]);
  });

  it("reaches a fixed point in one run and returns its input when there is nothing to fold", () => {
    const g = new GraphBuilder("twice");
    const x = g.input("x", [3]);
    g.output("y", g.add(x, g.sqrt(g.add(g.constant([1, 4, 9]), 0))));
    const before = g.build();
    const once = runPass(constantFold, before).graph;
    expect(once).not.toBe(before);
    const twice = runPass(constantFold, once);
    expect(twice.graph).toBe(once);
    expect(twice.notes).toEqual([]);
  });

  // Every op, through its registry samples: folding agrees with the reference evaluator to
  // float32 rounding (exactly for int32 and bool results).
  describe.each(OP_NAMES.filter((op) => op !== "dropout"))("folds %s", (op) => {
    it("like the reference evaluator", () => {
      const rng = createRng(hashString(`fold/${op}`));
      for (const sample of OP_SAMPLES[op].valid(rng)) {
        const g = new GraphBuilder(op);
        const operands = sample.inputs.map((t, i) =>
          g.constant(
            randomData(t.dtype, sizeOf(t.shape), rng, sample.ranges?.[i] ?? [-2, 2]),
            t.shape,
            t.dtype,
          ),
        );
        g.output("out", g.apply(op, operands, sample.attrs));
        const before = g.build();
        const { graph } = runPass(constantFold, before);
        const out = graph.node(graph.outputs[0]!.node);
        const size = sizeOf(out.type.shape);
        const largest = Math.max(...sample.inputs.map((t) => sizeOf(t.shape)));
        const folded = size <= Math.max(largest, 256) && size <= 65_536;
        expect(out.op).toBe(folded ? "constant" : op);
        expectSameOutputs(before, graph, {}, out.type.dtype === "float32" ? 1e-6 : 0);
      }
    });
  });
});

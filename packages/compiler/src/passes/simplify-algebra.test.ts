import {
  createRng,
  type Graph,
  GraphBuilder,
  hashString,
  OP_NAMES,
  OP_SAMPLES,
  randomData,
  sizeOf,
} from "@nnc/core";
import { describe, expect, it } from "vitest";
import { simplifyAlgebra } from "./simplify-algebra.js";
import { expectSameOutputs, randomFeeds, runPass } from "./test-support.js";

/** Runs the pass, checks outputs are unchanged (exactly: every rule is an identity) and returns the result. */
function simplify(before: Graph) {
  const result = runPass(simplifyAlgebra, before);
  expectSameOutputs(before, result.graph, randomFeeds(before, 1), 1e-12);
  expectSameOutputs(before, result.graph, randomFeeds(before, 2), 1e-12);
  return { ...result, details: result.notes.map((n) => `${n.action} ${n.node}: ${n.detail}`) };
}

describe("simplify-algebra", () => {
  it("removes additive and multiplicative identities, seen through broadcasts", () => {
    const g = new GraphBuilder("arith");
    const x = g.input("x", [2, 3]);
    const v = g.input("v", [3]);
    g.output("a", g.add(x, 0));
    g.output("b", g.add(g.broadcastTo(g.constant(0), [2, 3]), x));
    g.output("c", g.sub(x, g.constant([0, 0, 0])));
    g.output("d", g.mul(g.reshape(g.constant([1, 1, 1]), [1, 3]), x));
    g.output("e", g.div(x, 1));
    g.output("f", g.neg(g.neg(x)));
    // The zero widens v: the result must be v broadcast, not v.
    g.output("g", g.add(v, g.broadcastTo(g.constant(0), [2, 3])));
    const before = g.build();

    const { text, details } = simplify(before);
    expect(details).toEqual([
      "removed add: x + 0 → x",
      "removed add_1: 0 + x → x",
      "removed sub: x − 0 → x",
      "removed mul: 1·x → x",
      "removed div: x / 1 → x",
      "removed neg_1: −(−x) → x",
      "rewritten add_2: x + 0 → x broadcast to [2,3]",
    ]);
    expect(text).toMatchInlineSnapshot(`
      "graph "arith" {
        %0 = input "x" : f32[2,3]
        %1 = input "v" : f32[3]
        %2 = constant [0] : f32[]
        %3 = constant [0] : f32[]  # constant_1
        %4 = broadcast_to(%3) {shape=[2,3]} : f32[2,3]
        %5 = constant [0, 0, 0] : f32[3]  # constant_2
        %6 = constant [1, 1, 1] : f32[3]  # constant_3
        %7 = reshape(%6) {shape=[1,3]} : f32[1,3]
        %8 = constant [1] : f32[]  # constant_4
        %9 = neg(%0) : f32[2,3]
        %10 = constant [0] : f32[]  # constant_5
        %11 = broadcast_to(%10) {shape=[2,3]} : f32[2,3]  # broadcast_to_1
        %12 = broadcast_to(%1) {shape=[2,3]} : f32[2,3]  # add_2
        output "a" = %0
        output "b" = %0
        output "c" = %0
        output "d" = %0
        output "e" = %0
        output "f" = %0
        output "g" = %12
      }"
    `);
  });

  it("folds x·0 only where it is exact, and notes where it is not", () => {
    const g = new GraphBuilder("zero");
    const x = g.input("x", [3]);
    const n = g.input("n", [3], "int32");
    g.output("float", g.mul(x, 0));
    g.output("int", g.mul(0, n));
    g.output("finite", g.mul(g.constant([1, -2, 3]), g.broadcastTo(g.constant(0), [2, 3])));
    g.output("infinite", g.mul(g.constant([1, Number.POSITIVE_INFINITY, 3]), 0));
    const before = g.build();

    const { text, details } = simplify(before);
    expect(details).toEqual([
      "rewritten mul_1: x·0 → 0 (int32 has no ∞ or NaN)",
      "rewritten mul_2: x·0 → 0 (x is a finite constant)",
      "kept mul: x·0 kept: x may be ±∞ or NaN, where x·0 is NaN, not 0",
      "kept mul_3: x·0 kept: x may be ±∞ or NaN, where x·0 is NaN, not 0",
    ]);
    expect(text).toMatchInlineSnapshot(`
      "graph "zero" {
        %0 = input "x" : f32[3]
        %1 = input "n" : i32[3]
        %2 = constant [0] : f32[]
        %3 = mul(%0, %2) : f32[3]
        %4 = constant [0] : i32[]  # constant_1
        %5 = constant [0] : i32[]  # constant_2
        %6 = broadcast_to(%5) {shape=[3]} : i32[3]  # mul_1
        %7 = constant [1, -2, 3] : f32[3]  # constant_2_1
        %8 = constant [0] : f32[]  # constant_3
        %9 = broadcast_to(%8) {shape=[2,3]} : f32[2,3]
        %10 = constant [0] : f32[]  # constant_4
        %11 = broadcast_to(%10) {shape=[2,3]} : f32[2,3]  # mul_2
        %12 = constant [1, inf, 3] : f32[3]  # constant_4_1
        %13 = constant [0] : f32[]  # constant_5
        %14 = mul(%12, %13) : f32[3]  # mul_3
        output "float" = %3
        output "int" = %6
        output "finite" = %11
        output "infinite" = %14
      }"
    `);
  });

  it("composes transposes, reshapes and broadcasts", () => {
    const g = new GraphBuilder("layout");
    const x = g.input("x", [2, 3, 4]);
    const v = g.input("v", [4]);
    g.output("cancel", g.transpose(g.transpose(x, [1, 2, 0]), [2, 0, 1]));
    g.output("compose", g.transpose(g.transpose(x, [1, 0, 2]), [0, 2, 1]));
    g.output("identity", g.transpose(x, [0, 1, 2]));
    g.output("reshape2", g.reshape(g.reshape(x, [6, 4]), [24]));
    g.output("reshapeBack", g.reshape(g.reshape(x, [24]), [2, 3, 4]));
    g.output("reshapeSame", g.reshape(x, [2, 3, 4]));
    g.output("broadcast2", g.broadcastTo(g.broadcastTo(v, [3, 4]), [2, 3, 4]));
    g.output("broadcastSame", g.broadcastTo(x, [2, 3, 4]));
    const before = g.build();

    const { text, details } = simplify(before);
    expect(details).toEqual([
      "removed transpose_1: transpose of a transpose → nothing (they cancel)",
      "rewritten transpose_3: transpose of a transpose → one transpose [1,2,0]",
      "removed transpose_4: transpose by the identity permutation → nothing",
      "rewritten reshape_1: reshape of a reshape → one reshape",
      "removed reshape_3: reshape of a reshape → nothing",
      "removed reshape_4: reshape to the same shape → nothing",
      "rewritten broadcast_to_1: broadcast_to of a broadcast_to → one broadcast_to",
      "removed broadcast_to_2: broadcast_to to the same shape → nothing",
    ]);
    expect(text).toMatchInlineSnapshot(`
      "graph "layout" {
        %0 = input "x" : f32[2,3,4]
        %1 = input "v" : f32[4]
        %2 = transpose(%0) {perm=[1,2,0]} : f32[3,4,2]
        %3 = transpose(%0) {perm=[1,0,2]} : f32[3,2,4]  # transpose_2
        %4 = transpose(%0) {perm=[1,2,0]} : f32[3,4,2]  # transpose_3
        %5 = reshape(%0) {shape=[6,4]} : f32[6,4]
        %6 = reshape(%0) {shape=[24]} : f32[24]  # reshape_1
        %7 = reshape(%0) {shape=[24]} : f32[24]  # reshape_2
        %8 = broadcast_to(%1) {shape=[3,4]} : f32[3,4]
        %9 = broadcast_to(%1) {shape=[2,3,4]} : f32[2,3,4]  # broadcast_to_1
        output "cancel" = %0
        output "compose" = %4
        output "identity" = %0
        output "reshape2" = %6
        output "reshapeBack" = %0
        output "reshapeSame" = %0
        output "broadcast2" = %9
        output "broadcastSame" = %0
      }"
    `);
  });

  it("turns reductions over axes of size 1 into reshapes", () => {
    const g = new GraphBuilder("reduce");
    const x = g.input("x", [2, 1, 3]);
    g.output("sum", g.sum(x, [1]));
    g.output("keep", g.mean(x, [1], { keepDims: true }));
    g.output("max", g.max(x, [1]));
    g.output("lse", g.logSumExp(x, [1]));
    g.output("argmax", g.argmax(x, 1));
    g.output("real", g.sum(x, [1, 2]));
    const before = g.build();

    const { text, details } = simplify(before);
    expect(details).toEqual([
      "rewritten sum: sum over axes of size 1 → reshape",
      "removed mean: mean over axes of size 1 → nothing",
      "rewritten max: max over axes of size 1 → reshape",
      "rewritten log_sum_exp: log_sum_exp over axes of size 1 → reshape",
      "rewritten argmax: argmax over an axis of size 1 → 0",
    ]);
    expect(text).toMatchInlineSnapshot(`
      "graph "reduce" {
        %0 = input "x" : f32[2,1,3]
        %1 = reshape(%0) {shape=[2,3]} : f32[2,3]  # sum
        %2 = reshape(%0) {shape=[2,3]} : f32[2,3]  # max
        %3 = reshape(%0) {shape=[2,3]} : f32[2,3]  # log_sum_exp
        %4 = constant [0] : i32[]
        %5 = broadcast_to(%4) {shape=[2,3]} : i32[2,3]  # argmax
        %6 = sum(%0) {axes=[1,2], keepDims=false} : f32[2]  # sum_1
        output "sum" = %1
        output "keep" = %0
        output "max" = %2
        output "lse" = %3
        output "argmax" = %5
        output "real" = %6
      }"
    `);
  });

  it("removes same-dtype casts, whole slices, empty pads and stop_gradient", () => {
    const g = new GraphBuilder("copies");
    const x = g.input("x", [2, 1, 3]);
    g.output("cast", g.cast(x, "float32"));
    g.output("slice", g.slice(x, [0, 0, 0], [2, 1, 3], [1, 5, 1]));
    g.output("pad", g.pad(x, 0, 7, { interior: [0, 4, 0] }));
    g.output("stop", g.stopGradient(x));
    // Not identities: a real cast, a strided slice, a real pad.
    g.output("toInt", g.cast(x, "int32"));
    g.output("strided", g.slice(x, [0, 0, 0], [2, 1, 3], [1, 1, 2]));
    g.output(
      "padded",
      g.pad(x, [
        [0, 0],
        [0, 0],
        [1, 0],
      ]),
    );
    const before = g.build();

    const { text, details } = simplify(before);
    expect(details).toEqual([
      "removed cast: cast to the same dtype → nothing",
      "removed slice: slice covering the whole tensor → nothing",
      "removed pad: pad with no padding → nothing",
      "removed stop_gradient: stop_gradient → identity (it only matters to differentiation, already done)",
    ]);
    expect(text).toMatchInlineSnapshot(`
      "graph "copies" {
        %0 = input "x" : f32[2,1,3]
        %1 = cast(%0) {to="int32"} : i32[2,1,3]  # cast_1
        %2 = slice(%0) {start=[0,0,0], end=[2,1,3], step=[1,1,2]} : f32[2,1,2]  # slice_1
        %3 = pad(%0) {pads=[[0,0],[0,0],[1,0]], value=0} : f32[2,1,4]  # pad_1
        output "cast" = %0
        output "slice" = %0
        output "pad" = %0
        output "stop" = %0
        output "toInt" = %1
        output "strided" = %2
        output "padded" = %3
      }"
    `);
  });

  it("iterates to a fixed point: one rewrite enables the next", () => {
    const g = new GraphBuilder("chain");
    const x = g.input("x", [2, 3]);
    // sum over a size-1 axis → reshape of a reshape → x.
    const summed = g.sum(g.reshape(x, [2, 3, 1]), [2]);
    // four negations, and three transposes that compose to the identity.
    const negated = g.neg(g.neg(g.neg(g.neg(summed))));
    const t = g.transpose(g.transpose(g.transpose(negated, [1, 0]), [1, 0]), [1, 0]);
    g.output("y", g.add(g.transpose(t, [1, 0]), g.mul(x, 1)));
    const before = g.build();

    const { graph, text, details } = simplify(before);
    expect(details).toMatchInlineSnapshot(`
      [
        "rewritten sum: sum over axes of size 1 → reshape",
        "removed neg_1: −(−x) → x",
        "removed neg_2: −(−x) → x",
        "removed neg_3: −(−x) → x",
        "removed transpose_1: transpose of a transpose → nothing (they cancel)",
        "removed transpose_2: transpose of a transpose → nothing (they cancel)",
        "removed transpose_3: transpose of a transpose → nothing (they cancel)",
        "removed mul: x·1 → x",
        "removed sum: reshape of a reshape → nothing",
      ]
    `);
    expect(text).toMatchInlineSnapshot(`
      "graph "chain" {
        %0 = input "x" : f32[2,3]
        %1 = reshape(%0) {shape=[2,3,1]} : f32[2,3,1]
        %2 = neg(%0) : f32[2,3]
        %3 = transpose(%0) {perm=[1,0]} : f32[3,2]
        %4 = constant [1] : f32[]
        %5 = add(%0, %0) : f32[2,3]
        output "y" = %5
      }"
    `);
    const again = runPass(simplifyAlgebra, graph);
    expect(again.graph).toBe(graph);
    expect(again.notes).toEqual([]);
  });

  it("returns its input when no identity applies", () => {
    const g = new GraphBuilder("plain");
    const x = g.input("x", [2, 3]);
    g.output("y", g.add(g.mul(x, 2), g.transpose(g.reshape(x, [3, 2]))));
    const before = g.build();
    const { graph, notes } = runPass(simplifyAlgebra, before);
    expect(graph).toBe(before);
    expect(notes).toEqual([]);
  });

  // Every op, through its registry samples (random attributes hit identity permutations, whole
  // slices, size-1 reductions...): whatever the pass does, outputs stay exactly equal.
  it.each(OP_NAMES)("keeps %s samples exact", (op) => {
    const rng = createRng(hashString(`simplify/${op}`));
    for (const sample of OP_SAMPLES[op].valid(rng)) {
      const g = new GraphBuilder(op);
      const inputs = sample.inputs.map((t, i) => g.input(`in${i}`, t.shape, t.dtype));
      g.output("out", g.apply(op, inputs, sample.attrs));
      const before = g.build();
      const { graph } = runPass(simplifyAlgebra, before);
      const feeds = Object.fromEntries(
        sample.inputs.map((t, i) => [
          `in${i}`,
          randomData(t.dtype, sizeOf(t.shape), rng, sample.ranges?.[i] ?? [-2, 2]),
        ]),
      );
      expectSameOutputs(before, graph, feeds, 1e-12);
    }
  });
});

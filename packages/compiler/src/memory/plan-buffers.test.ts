import {
  evaluateAll,
  type Feeds,
  type Graph,
  GraphBuilder,
  initialParams,
  type ReferenceArray,
} from "@nnc/core";
import { describe, expect, it } from "vitest";
import { grad } from "../autodiff/api.js";
import { adam } from "../optimizers/adam.js";
import { trainingGraph } from "../optimizers/training-graph.js";
import { randomFeeds } from "../passes/test-support.js";
import type { BufferPlan, BufferPlanOptions } from "./buffer-plan.js";
import { checkPlan } from "./check-plan.js";
import { evaluatePlanned } from "./evaluate-planned.js";
import { graphOrder, planBuffers } from "./plan-buffers.js";

/** Plans, proves the plan with checkPlan, and renders it one buffer per line. */
function plan(graph: Graph, options: BufferPlanOptions = {}, schedule = graphOrder(graph)) {
  const result = planBuffers(graph, schedule, options);
  checkPlan(graph, result);
  return result;
}

function layout(graph: Graph, p: BufferPlan): string[] {
  return [
    `arena ${p.arenaBytes}, activations ${p.activationBytes}, schedule ${p.schedule.join(" ")}`,
    ...p.buffers.map((b) => {
      const node = graph.node(b.node);
      const inPlace = b.inPlaceOf === undefined ? "" : ` over %${b.inPlaceOf}`;
      return `%${b.node} ${node.op} ${b.region} [${b.offset}, ${b.offset + b.bytes}) live [${b.start}, ${b.end}]${inPlace}`;
    }),
  ];
}

function expectBitIdentical(
  got: Record<string, ReferenceArray>,
  want: Record<string, ReferenceArray>,
): void {
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [name, values] of Object.entries(want)) {
    const actual = got[name]!;
    expect(actual.constructor, name).toBe(values.constructor);
    expect(actual.length, name).toBe(values.length);
    for (let i = 0; i < values.length; i++) {
      if (!Object.is(actual[i], values[i]))
        expect.fail(`${name}[${i}]: planned ${actual[i]}, reference ${values[i]}`);
    }
  }
}

/** evaluatePlanned over `p` agrees bit for bit with core's evaluator. */
function expectSameAsReference(graph: Graph, p: BufferPlan, feeds: Feeds): void {
  const want = evaluateAll(graph, feeds);
  const got = evaluatePlanned(graph, p, feeds);
  expectBitIdentical(got.outputs, want.outputs);
  expectBitIdentical(got.updates, want.updates);
}

/** a → b → c → d through transposes (not elementwise: no in-place), 64 bytes each. */
function transposeChain(): Graph {
  const g = new GraphBuilder("chain");
  const x = g.input("x", [4, 4]);
  g.output("d", g.transpose(g.transpose(g.transpose(g.transpose(x)))));
  return g.build();
}

describe("planBuffers", () => {
  it("lets a chain a → b → c → d reuse two buffers", () => {
    const graph = transposeChain();
    const planned = plan(graph);
    // a dies when c is born, b when d is: two buffers alternate. The output d lives to the end.
    expect(layout(graph, planned)).toEqual([
      "arena 192, activations 128, schedule 1 2 3 4",
      "%0 input input [0, 64) live [-1, 4]",
      "%1 transpose activation [64, 128) live [0, 1]",
      "%2 transpose activation [128, 192) live [1, 2]",
      "%3 transpose activation [64, 128) live [2, 3]",
      "%4 transpose activation [128, 192) live [3, 4]",
    ]);
    const naive = plan(graph, { reuse: false });
    expect(layout(graph, naive)).toEqual([
      "arena 320, activations 256, schedule 1 2 3 4",
      "%0 input input [0, 64) live [-1, 4]",
      "%1 transpose activation [64, 128) live [0, 1]",
      "%2 transpose activation [128, 192) live [1, 2]",
      "%3 transpose activation [192, 256) live [2, 3]",
      "%4 transpose activation [256, 320) live [3, 4]",
    ]);
    const feeds = randomFeeds(graph, 1);
    expectSameAsReference(graph, planned, feeds);
    expectSameAsReference(graph, naive, feeds);
  });

  it("writes an elementwise chain in place, but never over an input", () => {
    const g = new GraphBuilder("inplace");
    const x = g.input("x", [16]);
    g.output("y", g.relu(g.neg(g.tanh(g.exp(x)))));
    const graph = g.build();
    const planned = plan(graph);
    // exp cannot overwrite the input x; each later op takes its dying operand's buffer.
    expect(layout(graph, planned)).toEqual([
      "arena 128, activations 64, schedule 1 2 3 4",
      "%0 input input [0, 64) live [-1, 4]",
      "%1 exp activation [64, 128) live [0, 1]",
      "%2 tanh activation [64, 128) live [1, 2] over %1",
      "%3 neg activation [64, 128) live [2, 3] over %2",
      "%4 relu activation [64, 128) live [3, 4] over %3",
    ]);
    // Without in-place writes two buffers alternate, as in the transpose chain.
    expect(plan(graph, { inPlace: false }).activationBytes).toBe(128);
    expectSameAsReference(graph, planned, randomFeeds(graph, 2));
  });

  it("writes relu in place only over an input that dies there", () => {
    const g = new GraphBuilder("relu");
    const x = g.input("x", [16]);
    const a = g.exp(x);
    const r = g.relu(a); // a is read again below: r needs its own buffer
    const s = g.add(a, r); // a and r both die here: s takes a's (the first operand's) buffer
    g.output("s", g.relu(s)); // s dies here: relu takes its buffer
    const graph = g.build();
    const planned = plan(graph);
    expect(layout(graph, planned)).toEqual([
      "arena 192, activations 128, schedule 1 2 3 4",
      "%0 input input [0, 64) live [-1, 4]",
      "%1 exp activation [64, 128) live [0, 2]",
      "%2 relu activation [128, 192) live [1, 2]",
      "%3 add activation [64, 128) live [2, 3] over %1",
      "%4 relu activation [64, 128) live [3, 4] over %3",
    ]);
    expectSameAsReference(graph, planned, randomFeeds(graph, 3));
  });

  it("keeps outputs and state-update values to the end, and never writes over them", () => {
    const g = new GraphBuilder("outputs");
    const x = g.input("x", [16]);
    const count = g.param("count", [16], { init: "zeros", trainable: false });
    const a = g.exp(x);
    g.output("a", a);
    const b = g.tanh(a); // a is an output: b may not overwrite it
    const next = g.add(count, b); // count is persistent: never overwritten
    g.update(count, next);
    g.output("c", g.neg(b)); // b dies here: neg overwrites it
    const graph = g.build();
    const planned = plan(graph);
    expect(layout(graph, planned)).toEqual([
      "arena 320, activations 192, schedule 2 3 4 5",
      "%0 input input [64, 128) live [-1, 4]",
      "%1 param persistent [0, 64) live [-1, 4]",
      "%2 exp activation [128, 192) live [0, 4]",
      "%3 tanh activation [192, 256) live [1, 3]",
      "%4 add activation [256, 320) live [2, 4]",
      "%5 neg activation [192, 256) live [3, 4] over %3",
    ]);
    expectSameAsReference(graph, planned, randomFeeds(graph, 4));
  });

  it("aligns odd sizes, and packs them tightly with alignment 1", () => {
    const g = new GraphBuilder("odd");
    const x = g.input("x", [5]); // 20 bytes
    const flag = g.input("flag", [3], "bool"); // 3 bytes
    const w = g.param("w", [3], { init: "ones" }); // 12 bytes
    const c = g.constant([1, 2, 3, 4, 5]); // 20 bytes
    const m = g.ne(flag, g.cast(w, "bool")); // cast: 3 bytes; ne: 3 bytes, over the cast
    const y = g.mul(g.add(x, c), 2); // add: 20 bytes; mul: 20, over add (the constant 2 is a source)
    g.output("m", m);
    g.output("y", y);
    const graph = g.build();
    // Each buffer starts at a multiple of 8; the regions' sizes are rounded up to one.
    expect(layout(graph, plan(graph, { alignment: 8 }))).toEqual([
      "arena 112, activations 32, schedule 4 5 6 8",
      "%0 input input [16, 36) live [-1, 4]",
      "%1 input input [40, 43) live [-1, 4]",
      "%2 param persistent [0, 12) live [-1, 4]",
      "%3 constant constant [48, 68) live [-1, 4]",
      "%4 cast activation [104, 107) live [0, 1]",
      "%5 ne activation [104, 107) live [1, 4] over %4",
      "%6 add activation [80, 100) live [2, 3]",
      "%7 constant constant [72, 76) live [-1, 4]",
      "%8 mul activation [80, 100) live [3, 4] over %6",
    ]);
    expect(layout(graph, plan(graph, { alignment: 1 }))).toEqual([
      "arena 82, activations 23, schedule 4 5 6 8",
      "%0 input input [12, 32) live [-1, 4]",
      "%1 input input [32, 35) live [-1, 4]",
      "%2 param persistent [0, 12) live [-1, 4]",
      "%3 constant constant [35, 55) live [-1, 4]",
      "%4 cast activation [79, 82) live [0, 1]",
      "%5 ne activation [79, 82) live [1, 4] over %4",
      "%6 add activation [59, 79) live [2, 3]",
      "%7 constant constant [55, 59) live [-1, 4]",
      "%8 mul activation [59, 79) live [3, 4] over %6",
    ]);
    for (const alignment of [1, 3, 8, 64]) {
      expectSameAsReference(graph, plan(graph, { alignment }), randomFeeds(graph, 5));
    }
  });

  it("does not write a 1-byte bool over a 4-byte float of the same byte size", () => {
    const g = new GraphBuilder("bool");
    const s = g.input("s", [1]);
    const x = g.input("x", [4]);
    // exp(s) is 4 bytes, like lt's bool[4] result, but lt broadcasts it: element i of the result
    // would be written over element 0 of exp(s) before the next one reads it.
    const flags = g.lt(g.exp(s), x);
    g.output("flags", g.cast(flags, "float32"));
    const graph = g.build();
    const planned = plan(graph);
    expect(layout(graph, planned)).toEqual([
      "arena 256, activations 128, schedule 2 3 4",
      "%0 input input [0, 4) live [-1, 3]",
      "%1 input input [64, 80) live [-1, 3]",
      "%2 exp activation [128, 132) live [0, 1]",
      "%3 lt activation [192, 196) live [1, 2]",
      "%4 cast activation [128, 144) live [2, 3]",
    ]);
    expectSameAsReference(graph, planned, randomFeeds(graph, 6));
  });

  it("writes a cast in place when the element size is kept, and gives zero-size values no bytes", () => {
    const g = new GraphBuilder("cast");
    const x = g.input("x", [2, 8]);
    const i = g.cast(g.mul(x, 3), "int32"); // float32 → int32: same size, in place over mul
    const empty = g.slice(i, [1, 4], [1, 8]); // [0, 4]: zero bytes
    g.output("i", g.abs(i)); // i dies here (after the slice): abs takes its buffer
    g.output("empty", g.neg(empty));
    const graph = g.build();
    const planned = plan(graph);
    expect(layout(graph, planned)).toEqual([
      "arena 192, activations 64, schedule 2 3 4 5 6",
      "%0 input input [0, 64) live [-1, 5]",
      "%1 constant constant [64, 68) live [-1, 5]",
      "%2 mul activation [128, 192) live [0, 1]",
      "%3 cast activation [128, 192) live [1, 3] over %2",
      "%4 slice activation [128, 128) live [2, 4]",
      "%5 abs activation [128, 192) live [3, 5] over %3",
      "%6 neg activation [128, 128) live [4, 5]",
    ]);
    expectSameAsReference(graph, planned, randomFeeds(graph, 7));
  });

  it("follows the given schedule, not the graph's order, and fills gaps of dead values", () => {
    const g = new GraphBuilder("order");
    const x = g.input("x", [8, 8]); // 256 bytes
    const a = g.sum(g.transpose(x), [0]); // transpose: 256 bytes, sum: 32
    const b = g.sum(g.transpose(x), [0]);
    g.output("y", g.add(a, b));
    const graph = g.build();
    // Graph order: the first transpose dies before the second is made, so they share memory.
    // The sums are placed after them: all three are live at position 3.
    const inOrder = plan(graph, { alignment: 16 });
    expect(layout(graph, inOrder)).toEqual([
      "arena 576, activations 320, schedule 1 2 3 4 5",
      "%0 input input [0, 256) live [-1, 5]",
      "%1 transpose activation [256, 512) live [0, 1]",
      "%2 sum activation [512, 544) live [1, 4]",
      "%3 transpose activation [256, 512) live [2, 3]",
      "%4 sum activation [544, 576) live [3, 4]",
      "%5 add activation [512, 544) live [4, 5] over %2",
    ]);
    // Both transposes first: both are live at position 1, and the second sum goes into the
    // gap the first transpose left.
    const reordered = plan(graph, { alignment: 16 }, [1, 3, 2, 4, 5]);
    expect(layout(graph, reordered)).toEqual([
      "arena 800, activations 544, schedule 1 3 2 4 5",
      "%0 input input [0, 256) live [-1, 5]",
      "%1 transpose activation [256, 512) live [0, 2]",
      "%2 sum activation [768, 800) live [2, 4]",
      "%3 transpose activation [512, 768) live [1, 3]",
      "%4 sum activation [256, 288) live [3, 4]",
      "%5 add activation [768, 800) live [4, 5] over %2",
    ]);
    const feeds = randomFeeds(graph, 8);
    expectSameAsReference(graph, inOrder, feeds);
    expectSameAsReference(graph, reordered, feeds);
  });

  it("rejects schedules that are not a topological order of the compute nodes", () => {
    const graph = transposeChain();
    const attempt = (schedule: number[]) => () => planBuffers(graph, schedule);
    expect(attempt([1, 2, 3])).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid schedule for graph "chain": %4 = transpose "transpose_3" is missing]`,
    );
    expect(attempt([1, 2, 2, 3, 4])).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid schedule for graph "chain": %2 = transpose "transpose_1" appears twice (positions 1 and 2)]`,
    );
    expect(attempt([0, 1, 2, 3, 4])).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid schedule for graph "chain": position 0 holds %0 input "x", which is not computed]`,
    );
    expect(attempt([1, 3, 2, 4])).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid schedule for graph "chain": %3 = transpose "transpose_2" at position 1 reads %2 = transpose "transpose_1", scheduled later at position 2]`,
    );
    expect(attempt([1, 2, 3, 4, 7])).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid schedule for graph "chain": position 4 holds 7, which is not a node id]`,
    );
    expect(() => planBuffers(graph, [1, 2, 3, 4], { alignment: 0 })).toThrow(
      /alignment must be a positive integer, got 0/,
    );
  });
});

describe("evaluatePlanned", () => {
  function mlp(): Graph {
    const g = new GraphBuilder("mlp");
    const x = g.input("x", [4, 6]);
    const y = g.input("y", [4], "int32");
    const h = g.relu(
      g.add(
        g.matmul(x, g.param("fc1.weight", [6, 8], { init: "glorot_uniform", seed: 1 })),
        g.param("fc1.bias", [8], { init: "zeros" }),
      ),
    );
    const logits = g.matmul(h, g.param("fc2.weight", [8, 3], { init: "glorot_uniform", seed: 2 }));
    g.output("loss", g.softmaxCrossEntropy(logits, y));
    return g.build();
  }

  it("computes gradients bit-identically to the reference, with planning on and off", () => {
    const graph = grad(mlp(), { of: "loss", wrt: ["fc1.weight", "fc1.bias", "fc2.weight"] });
    const feeds = randomFeeds(graph, 10, { y: [0, 2, 1, 2] });
    for (const options of [{}, { inPlace: false }, { reuse: false }, { alignment: 4 }]) {
      const planned = plan(graph, options);
      expectSameAsReference(graph, planned, feeds);
    }
    // The gradient graph is long enough for reuse to matter.
    expect(plan(graph).activationBytes).toBeLessThan(plan(graph, { reuse: false }).activationBytes);
  });

  it("runs Adam training steps bit-identically, writing the state updates back", () => {
    const graph = trainingGraph(mlp(), { loss: "loss", optimizer: adam({ lr: 0.01 }) });
    const planned = plan(graph);
    expect(planned.buffers.filter((b) => b.inPlaceOf !== undefined).length).toBeGreaterThan(0);
    const batch = { x: randomFeeds(graph, 11).x!, y: [2, 0, 1, 1] };
    let params: Record<string, ArrayLike<number>> = initialParams(graph);
    for (let step = 0; step < 3; step++) {
      const feeds = { ...batch, ...params };
      const want = evaluateAll(graph, feeds);
      const got = evaluatePlanned(graph, planned, feeds);
      expectBitIdentical(got.outputs, want.outputs);
      expectBitIdentical(got.updates, want.updates);
      params = { ...params, ...got.updates };
    }
  });

  it("sees a corrupted plan: two live values in one buffer give a wrong result", () => {
    const g = new GraphBuilder("corrupt");
    const x = g.input("x", [16]);
    const a = g.exp(x);
    const b = g.tanh(x);
    g.output("y", g.sub(a, b));
    const graph = g.build();
    const good = plan(graph, { inPlace: false });
    const buffers = good.buffers.map((buf) =>
      buf.node === b.id ? { ...buf, offset: good.buffers[a.id]!.offset } : buf,
    );
    const bad = { ...good, buffers };
    expect(() => checkPlan(graph, bad)).toThrow(/share bytes/);
    const feeds = randomFeeds(graph, 12);
    // tanh(x) overwrote exp(x): y = tanh(x) − tanh(x) = 0.
    expect([...evaluatePlanned(graph, bad, feeds).outputs.y!]).toEqual(new Array(16).fill(0));
    expect(evaluateAll(graph, feeds).outputs.y!.some((v) => v !== 0)).toBe(true);
  });

  it("sees a non-elementwise op written over its own dying operand", () => {
    const graph = transposeChain();
    const good = plan(graph);
    // %2 reads %1 at position 1, where it is written: a transpose cannot work in place.
    const bad = {
      ...good,
      buffers: good.buffers.map((b) =>
        b.node === 2 ? { ...b, offset: good.buffers[1]!.offset } : b,
      ),
    };
    expect(() => checkPlan(graph, bad)).toThrow(
      /%1 = transpose .* and %2 = transpose .* share bytes/,
    );
    const { d } = evaluatePlanned(graph, bad, randomFeeds(graph, 14)).outputs;
    expect([...d!].every(Number.isNaN)).toBe(true);
  });

  it("catches a buffer overlapping part of an element of another", () => {
    const g = new GraphBuilder("partial");
    const x = g.input("x", [4]);
    const f = g.exp(x); // float32: bytes [o, o + 16)
    const m = g.gt(x, 0); // bool[4]: 4 bytes
    g.output("y", g.select(m, f, 0));
    const graph = g.build();
    const good = plan(graph, { alignment: 1 });
    const fOffset = good.buffers[f.id]!.offset;
    const buffers = good.buffers.map((buf) =>
      buf.node === m.id ? { ...buf, offset: fOffset + 1 } : buf,
    );
    expect(() => evaluatePlanned(graph, { ...good, buffers }, randomFeeds(graph, 13))).toThrow(
      /byte 1 of element 0 of %\d+ "exp" \(slot \d+\) was overwritten/,
    );
  });
});

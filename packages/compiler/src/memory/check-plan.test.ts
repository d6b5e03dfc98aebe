import { type Graph, GraphBuilder } from "@nnc/core";
import { describe, expect, it } from "vitest";
import type { BufferAssignment, BufferPlan } from "./buffer-plan.js";
import { checkPlan } from "./check-plan.js";
import { graphOrder, planBuffers } from "./plan-buffers.js";

/** x → exp → tanh → transpose → relu, plus an output read from the middle. 64 bytes each. */
function sample(): Graph {
  const g = new GraphBuilder("sample");
  const x = g.input("x", [4, 4]);
  const a = g.exp(x); // %1
  const b = g.tanh(a); // %2, in place over a
  const t = g.transpose(b); // %3
  g.output("b", b);
  g.output("y", g.relu(t)); // %4, in place over t
  return g.build();
}

/** `plan` with node `id`'s assignment changed. */
function edit(plan: BufferPlan, id: number, change: Partial<BufferAssignment>): BufferPlan {
  return { ...plan, buffers: plan.buffers.map((b) => (b.node === id ? { ...b, ...change } : b)) };
}

describe("checkPlan", () => {
  const graph = sample();
  const good = planBuffers(graph, graphOrder(graph));

  it("accepts the planner's plans, with and without reuse and in-place writes", () => {
    expect(good.buffers.map((b) => [b.offset, b.start, b.end, b.inPlaceOf])).toEqual([
      [0, -1, 4, undefined],
      [64, 0, 1, undefined],
      [64, 1, 4, 1],
      [128, 2, 3, undefined],
      [128, 3, 4, 3],
    ]);
    for (const options of [{}, { inPlace: false }, { reuse: false }, { alignment: 1 }]) {
      expect(() => checkPlan(graph, planBuffers(graph, graphOrder(graph), options))).not.toThrow();
    }
  });

  it("accepts memory shared by values that are never live together", () => {
    const g = new GraphBuilder("chain");
    const x = g.input("x", [4, 4]);
    g.output("y", g.transpose(g.transpose(g.transpose(x))));
    const chain = g.build();
    const plan = planBuffers(chain, graphOrder(chain), { reuse: false });
    // %1 lives [0, 1] and %3 lives [2, 3]: the same bytes are fine.
    expect(() =>
      checkPlan(chain, edit(plan, 3, { offset: plan.buffers[1]!.offset })),
    ).not.toThrow();
    // %2 lives [1, 2]: it meets %1 at position 1, where %1 is read while %2 is written.
    expect(() =>
      checkPlan(chain, edit(plan, 2, { offset: plan.buffers[1]!.offset })),
    ).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid buffer plan for graph "chain": %1 = transpose "transpose" bytes [64, 128) live [0, 1] and %2 = transpose "transpose_1" bytes [64, 128) live [1, 2] share bytes [64, 128) while both live at [1, 1]]`,
    );
  });

  it("names both nodes, their bytes and live intervals when live buffers overlap", () => {
    const separate = planBuffers(graph, graphOrder(graph), { inPlace: false });
    expect(separate.buffers.map((b) => b.offset)).toEqual([0, 64, 128, 64, 192]);
    // The transpose (%3) moved onto tanh's buffer (%2), an output, so live to the end.
    expect(() =>
      checkPlan(graph, edit(separate, 3, { offset: 128 })),
    ).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid buffer plan for graph "sample": %2 = tanh "tanh" bytes [128, 192) live [1, 4] and %3 = transpose "transpose" bytes [128, 192) live [2, 3] share bytes [128, 192) while both live at [2, 3]]`,
    );
    // With alignment 1, a 4-byte overlap at the end of tanh's buffer.
    const alignedOne = planBuffers(graph, graphOrder(graph), { alignment: 1, inPlace: false });
    expect(() =>
      checkPlan(graph, edit(alignedOne, 3, { offset: alignedOne.buffers[2]!.offset + 60 })),
    ).toThrow(/%2 = tanh .* and %3 = transpose .* share bytes \[\d+, \d+\) while both live/);
  });

  it("allows the in-place pair, and only when the rules hold", () => {
    // relu over the transpose is fine; claiming it over tanh (an output, not its operand) is not.
    expect(() =>
      checkPlan(graph, edit(good, 4, { inPlaceOf: 2 })),
    ).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid buffer plan for graph "sample": %4 = relu "relu" bytes [128, 192) claims to be written in place over %2, which is not its operand]`,
    );
    // Without the claim, the shared buffer is an overlap at position 3.
    expect(() => checkPlan(graph, edit(good, 4, { inPlaceOf: undefined }))).toThrow(
      /%3 = transpose "transpose" bytes \[128, 192\) live \[2, 3\] and %4 = relu "relu" bytes \[128, 192\) live \[3, 4\] share bytes/,
    );
    // A transpose is not elementwise: it may not write over its operand.
    expect(() =>
      checkPlan(graph, edit(good, 3, { offset: 64, inPlaceOf: 2 })),
    ).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid buffer plan for graph "sample": %3 = transpose "transpose" bytes [64, 128) claims to be written in place over %2, but only elementwise primitives may]`,
    );
    // exp over the input x: inputs are never overwritten.
    expect(() =>
      checkPlan(graph, edit(good, 1, { offset: 0, inPlaceOf: 0 })),
    ).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid buffer plan for graph "sample": %1 = exp "exp" bytes [0, 64) (activation) is outside the activation region [64, 192)]`,
    );
    expect(() =>
      checkPlan(graph, edit(good, 1, { inPlaceOf: 0 })),
    ).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid buffer plan for graph "sample": %1 = exp "exp" bytes [64, 128) claims to be written in place over %0, but %0 input "x" is input memory, not an activation]`,
    );
  });

  it("rejects an in-place write over an operand that is read later", () => {
    const g = new GraphBuilder("later");
    const x = g.input("x", [16]);
    const a = g.exp(x);
    const r = g.relu(a);
    g.output("y", g.add(a, r));
    const later = g.build();
    const plan = planBuffers(later, graphOrder(later));
    expect(plan.buffers[2]!.inPlaceOf).toBeUndefined();
    const bad = edit(plan, 2, { offset: plan.buffers[1]!.offset, inPlaceOf: 1 });
    expect(() => checkPlan(later, bad)).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid buffer plan for graph "later": %2 = relu "relu" bytes [64, 128) claims to be written in place over %1, which is still read at position 2 (after 1)]`,
    );
  });

  it("checks alignment, sizes, regions and that buffers fit the arena", () => {
    expect(() =>
      checkPlan(graph, edit(good, 3, { offset: 132 })),
    ).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid buffer plan for graph "sample": %3 = transpose "transpose" bytes [132, 196) is not at a non-negative multiple of the alignment 64]`,
    );
    expect(() =>
      checkPlan(graph, edit(good, 3, { offset: 192 })),
    ).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid buffer plan for graph "sample": %3 = transpose "transpose" bytes [192, 256) ends past the 192-byte arena]`,
    );
    expect(() => checkPlan(graph, edit(good, 3, { bytes: 32 }))).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid buffer plan for graph "sample": %3 = transpose "transpose" bytes [128, 160) has 32 bytes, its value 64]`,
    );
    expect(() =>
      checkPlan(graph, edit(good, 0, { region: "persistent" })),
    ).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid buffer plan for graph "sample": %0 input "x" bytes [0, 64) is in region persistent, not input]`,
    );
    expect(() => checkPlan(graph, { ...good, activationBytes: 256 })).toThrow(
      /activation region of 256 bytes does not fit the 192-byte arena/,
    );
  });

  it("checks the regions' order: persistent, input, constant, activation", () => {
    const g = new GraphBuilder("regions");
    const w = g.param("w", [16], { init: "ones" });
    const x = g.input("x", [16]);
    g.output("y", g.add(w, x));
    const regions = g.build();
    const plan = planBuffers(regions, graphOrder(regions));
    expect(plan.buffers.map((b) => `${b.region} ${b.offset}`)).toEqual([
      "persistent 0",
      "input 64",
      "activation 128",
    ]);
    expect(() =>
      checkPlan(regions, edit(edit(plan, 0, { offset: 64 }), 1, { offset: 0 })),
    ).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid buffer plan for graph "regions": the input region starts at byte 0, before the persistent region ends (byte 128)]`,
    );
  });

  it("recomputes live intervals instead of trusting the plan's", () => {
    // Claiming tanh dies at position 2 would hide that it is an output, read after the run.
    expect(() => checkPlan(graph, edit(good, 2, { end: 2 }))).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid buffer plan for graph "sample": %2 = tanh "tanh" bytes [64, 128) claims live interval [1, 2], but the schedule makes it [1, 4]]`,
    );
  });

  it("requires a buffer for every node", () => {
    expect(() =>
      checkPlan(graph, { ...good, buffers: good.buffers.slice(0, 4) }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid buffer plan for graph "sample": 4 buffers for 5 nodes]`,
    );
    const holed = [...good.buffers];
    delete holed[2];
    expect(() => checkPlan(graph, { ...good, buffers: holed })).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid buffer plan for graph "sample": %2 = tanh "tanh" has no buffer]`,
    );
    const swapped = good.buffers.map((b, i) => (i === 3 ? good.buffers[4]! : b));
    expect(() => checkPlan(graph, { ...good, buffers: swapped })).toThrow(
      /the buffer at index 3 is for %4/,
    );
  });

  it("requires the schedule to be a topological order of every compute node", () => {
    expect(() =>
      checkPlan(graph, { ...good, schedule: [1, 3, 2, 4] }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[Error: invalid schedule for graph "sample": %3 = transpose "transpose" at position 1 reads %2 = tanh "tanh", scheduled later at position 2]`,
    );
    expect(() => checkPlan(graph, { ...good, schedule: [1, 2, 3] })).toThrow(
      /%4 = relu "relu" is missing/,
    );
    expect(() => checkPlan(graph, { ...good, schedule: [0, 1, 2, 3, 4] })).toThrow(
      /position 0 holds %0 input "x", which is not computed/,
    );
  });
});

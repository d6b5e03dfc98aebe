import { type Graph, GraphBuilder } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { fuseElementwise, groupKernels, type Kernel } from "./fuse-elementwise.js";
import { runPass } from "./test-support.js";

function describeKernels(graph: Graph, kernels: readonly Kernel[]): string[] {
  return kernels.map((k) => `${k.kind}: ${k.nodes.map((id) => graph.node(id).op).join(" → ")}`);
}

describe("fuse-elementwise", () => {
  it("puts a dense layer's bias add and ReLU in the matmul's epilogue", () => {
    const g = new GraphBuilder("mlp");
    const x = g.input("x", [4, 8]);
    const w = g.param("w", [8, 16]);
    const b = g.param("b", [16]);
    g.output("y", g.relu(g.add(g.matmul(x, w), b)));
    const graph = g.build();
    const { graph: after, artifacts, notes } = runPass(fuseElementwise, graph);
    expect(after).toBe(graph);
    expect(describeKernels(graph, artifacts.kernels as Kernel[])).toEqual([
      "epilogue: matmul → add → relu",
    ]);
    expect(notes[0]!.detail).toBe("epilogue kernel of 3 ops: matmul → add → relu");
  });

  it("fuses a chain into one loop and a reduction's elementwise prologue", () => {
    const g = new GraphBuilder("chain");
    const x = g.input("x", [3, 5]);
    const y = g.input("y", [3, 5]);
    const d = g.sub(x, y);
    g.output("loss", g.sum(g.mul(d, d)));
    const graph = g.build();
    expect(describeKernels(graph, groupKernels(graph))).toEqual(["prologue: sub → mul → sum"]);
  });

  it("keeps a value that is read twice outside the chain in its own kernel", () => {
    const g = new GraphBuilder("shared");
    const x = g.input("x", [6]);
    const e = g.exp(x);
    g.output("a", g.add(e, 1));
    g.output("b", g.mul(e, 2));
    const graph = g.build();
    expect(describeKernels(graph, groupKernels(graph))).toEqual([
      "single: exp",
      "single: add",
      "single: mul",
    ]);
  });

  it("does not fuse across a change of shape (broadcast) or into graph outputs", () => {
    const g = new GraphBuilder("shapes");
    const x = g.input("x", [4]);
    const s = g.sigmoid(x);
    g.output("s", s);
    g.output("z", g.add(g.broadcastTo(g.tanh(x), [3, 4]), 1));
    const graph = g.build();
    expect(describeKernels(graph, groupKernels(graph))).toEqual([
      "single: sigmoid",
      "single: tanh",
      "single: broadcast_to",
      "single: add",
    ]);
  });

  it("assigns every compute node to exactly one kernel, with intermediates read only inside", () => {
    const g = new GraphBuilder("net");
    const x = g.input("x", [2, 3, 8, 8]);
    let h = g.layers.conv2d(x, { filters: 4, kernel: 3, padding: "same", activation: "relu" });
    h = g.layers.maxPool2d(h, { kernel: 2 });
    const logits = g.layers.dense(h, 5, { activation: "tanh" });
    g.output("p", g.softmax(logits));
    const graph = g.build();
    const kernels = groupKernels(graph);
    const seen = kernels.flatMap((k) => k.nodes);
    const compute = graph.nodes
      .filter((n) => !["input", "param", "constant"].includes(n.op))
      .map((n) => n.id);
    expect([...seen].sort((a, b) => a - b)).toEqual(compute);
    for (const kernel of kernels) {
      const inside = new Set(kernel.nodes);
      for (const id of kernel.nodes.slice(0, -1)) {
        expect(graph.consumers[id]!.every((c) => inside.has(c))).toBe(true);
      }
    }
  });
});

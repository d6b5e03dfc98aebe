import { type Graph, GraphBuilder } from "@nnc/core";
import { describe, expect, it } from "vitest";
import type { Pass } from "./pass.js";
import { PassManager } from "./pass-manager.js";

function tiny(): Graph {
  const g = new GraphBuilder("tiny");
  g.output("y", g.relu(g.input("x", [2])));
  return g.build();
}

const negateOutput: Pass = {
  name: "negate-output",
  description: "Test pass: negates the output.",
  run(graph, ctx) {
    const g = new GraphBuilder(graph.name);
    const x = g.input("x", [2]);
    g.output("y", g.neg(g.relu(x)));
    ctx.note({ action: "added", node: "neg", detail: "negated" });
    return g.build();
  },
};

const identity: Pass = {
  name: "identity",
  description: "Test pass: changes nothing.",
  run: (graph) => graph,
};

const corrupting: Pass = {
  name: "corrupting",
  description: "Test pass: returns a graph that breaks an invariant.",
  run: (graph) => {
    const node = graph.nodes[1]!;
    return new (graph.constructor as typeof Graph)(
      graph.name,
      [graph.nodes[0]!, { ...node, type: { dtype: "float32", shape: [3] } }],
      graph.outputs,
    );
  },
};

describe("PassManager", () => {
  it("runs passes in order, times them and collects their notes", () => {
    const { graph, reports } = new PassManager().run(tiny(), [identity, negateOutput], "infer");
    expect(graph.nodes.map((n) => n.op)).toEqual(["input", "relu", "neg"]);
    expect(
      reports.map((r) => [r.name, r.nodesBefore, r.nodesAfter, r.disabled, r.notes.length]),
    ).toEqual([
      ["identity", 2, 2, false, 0],
      ["negate-output", 2, 3, false, 1],
    ]);
    expect(reports.every((r) => r.ms >= 0)).toBe(true);
  });

  it("skips disabled passes by name", () => {
    const { graph, reports } = new PassManager({ disable: ["negate-output"] }).run(
      tiny(),
      [negateOutput],
      "infer",
    );
    expect(graph.nodes.length).toBe(2);
    expect(reports[0]!.disabled).toBe(true);
  });

  it("dumps the printed graph after the requested passes", () => {
    const dumps: string[] = [];
    new PassManager({
      dumpAfter: ["negate-output"],
      dump: (pass, text) => dumps.push(`${pass}\n${text}`),
    }).run(tiny(), [identity, negateOutput], "infer");
    expect(dumps).toMatchInlineSnapshot(`
      [
        "negate-output
      graph "tiny" {
        %0 = input "x" : f32[2]
        %1 = relu(%0) : f32[2]
        %2 = neg(%1) : f32[2]
        output "y" = %2
      }",
      ]
    `);
  });

  it("catches a pass that breaks the graph, naming the pass", () => {
    expect(() => new PassManager().run(tiny(), [corrupting], "infer")).toThrowError(
      /nnc bug: pass corrupting produced an invalid graph: error NNC3001/,
    );
  });

  it("rejects unknown pass names with the list of known ones", () => {
    expect(() =>
      new PassManager({ disable: ["fold-batchnorm"] }).run(tiny(), [identity], "infer"),
    ).toThrowErrorMatchingInlineSnapshot(
      `[NncError: error NNC1002: --disable: unknown pass "fold-batchnorm"; the pipeline has identity]`,
    );
  });
});

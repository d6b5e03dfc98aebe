import { describe, expect, it } from "vitest";
import { evaluate } from "./evaluate.js";
import { GraphBuilder } from "./graph-builder.js";
import { printGraph } from "./print-graph.js";
import {
  deserializeGraph,
  GRAPH_FORMAT_VERSION,
  graphToJson,
  serializeGraph,
} from "./serialize.js";

function sampleGraph() {
  const g = new GraphBuilder("round-trip");
  const x = g.input("x", [2, 3]);
  const labels = g.input("labels", [2], "int32");
  const h = g.layers.dense(x, 4, { name: "fc1", activation: "relu", seed: 7 });
  const padded = g.pad(
    h,
    [
      [0, 0],
      [1, 0],
    ],
    Number.NEGATIVE_INFINITY,
  );
  const logits = g.slice(padded, [0, 1]);
  g.output("loss", g.softmaxCrossEntropy(logits, labels));
  g.output("pred", g.argmax(logits, -1));
  return g.build();
}

describe("JSON serialisation", () => {
  it("round-trips structure, attributes, locations and non-finite numbers", () => {
    const graph = sampleGraph();
    const text = serializeGraph(graph);
    const back = deserializeGraph(text);
    expect(printGraph(back, { locations: true })).toBe(printGraph(graph, { locations: true }));
    expect(serializeGraph(back)).toBe(text);
    const feeds = { x: [1, -2, 3, 0.5, 0.25, -1], labels: [1, 3] };
    expect(evaluate(back, feeds)).toEqual(evaluate(graph, feeds));
  });

  it("writes the format name and version", () => {
    const json = graphToJson(sampleGraph());
    expect(json.format).toBe("nnc-graph");
    expect(json.version).toBe(GRAPH_FORMAT_VERSION);
  });

  it("rejects malformed files with NNC5001", () => {
    expect(() => deserializeGraph("{not json")).toThrowError(
      /NNC5001: malformed graph file: not valid JSON/,
    );
    expect(() => deserializeGraph({ format: "onnx" })).toThrowError(/NNC5001.*"format" field/);
    const json = JSON.parse(serializeGraph(sampleGraph()));
    json.nodes[2].inputs = [5];
    expect(() => deserializeGraph(json)).toThrowError(/NNC3001/);
    const json2 = JSON.parse(serializeGraph(sampleGraph()));
    json2.nodes[1].shape = [2, "x"];
    expect(() => deserializeGraph(json2)).toThrowError(/NNC5001.*nodes\[1\]\.shape/);
  });

  it("rejects files from a newer format version with NNC5002", () => {
    const json = { ...graphToJson(sampleGraph()), version: GRAPH_FORMAT_VERSION + 1 };
    expect(() => deserializeGraph(json)).toThrowError(/NNC5002/);
  });

  it("re-checks op rules on load: a tampered shape or attribute is caught", () => {
    const json = JSON.parse(serializeGraph(sampleGraph()));
    const dense = json.nodes.find((n: { op: string }) => n.op === "dense");
    dense.shape = [2, 5];
    expect(() => deserializeGraph(json)).toThrowError(
      /NNC3001.*typed f32\[2,5\] but dense gives f32\[2,4\]/,
    );
    const json2 = JSON.parse(serializeGraph(sampleGraph()));
    json2.nodes.find((n: { op: string }) => n.op === "argmax").attrs.bogus = 1;
    expect(() => deserializeGraph(json2)).toThrowError(
      /NNC1002: argmax: unknown attribute "bogus"/,
    );
    const json3 = JSON.parse(serializeGraph(sampleGraph()));
    json3.nodes[2].op = "frobnicate";
    expect(() => deserializeGraph(json3)).toThrowError(/NNC1001: unknown op "frobnicate"/);
  });
});

import { deserializeGraph, Graph, GraphBuilder, type Node } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { RENDER_FORMATS, renderGraph } from "./index.js";

function mlp(names: { x?: string; hidden?: string; out?: string } = {}): Graph {
  const g = new GraphBuilder("mlp");
  const x = g.input(names.x ?? "x", [4, 8]);
  const w1 = g.param(names.hidden ?? "fc1.weight", [8, 16], { init: "glorot_uniform", seed: 1 });
  const b1 = g.param("fc1.bias", [16], { init: "zeros" });
  const h = g.relu(g.add(g.matmul(x, w1), b1));
  const w2 = g.param("fc2.weight", [16, 3], { init: "glorot_uniform", seed: 2 });
  g.output(names.out ?? "logits", g.matmul(h, w2));
  return g.build();
}

const HOSTILE = {
  x: '<script>alert("x")</script>',
  hidden: "a & b 'quoted' \"double\" \\N \\G",
  out: "]]><!-- --> </text></svg>",
};

/**
 * A minimal XML well-formedness check: no raw `<` or `&` outside markup and entities, and
 * every element closed in order (declarations, comments and self-closing tags allowed).
 */
function checkXml(svg: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<\?xml[^>]*\?>/g;
  let last = 0;
  for (const match of svg.matchAll(tag)) {
    const text = svg.slice(last, match.index);
    expect(text, `text before ${match[0]}`).not.toMatch(/[<>]|&(?!(amp|lt|gt|quot|apos);)/);
    last = match.index + match[0].length;
    if (match[2] === undefined) continue;
    // Attribute values may hold no raw & except entities.
    expect(match[3] ?? "").not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
    if (match[1] === "/") expect(stack.pop(), `closing </${match[2]}>`).toBe(match[2]);
    else if (match[4] !== "/") stack.push(match[2]);
  }
  expect(svg.slice(last).trim()).toBe("");
  expect(stack).toEqual([]);
}

/** Code units XML 1.0 forbids (C0 controls other than tab/newline/return, any surrogate). */
function forbiddenInXml(text: string): number[] {
  const bad: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const control = code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d;
    if (control || (code >= 0xd800 && code <= 0xdfff)) bad.push(code);
  }
  return bad;
}

function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}

describe("renderGraph", () => {
  it("renders an MLP as DOT: every node labelled with name, op and type, every operand an edge", () => {
    const graph = mlp();
    const dot = renderGraph(graph, "dot");
    expect(dot).toMatchInlineSnapshot(`
      "digraph "mlp" {
        rankdir=TB;
        node [fontname="monospace", fontsize=10, style=filled];
        edge [color="#555555"];
        n0 [label="x\\ninput : f32[4,8]", shape=ellipse, fillcolor="#dbeafe"];
        n1 [label="fc1.weight\\nparam : f32[8,16]", shape=box3d, fillcolor="#fef3c7"];
        n2 [label="fc1.bias\\nparam : f32[16]", shape=box3d, fillcolor="#fef3c7"];
        n3 [label="matmul\\nmatmul : f32[4,16]", shape=box, fillcolor="#ffffff"];
        n4 [label="add\\nadd : f32[4,16]", shape=box, fillcolor="#ffffff"];
        n5 [label="relu\\nrelu : f32[4,16]", shape=box, fillcolor="#ffffff"];
        n6 [label="fc2.weight\\nparam : f32[16,3]", shape=box3d, fillcolor="#fef3c7"];
        n7 [label="matmul_1\\nmatmul : f32[4,3]", shape=box, fillcolor="#ffffff"];
        n0 -> n3;
        n1 -> n3;
        n3 -> n4;
        n2 -> n4;
        n4 -> n5;
        n5 -> n7;
        n6 -> n7;
        out0 [label="output logits", shape=plaintext, style=""];
        n7 -> out0;
      }
      "
    `);
    const edges = dot.match(/ -> /g) ?? [];
    const operands = graph.nodes.reduce((sum, n) => sum + n.inputs.length, 0);
    expect(edges).toHaveLength(operands + graph.outputs.length);
  });

  it("escapes DOT labels: quotes and backslashes cannot close the string or trigger \\N", () => {
    const dot = renderGraph(mlp(HOSTILE), "dot");
    expect(dot).toContain(
      String.raw`n1 [label="a & b 'quoted' \"double\" \\N \\G\nparam : f32[8,16]"`,
    );
    expect(dot).toContain(String.raw`n0 [label="<script>alert(\"x\")</script>\ninput`);
    // Every line is one statement: nothing closed a string early or opened a new line.
    for (const line of dot.trimEnd().split("\n").slice(1, -1)) {
      expect(line).toMatch(/^ {2}\S.*[;{]$|^ {2}(rankdir|node|edge)/);
      const unescapedQuotes = line.replace(/\\./g, "").match(/"/g) ?? [];
      expect(unescapedQuotes.length % 2, line).toBe(0);
    }
  });

  it("renders JSON with core's serializer (round-trips)", () => {
    const graph = mlp(HOSTILE);
    const json = renderGraph(graph, "json");
    expect(JSON.parse(json).format).toBe("nnc-graph");
    expect(deserializeGraph(json).nodes.map((n: Node) => n.name)).toEqual(
      graph.nodes.map((n) => n.name),
    );
  });

  it("renders a well-formed standalone SVG with a box and label per node", () => {
    const graph = mlp();
    const svg = renderGraph(graph, "svg");
    checkXml(svg);
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns=')).toBe(true);
    expect(svg.match(/<rect x=/g)).toHaveLength(graph.nodes.length);
    for (const node of graph.nodes) expect(svg).toContain(`>${node.name}</text>`);
    expect(svg).toContain(">matmul : f32[4,16]</text>");
    expect(svg).toContain(">output logits</text>");
    expect(svg.match(/marker-end="url\(#arrow\)"/g)).toHaveLength(8);
    // Laid out top to bottom: the input is above the last matmul.
    const y = (label: string) => Number(svg.match(new RegExp(`y="([\\d.]+)"[^>]*>${label}<`))![1]);
    expect(y("x")).toBeLessThan(y("matmul_1"));
    expect(renderGraph(graph, "svg")).toBe(svg);
  });

  it("XML-escapes hostile names in the SVG", () => {
    const svg = renderGraph(mlp(HOSTILE), "svg");
    checkXml(svg);
    expect(svg).not.toContain("<script>");
    expect(svg).not.toContain("]]>");
    for (const name of Object.values(HOSTILE)) expect(svg).toContain(escapeXml(name));
    expect(svg).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
  });

  it("shows control characters and lone surrogates as escapes (graphs read from JSON)", () => {
    const good = mlp();
    const nodes = good.nodes.map((n) =>
      n.id === 0 ? { ...n, name: "line1\nline2\u0007\ud800</title>" } : n,
    );
    const graph = new Graph("evil\n<g>", nodes, good.outputs);
    const svg = renderGraph(graph, "svg");
    checkXml(svg);
    expect(forbiddenInXml(svg)).toEqual([]);
    expect(svg).toContain(">line1\\nline2\\u0007\\ud800&lt;/title&gt;</text>");
    expect(svg).toContain("<title>evil\\n&lt;g&gt;</title>");
    const dot = renderGraph(graph, "dot");
    expect(dot).toContain(String.raw`n0 [label="line1\\nline2\\u0007\\ud800</title>\ninput`);
    expect(dot.split("\n")[0]).toBe(String.raw`digraph "evil\\n<g>" {`);
  });

  it("draws outputs and state updates", () => {
    const g = new GraphBuilder("stateful");
    const x = g.input("x", [2]);
    const s = g.param("running", [2], { init: "zeros", trainable: false });
    const next = g.add(s, x);
    g.output("y", next);
    g.update(s, next);
    const graph = g.build();
    const svg = renderGraph(graph, "svg");
    checkXml(svg);
    expect(svg).toContain('stroke-dasharray="5,3"');
    expect(renderGraph(graph, "dot")).toContain(
      'n2 -> n1 [style=dashed, constraint=false, label="update"];',
    );
  });

  it("lists its formats", () => {
    expect(RENDER_FORMATS).toEqual(["dot", "svg", "json"]);
    expect(() => renderGraph(mlp(), "png" as never)).toThrow(/unknown format "png"/);
  });
});

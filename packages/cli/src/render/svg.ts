// Layout library: @dagrejs/dagre (the maintained fork of dagre). It implements the layered
// (Sugiyama) layout dataflow graphs want, runs synchronously, so renderGraph stays a plain
// function returning a string, is deterministic for a given insertion order (stable files and
// tests), and is small (one dependency, graphlib). elkjs lays out as well or better but only
// through a Promise-based API and ships a ~1.5 MB GWT-compiled bundle; Graphviz itself would
// need a native install or a multi-megabyte Wasm build, which the CLI promises not to require.
import {
  type EdgeLabel,
  type GraphLabel,
  graphlib,
  layout,
  type NodeLabel,
  type Point,
} from "@dagrejs/dagre";
import type { Graph, Node } from "@nnc/core";
import { extrasOf, fillOf, nodeLabel, printable } from "./labels.js";

/**
 * Escapes text for XML character data and attribute values. The text is already
 * {@link printable}, so it holds no character XML forbids.
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!);
}

const XML_ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

// Text is drawn in a monospace font, so a line's width is its length times one advance.
const FONT_SIZE = 12;
const CHAR_WIDTH = FONT_SIZE * 0.62;
const LINE_HEIGHT = FONT_SIZE * 1.4;
const PADDING_X = 10;
const PADDING_Y = 6;
const MARGIN = 16;

interface Box {
  readonly lines: readonly string[];
  readonly fill: string;
  readonly kind: "node" | "output";
  readonly rounded: boolean;
}

interface Placed {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Coordinates with one decimal: enough for a picture, and stable text for golden files. */
function num(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** Code points, not UTF-16 units, so an astral character counts as one glyph. */
function textWidth(line: string): number {
  return [...line].length * CHAR_WIDTH;
}

function boxOf(node: Node): Box {
  return {
    lines: nodeLabel(node),
    fill: fillOf(node),
    kind: "node",
    rounded: node.op === "input",
  };
}

/**
 * The graph as a standalone SVG document, laid out top to bottom with dagre and drawn here:
 * a box per node (name on the first line, `op : type` on the second; inputs rounded, parameters
 * yellow, constants grey), an arrow per operand, a plain label per output and a dashed arrow per
 * state update. Needs no Graphviz. Every piece of text from the graph is XML-escaped.
 */
export function renderSvg(graph: Graph): string {
  const { outputs, updates } = extrasOf(graph);
  const boxes = new Map<string, Box>();
  for (const node of graph.nodes) boxes.set(`n${node.id}`, boxOf(node));
  for (const [k, output] of outputs.entries()) {
    boxes.set(`out${k}`, { lines: [output.label], fill: "none", kind: "output", rounded: false });
  }

  const g = new graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 24, ranksep: 36, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  for (const [id, box] of boxes) {
    const width = Math.max(...box.lines.map(textWidth)) + 2 * PADDING_X;
    g.setNode(id, { width, height: box.lines.length * LINE_HEIGHT + 2 * PADDING_Y });
  }
  // Edge names keep repeated operands (add(x, x)) as separate arrows.
  const edges: { from: string; to: string; name: string; dashed: boolean }[] = [];
  for (const node of graph.nodes) {
    for (const [k, input] of node.inputs.entries()) {
      edges.push({ from: `n${input}`, to: `n${node.id}`, name: `in${k}`, dashed: false });
    }
  }
  for (const [k, output] of outputs.entries()) {
    edges.push({ from: `n${output.node}`, to: `out${k}`, name: "out", dashed: false });
  }
  for (const [k, update] of updates.entries()) {
    edges.push({ from: `n${update.from}`, to: `n${update.to}`, name: `update${k}`, dashed: true });
  }
  for (const edge of edges) g.setEdge(edge.from, edge.to, {}, edge.name);
  layout(g);

  const size = g.graph();
  const width = Math.ceil(size.width ?? 0);
  const height = Math.ceil(size.height ?? 0);
  const title = escapeXml(printable(graph.name));
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace" font-size="${FONT_SIZE}">`,
    `<title>${title}</title>`,
    "<defs>",
    '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555555"/></marker>',
    "</defs>",
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    '<g class="edges" fill="none" stroke="#555555" stroke-width="1.2">',
  ];
  for (const edge of edges) {
    const points: readonly Point[] = g.edge(edge.from, edge.to, edge.name)?.points ?? [];
    if (points.length < 2) continue;
    const d = points.map((p, i) => `${i === 0 ? "M" : "L"}${num(p.x)},${num(p.y)}`).join(" ");
    const dash = edge.dashed ? ' stroke-dasharray="5,3"' : "";
    out.push(`<path d="${d}"${dash} marker-end="url(#arrow)"/>`);
  }
  out.push("</g>", '<g class="nodes">');
  for (const [id, box] of boxes) {
    const placed = g.node(id) as Placed; // dagre sets x and y on every node
    const left = placed.x - placed.width / 2;
    const top = placed.y - placed.height / 2;
    out.push(`<g class="${box.kind}">`);
    if (box.kind === "node") {
      const radius = box.rounded ? ` rx="${num(placed.height / 2)}"` : ' rx="3"';
      out.push(
        `<rect x="${num(left)}" y="${num(top)}" width="${num(placed.width)}" height="${num(placed.height)}"${radius} fill="${box.fill}" stroke="#333333"/>`,
      );
    }
    for (const [k, line] of box.lines.entries()) {
      // Baseline of line k: the top padding, k lines down, plus the font's ascent (~0.8 em).
      const baseline =
        top + PADDING_Y + k * LINE_HEIGHT + FONT_SIZE * 0.8 + (LINE_HEIGHT - FONT_SIZE) / 2;
      const weight = k === 0 && box.kind === "node" ? ' font-weight="bold"' : "";
      out.push(
        `<text x="${num(placed.x)}" y="${num(baseline)}" text-anchor="middle"${weight}>${escapeXml(line)}</text>`,
      );
    }
    out.push("</g>");
  }
  out.push("</g>", "</svg>");
  return `${out.join("\n")}\n`;
}

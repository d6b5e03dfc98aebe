import type { Graph, Node } from "@nnc/core";
import { extrasOf, fillOf, nodeLabel, printable } from "./labels.js";

/**
 * A DOT string literal: backslashes and double quotes escaped, so Graphviz's own escapes
 * (`\N`, `\G`, `\l`) cannot be triggered by a name and no name can close the string. The text
 * is already {@link printable}, so it holds no raw newline.
 */
export function dotString(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A DOT label of several centred lines (`\n` is DOT's centred line break). */
function dotLabel(lines: readonly string[]): string {
  return lines.map((line) => dotString(line).slice(1, -1)).join("\\n");
}

function shapeOf(node: Node): string {
  return node.op === "input" ? "ellipse" : node.op === "param" ? "box3d" : "box";
}

/**
 * The graph as Graphviz DOT text: one node per graph node (`n<id>`) labelled with its name, op
 * and type, an edge per operand, a plain box per output and a dashed edge per state update.
 */
export function renderDot(graph: Graph): string {
  const { outputs, updates } = extrasOf(graph);
  const lines = [
    `digraph ${dotString(printable(graph.name) || "graph")} {`,
    "  rankdir=TB;",
    '  node [fontname="monospace", fontsize=10, style=filled];',
    '  edge [color="#555555"];',
  ];
  for (const node of graph.nodes) {
    lines.push(
      `  n${node.id} [label="${dotLabel(nodeLabel(node))}", shape=${shapeOf(node)}, fillcolor="${fillOf(node)}"];`,
    );
  }
  for (const node of graph.nodes) {
    for (const input of node.inputs) lines.push(`  n${input} -> n${node.id};`);
  }
  for (const [k, output] of outputs.entries()) {
    lines.push(`  out${k} [label="${dotLabel([output.label])}", shape=plaintext, style=""];`);
    lines.push(`  n${output.node} -> out${k};`);
  }
  for (const update of updates) {
    // constraint=false: the write-back edge points up the graph and must not affect ranks.
    lines.push(
      `  n${update.from} -> n${update.to} [style=dashed, constraint=false, label="update"];`,
    );
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

import { formatType, type Graph, type Node } from "@nnc/core";

/**
 * A name as it can be shown in a picture: C0/C1 control characters, line and paragraph
 * separators and lone surrogates become visible escapes (`\n`, `\u0007`), so a hostile name
 * stays on one line and never produces a character XML forbids. Format-specific escaping
 * (DOT quotes, XML entities) is applied on top of this by the caller.
 */
export function printable(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const isHigh = code >= 0xd800 && code <= 0xdbff;
    const next = text.charCodeAt(i + 1);
    if (isHigh && next >= 0xdc00 && next <= 0xdfff) {
      out += text[i]! + text[i + 1]!;
      i++;
    } else if (code === 0x0a) out += "\\n";
    else if (code === 0x0d) out += "\\r";
    else if (code === 0x09) out += "\\t";
    else if (
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      code === 0x2028 ||
      code === 0x2029 ||
      (code >= 0xd800 && code <= 0xdfff) ||
      code === 0xfffe ||
      code === 0xffff
    ) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else out += text[i]!;
  }
  return out;
}

/** A node's label lines, unescaped: its name, then `op : type` (`matmul : f32[64,256]`). */
export function nodeLabel(node: Node): readonly [string, string] {
  return [printable(node.name), `${node.op} : ${formatType(node.type)}`];
}

/** What a picture draws besides the nodes: named outputs and state updates. */
export interface Extras {
  /** One box per graph output, fed by the node that computes it. */
  readonly outputs: readonly { readonly label: string; readonly node: number }[];
  /** A dashed edge from each state update's value to its parameter. */
  readonly updates: readonly { readonly from: number; readonly to: number }[];
}

/** The outputs and state updates of a graph, with printable labels. */
export function extrasOf(graph: Graph): Extras {
  return {
    outputs: graph.outputs.map((o) => ({ label: `output ${printable(o.name)}`, node: o.node })),
    updates: graph.updates.flatMap((u) => {
      const param = graph.findNode(u.param);
      return param ? [{ from: u.node, to: param.id }] : [];
    }),
  };
}

/** Fill colours by node kind, shared by the DOT and SVG pictures so they look alike. */
export function fillOf(node: Node): string {
  switch (node.op) {
    case "input":
      return "#dbeafe";
    case "param":
      return "#fef3c7";
    case "constant":
      return "#e5e7eb";
    default:
      return "#ffffff";
  }
}

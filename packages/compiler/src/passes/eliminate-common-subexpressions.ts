import { formatType, type Node, type Value } from "@nnc/core";
import type { Pass } from "./pass.js";
import { rewriteGraph } from "./rewrite-graph.js";

/** Ops whose result does not depend on the order of their two operands, bit for bit. */
const COMMUTATIVE = new Set(["add", "mul", "maximum", "minimum", "eq", "ne"]);

/**
 * Merges nodes that compute the same value: the same op on the same operands with equal
 * canonical attributes (and so the same type). The first is kept and readers of the others are
 * redirected to it. Constants of equal dtype, shape and values merge too (values compared as
 * numbers, with −0 ≠ +0 and NaN = NaN). For add, mul, maximum, minimum, eq and ne, operand order
 * does not matter. Works in one topological sweep, so merges cascade (two equal chains collapse
 * into one) and a second run finds nothing.
 *
 * Never merged: inputs and parameters (each is its own value, fed by name). `dropout` nodes
 * merge only with equal seeds (and rate and operand): the mask is a function of the seed, so
 * equal seeds are the same mask and the merge is exact; different seeds are different masks.
 *
 * Requires: nothing. Preserves: outputs exactly; the kept node's name.
 */
export const eliminateCommonSubexpressions: Pass = {
  name: "eliminate-common-subexpressions",
  description: "Merges nodes that compute the same value (same op, operands and attributes).",
  run(graph, ctx) {
    // The node each node is merged into (itself when kept), by id.
    const representative: number[] = [];
    const byKey = new Map<string, number>();
    for (const node of graph.nodes) {
      representative.push(node.id);
      if (node.op === "input" || node.op === "param") continue;
      const key = valueKey(node, representative);
      const first = byKey.get(key);
      if (first === undefined) {
        byKey.set(key, node.id);
        continue;
      }
      representative[node.id] = first;
      const kept = graph.node(first);
      ctx.note({
        action: "removed",
        node: node.name,
        op: node.op,
        detail: `computes the same ${formatType(node.type)} as %${first} "${kept.name}": merged with it`,
      });
    }
    if (representative.every((r, id) => r === id)) return graph;
    const rebuilt: Value[] = [];
    return rewriteGraph(graph, (node, inputs, g) => {
      const r = representative[node.id]!;
      // Kept nodes are copied here (not by rewriteGraph) so that merged ones can find them.
      rebuilt.push(r === node.id ? g.copyNode(node, inputs) : rebuilt[r]!);
      return rebuilt[node.id];
    });
  },
};

/** What identifies a node's value: op, type, operands (after merging) and attributes. */
function valueKey(node: Node, representative: readonly number[]): string {
  const operands = node.inputs.map((i) => representative[i]!);
  if (COMMUTATIVE.has(node.op)) operands.sort((a, b) => a - b);
  const type = `${node.type.dtype}[${node.type.shape.join(",")}]`;
  return `${node.op} ${type} (${operands.join(",")}) ${canonicalJson(node.attrs)}`;
}

/**
 * JSON with sorted object keys and every number spelled exactly (JSON.stringify turns NaN and
 * ±∞ into null and −0 into 0, which would merge constants that differ).
 */
function canonicalJson(value: unknown): string {
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? String(value);
}

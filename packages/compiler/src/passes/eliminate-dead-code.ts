import type { Graph, Node } from "@nnc/core";
import { pruneGraph } from "../prune-graph.js";
import type { Pass, PassContext } from "./pass.js";

/** Up to this many removals get one note each; beyond it, one note per op keeps reports readable. */
const MAX_NOTES_PER_NODE = 32;

/**
 * Removes the nodes that no output or state update reads, directly or through other nodes:
 * what other rewrites leave behind (the operands of folded nodes, merged duplicates' inputs,
 * values only a removed identity read).
 *
 * Inputs and parameters are kept even when unused: they are the graph's interface, fed by name,
 * and a caller's feeds must stay valid (each unused one is noted as kept).
 *
 * Requires: nothing. Preserves: outputs and state updates exactly, names of kept nodes.
 * Notes: one per removed node, or, past 32 removals, one per op with a count and examples.
 */
export const eliminateDeadCode: Pass = {
  name: "eliminate-dead-code",
  description: "Removes nodes that no output or state update reads.",
  run(graph, ctx) {
    const live = liveNodes(graph);
    for (const node of graph.nodes) {
      if ((node.op === "input" || node.op === "param") && !live.has(node.id)) {
        ctx.note({
          action: "kept",
          node: node.name,
          op: node.op,
          detail: `unused ${node.op}, kept: inputs and parameters are the graph's interface`,
        });
      }
    }
    const dead = graph.nodes.filter((n) => !live.has(n.id) && n.op !== "input" && n.op !== "param");
    if (dead.length === 0) return graph;
    noteRemovals(dead, ctx);
    return pruneGraph(graph);
  },
};

/** Nodes an output or a state update reads, transitively (sources included). */
function liveNodes(graph: Graph): Set<number> {
  const live = new Set<number>();
  const stack = [...graph.outputs.map((o) => o.node), ...graph.updates.map((u) => u.node)];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (live.has(id)) continue;
    live.add(id);
    stack.push(...graph.node(id).inputs);
  }
  return live;
}

function noteRemovals(dead: readonly Node[], ctx: PassContext): void {
  if (dead.length <= MAX_NOTES_PER_NODE) {
    for (const node of dead) {
      ctx.note({
        action: "removed",
        node: node.name,
        op: node.op,
        detail: "no output or state update reads it",
      });
    }
    return;
  }
  const byOp = new Map<string, Node[]>();
  for (const node of dead) {
    const group = byOp.get(node.op);
    if (group) group.push(node);
    else byOp.set(node.op, [node]);
  }
  for (const [op, nodes] of byOp) {
    const examples = nodes.slice(0, 3).map((n) => JSON.stringify(n.name));
    const more = nodes.length > 3 ? ", …" : "";
    ctx.note({
      action: "removed",
      node: nodes[0]!.name,
      op,
      detail: `${nodes.length} unused ${op} node${nodes.length === 1 ? "" : "s"} (${examples.join(", ")}${more}); ${dead.length} removed in all`,
    });
  }
}

import { type Graph, GraphBuilder, type Node, type Value } from "@nnc/core";

/**
 * Rebuilds `graph` node by node. `visit` may return a replacement value for a node (built with
 * `g` from the already-rebuilt `inputs`); returning undefined copies the node unchanged. Outputs
 * and state updates follow their nodes. When `visit` replaces nothing, the input graph itself is
 * returned, so a pass that changes nothing returns its input.
 */
export function rewriteGraph(
  graph: Graph,
  visit: (node: Node, inputs: readonly Value[], g: GraphBuilder) => Value | undefined,
): Graph {
  const g = new GraphBuilder(graph.name);
  const values: Value[] = [];
  let changed = false;
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((i) => values[i]!);
    const replacement = g.atLocation(node.loc, () => visit(node, inputs, g));
    if (replacement) changed = true;
    values.push(replacement ?? g.copyNode(node, inputs));
  }
  if (!changed) return graph;
  for (const output of graph.outputs) g.output(output.name, values[output.node]!);
  for (const update of graph.updates) {
    g.update(values[graph.findNode(update.param)!.id]!, values[update.node]!);
  }
  return g.build();
}

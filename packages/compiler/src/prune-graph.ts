import { Graph, GraphBuilder, type Value } from "@nnc/core";

/**
 * Rebuilds `graph` without the nodes no output or state update reads. Inputs and parameters are
 * always kept: they are the graph's interface, fed by name even when unused.
 */
export function pruneGraph(graph: Graph): Graph {
  const live = new Set<number>();
  const stack = [...graph.outputs.map((o) => o.node), ...graph.updates.map((u) => u.node)];
  for (const node of graph.nodes)
    if (node.op === "input" || node.op === "param") stack.push(node.id);
  while (stack.length) {
    const id = stack.pop()!;
    if (live.has(id)) continue;
    live.add(id);
    stack.push(...graph.node(id).inputs);
  }
  if (live.size === graph.nodes.length) return graph;
  const g = new GraphBuilder(graph.name);
  const values = new Map<number, Value>();
  for (const node of graph.nodes) {
    if (!live.has(node.id)) continue;
    values.set(
      node.id,
      g.copyNode(
        node,
        node.inputs.map((i) => values.get(i)!),
      ),
    );
  }
  for (const output of graph.outputs) g.output(output.name, values.get(output.node)!);
  for (const update of graph.updates) {
    g.update(values.get(graph.findNode(update.param)!.id)!, values.get(update.node)!);
  }
  return g.build();
}

/** Re-exported so callers can check a result is a graph. */
export { Graph };

import type { Graph } from "./graph.js";
import { GraphBuilder } from "./graph-builder.js";
import { opDef } from "./registry.js";
import type { Value } from "./value.js";

/**
 * Rebuilds a graph with every composite op replaced by its decomposition, repeatedly, until only
 * primitives remain. Inputs, parameters and outputs keep their names; derived node names are
 * those of the decompositions. (The compiler's decompose pass builds on this.)
 */
export function expandComposites(graph: Graph): Graph {
  let current = graph;
  for (;;) {
    const hasComposite = current.nodes.some(
      (n) =>
        n.op !== "input" &&
        n.op !== "param" &&
        n.op !== "constant" &&
        opDef(n.op).kind === "composite",
    );
    if (!hasComposite) return current;
    current = expandOnce(current);
  }
}

function expandOnce(graph: Graph): Graph {
  const g = new GraphBuilder(graph.name);
  const values: Value[] = [];
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((i) => values[i]!);
    const def =
      node.op === "input" || node.op === "param" || node.op === "constant"
        ? undefined
        : opDef(node.op);
    values.push(
      def?.kind === "composite" && def.decompose
        ? g.atLocation(node.loc, () =>
            g.scope(node.name, () => def.decompose!(g, inputs, node.attrs)),
          )
        : g.copyNode(node, inputs),
    );
  }
  for (const output of graph.outputs) g.output(output.name, values[output.node]!);
  for (const update of graph.updates) {
    const param = graph.findNode(update.param)!;
    g.update(values[param.id]!, values[update.node]!);
  }
  return g.build();
}

import type { Graph } from "./graph.js";
import { GraphBuilder } from "./graph-builder.js";
import type { InitSpec } from "./init.js";
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
    switch (node.op) {
      case "input":
        values.push(g.input(node.name, node.type.shape, node.type.dtype));
        break;
      case "param":
        values.push(
          g.param(node.name, node.type.shape, {
            init: node.attrs.init as InitSpec,
            trainable: node.attrs.trainable !== false,
            dtype: node.type.dtype,
          }),
        );
        break;
      case "constant":
        values.push(g.constant(node.attrs.value as number[], node.type.shape, node.type.dtype));
        break;
      default: {
        const def = opDef(node.op);
        values.push(
          def.kind === "composite" && def.decompose
            ? g.scope(node.name, () => def.decompose!(g, inputs, node.attrs))
            : g.apply(node.op, inputs, node.attrs),
        );
      }
    }
  }
  for (const output of graph.outputs) g.output(output.name, values[output.node]!);
  for (const update of graph.updates) {
    const param = graph.findNode(update.param)!;
    g.update(values[param.id]!, values[update.node]!);
  }
  return g.build();
}

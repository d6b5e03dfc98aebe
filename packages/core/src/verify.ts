import { describeNode } from "./describe-node.js";
import { NncError } from "./errors.js";
import type { Graph, Node } from "./graph.js";
import { checkArity } from "./graph-builder-base.js";
import { isOpName, opDef } from "./registry.js";
import { makeRuleContext } from "./rule-context.js";
import { formatType, shapesEqual } from "./shape.js";
import { validateSourceNode } from "./source-ops.js";

/**
 * Checks every invariant of a graph and throws the first violation as an NncError: ids equal
 * positions, operands come earlier (SSA, topological order), every op is known, attributes are
 * canonical, each node's stored type equals what its op's rules infer, names are unique, and
 * outputs and state updates point at existing nodes of the right type. Passes call it after
 * every rewrite in tests; graphs read from JSON are verified before use.
 */
export function verify(graph: Graph): void {
  const names = new Set<string>();
  for (const [index, node] of graph.nodes.entries()) {
    if (node.id !== index) malformed(`node at position ${index} has id %${node.id}`);
    if (names.has(node.name)) malformed(`two nodes are named ${JSON.stringify(node.name)}`, node);
    names.add(node.name);
    for (const input of node.inputs) {
      if (!Number.isInteger(input) || input < 0 || input >= index) {
        malformed(`node %${index} reads %${input}, which is not an earlier node`, node);
      }
    }
    const ctx = makeRuleContext({
      op: node.op,
      inputs: node.inputs.map((i) => graph.node(i).type),
      roles: isOpName(node.op) ? opDef(node.op).operands : [],
      describeOperand: (i) => describeNode(graph.node(node.inputs[i]!)),
      node: node.name,
      ...(node.loc && { location: node.loc }),
    });
    if (node.op === "input" || node.op === "param" || node.op === "constant") {
      validateSourceNode(node, ctx);
      continue;
    }
    if (!isOpName(node.op)) {
      throw new NncError("NNC1001", `unknown op ${JSON.stringify(node.op)}`, {
        node: node.name,
        ...(node.loc && { location: node.loc }),
      });
    }
    const def = opDef(node.op);
    checkArity(def, node.inputs.length, ctx.fail.bind(ctx));
    const attrs = def.validateAttrs(node.attrs, ctx);
    const shape = def.inferShape(ctx.inputs, attrs, ctx);
    const dtype = def.inferDtype(ctx.inputs, attrs, ctx);
    if (dtype !== node.type.dtype || !shapesEqual(shape, node.type.shape)) {
      malformed(
        `node %${index} is typed ${formatType(node.type)} but ${node.op} gives ${formatType({ dtype, shape })}`,
        node,
      );
    }
  }
  const outputNames = new Set<string>();
  for (const output of graph.outputs) {
    if (outputNames.has(output.name))
      malformed(`output ${JSON.stringify(output.name)} appears twice`);
    outputNames.add(output.name);
    if (!graph.nodes[output.node])
      malformed(`output ${JSON.stringify(output.name)} points at missing node %${output.node}`);
  }
  for (const update of graph.updates) {
    const target = graph.findNode(update.param);
    const value = graph.nodes[update.node];
    if (target?.op !== "param")
      malformed(`update targets ${JSON.stringify(update.param)}, which is not a parameter`);
    if (!value)
      malformed(`update of ${JSON.stringify(update.param)} points at missing node %${update.node}`);
    if (
      value.type.dtype !== target.type.dtype ||
      !shapesEqual(value.type.shape, target.type.shape)
    ) {
      malformed(
        `update of ${JSON.stringify(update.param)} changes its type to ${formatType(value.type)}`,
      );
    }
  }
}

function malformed(message: string, node?: Node): never {
  throw new NncError("NNC3001", message, {
    ...(node && { op: node.op, node: node.name }),
    ...(node?.loc && { location: node.loc }),
  });
}

import type { Node } from "./graph.js";

/** One-line description of a node for error messages: `%3 = relu(%2)`, `param "fc2.weight"`. */
export function describeNode(node: Node): string {
  switch (node.op) {
    case "input":
    case "param":
      return `${node.op} ${JSON.stringify(node.name)}`;
    case "constant": {
      const value = node.attrs.value;
      return Array.isArray(value) && value.length === 1 ? `constant ${value[0]}` : "constant";
    }
    default:
      return `%${node.id} = ${node.op}(${node.inputs.map((i) => `%${i}`).join(", ")})`;
  }
}

import type { Graph, Node } from "./graph.js";
import type { InitSpec } from "./init.js";
import { formatType } from "./shape.js";
import { formatLocation } from "./source-location.js";

/** Options of {@link printGraph}. */
export interface PrintOptions {
  /** Append each node's source location (default false, so printed graphs are stable in tests). */
  readonly locations?: boolean;
  /** Print at most this many constant values inline (default 8). */
  readonly maxConstantValues?: number;
}

/**
 * Renders a graph as readable text, one node per line, for dumps, tests and error reports:
 *
 * ```
 * graph mlp {
 *   %0 = input "x" : f32[64,784]
 *   %1 = param "fc1.weight" glorot_uniform(seed=1) : f32[784,256]
 *   %2 = matmul(%0, %1) : f32[64,256]  # fc1/matmul
 *   output "logits" = %2
 * }
 * ```
 * Names are printed as JSON strings, so no name can break the layout.
 */
export function printGraph(graph: Graph, options: PrintOptions = {}): string {
  const lines = [`graph ${JSON.stringify(graph.name)} {`];
  for (const node of graph.nodes) lines.push(`  ${printNode(node, options)}`);
  for (const output of graph.outputs)
    lines.push(`  output ${JSON.stringify(output.name)} = %${output.node}`);
  for (const update of graph.updates)
    lines.push(`  update ${JSON.stringify(update.param)} = %${update.node}`);
  lines.push("}");
  return lines.join("\n");
}

/** One node as printed by {@link printGraph}, without indentation. */
export function printNode(node: Node, options: PrintOptions = {}): string {
  const type = formatType(node.type);
  const where = options.locations && node.loc ? `  @ ${formatLocation(node.loc)}` : "";
  switch (node.op) {
    case "input":
      return `%${node.id} = input ${JSON.stringify(node.name)} : ${type}${where}`;
    case "param": {
      const frozen = node.attrs.trainable === false ? " frozen" : "";
      return `%${node.id} = param ${JSON.stringify(node.name)} ${printInit(node.attrs.init as InitSpec)}${frozen} : ${type}${where}`;
    }
    case "constant": {
      const values = node.attrs.value as number[];
      const max = options.maxConstantValues ?? 8;
      const shown = values.slice(0, max).map(printNumber).join(", ");
      const more = values.length > max ? `, … ${values.length - max} more` : "";
      return `%${node.id} = constant [${shown}${more}] : ${type}${nameComment(node)}${where}`;
    }
    default: {
      const args = node.inputs.map((i) => `%${i}`).join(", ");
      const attrs = Object.entries(node.attrs);
      const attrText = attrs.length
        ? ` {${attrs.map(([k, v]) => `${k}=${printAttr(v)}`).join(", ")}}`
        : "";
      return `%${node.id} = ${node.op}(${args})${attrText} : ${type}${nameComment(node)}${where}`;
    }
  }
}

function nameComment(node: Node): string {
  return node.name === node.op || node.name === "constant"
    ? ""
    : `  # ${JSON.stringify(node.name).slice(1, -1)}`;
}

function printInit(init: InitSpec): string {
  if (init.kind === "values") return `values(${init.values.length})`;
  const args = Object.entries(init)
    .filter(([k]) => k !== "kind")
    .map(([k, v]) => `${k}=${printAttr(v)}`)
    .join(", ");
  return `${init.kind}(${args})`;
}

function printAttr(value: unknown): string {
  if (typeof value === "number") return printNumber(value);
  if (Array.isArray(value)) return `[${value.map(printAttr).join(",")}]`;
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

function printNumber(value: number): string {
  return Number.isNaN(value)
    ? "nan"
    : value === Infinity
      ? "inf"
      : value === -Infinity
        ? "-inf"
        : String(value);
}

import type { DType } from "./dtype.js";
import { NncError } from "./errors.js";
import type { Graph, Node } from "./graph.js";
import { type InitSpec, initialize } from "./init.js";
import type { RefTensor } from "./op-def.js";
import { opDef } from "./registry.js";
import { formatShape, shapesEqual, sizeOf } from "./shape.js";

/** Values fed to a graph: inputs (required) and parameters (optional overrides), row-major, by name. */
export type Feeds = Readonly<Record<string, ArrayLike<number>>>;

/** A result of the reference evaluator: float64 for float32 values, Int32Array, or Uint8Array for bool. */
export type ReferenceArray = Float64Array | Int32Array | Uint8Array;

/** Everything one reference evaluation computed. */
export interface Evaluation {
  /** Each named output. */
  readonly outputs: Record<string, ReferenceArray>;
  /** New values of parameters with state updates (BatchNorm running statistics), by name. */
  readonly updates: Record<string, ReferenceArray>;
  /** Every node's value, by node id (float64 whatever the dtype). */
  readonly values: readonly RefTensor[];
}

/**
 * Runs a graph with the float64 reference semantics of every op — the oracle all backends are
 * checked against. Parameters take their initialisers' values unless `feeds` gives them.
 *
 * ```ts
 * const { loss } = evaluate(graph, { x, y });
 * ```
 */
export function evaluate(graph: Graph, feeds: Feeds = {}): Record<string, ReferenceArray> {
  return evaluateAll(graph, feeds).outputs;
}

/** Like {@link evaluate}, also returning state updates and every intermediate value. */
export function evaluateAll(graph: Graph, feeds: Feeds = {}): Evaluation {
  checkFeedNames(graph, feeds);
  const values: RefTensor[] = [];
  for (const node of graph.nodes) values.push(evaluateNode(graph, node, values, feeds));
  const outputs: Record<string, ReferenceArray> = {};
  for (const output of graph.outputs) {
    outputs[output.name] = toReferenceArray(
      values[output.node]!.data,
      graph.node(output.node).type.dtype,
    );
  }
  const updates: Record<string, ReferenceArray> = {};
  for (const update of graph.updates) {
    updates[update.param] = toReferenceArray(
      values[update.node]!.data,
      graph.node(update.node).type.dtype,
    );
  }
  return { outputs, updates, values };
}

/** The initial value of every parameter of a graph, by name (float64). */
export function initialParams(graph: Graph): Record<string, Float64Array> {
  const params: Record<string, Float64Array> = {};
  for (const node of graph.params) {
    params[node.name] = initialize(node.attrs.init as InitSpec, node.type.shape, node.name);
  }
  return params;
}

function evaluateNode(
  graph: Graph,
  node: Node,
  values: readonly RefTensor[],
  feeds: Feeds,
): RefTensor {
  const shape = node.type.shape;
  switch (node.op) {
    case "input": {
      const fed = feeds[node.name];
      if (!fed) {
        throw new NncError(
          "NNC4001",
          `input "${node.name}" (${formatShape(shape)}) was not given`,
          {
            node: node.name,
          },
        );
      }
      return { shape, data: readFeed(node, fed) };
    }
    case "param": {
      const fed = feeds[node.name];
      return {
        shape,
        data: fed ? readFeed(node, fed) : initialize(node.attrs.init as InitSpec, shape, node.name),
      };
    }
    case "constant":
      return { shape, data: Float64Array.from(node.attrs.value as number[]) };
    default: {
      const def = opDef(node.op);
      const result = def.evaluate(
        node.inputs.map((i) => values[i]!),
        node.attrs,
        node.inputs.map((i) => graph.node(i).type),
      );
      // The reference kernels derive their output shape themselves: a disagreement with the
      // shape rule is a bug in the op record, caught here rather than as silent garbage.
      if (!shapesEqual(result.shape, shape) || result.data.length !== sizeOf(shape)) {
        throw new Error(
          `nnc bug: ${node.op} evaluated to ${formatShape(result.shape)} (${result.data.length} values) but its shape rule says ${formatShape(shape)}`,
        );
      }
      return result;
    }
  }
}

function readFeed(node: Node, fed: ArrayLike<number>): Float64Array {
  const n = sizeOf(node.type.shape);
  if (fed.length !== n) {
    throw new NncError(
      "NNC4002",
      `${node.op} "${node.name}" has shape ${formatShape(node.type.shape)} (${n} values) but ${fed.length} were given`,
      { node: node.name },
    );
  }
  const data = Float64Array.from(fed);
  if (node.type.dtype === "int32") for (let i = 0; i < n; i++) data[i] = Math.trunc(data[i]!);
  if (node.type.dtype === "bool") for (let i = 0; i < n; i++) data[i] = data[i] ? 1 : 0;
  return data;
}

function checkFeedNames(graph: Graph, feeds: Feeds): void {
  for (const name of Object.keys(feeds)) {
    const node = graph.findNode(name);
    if (!node || (node.op !== "input" && node.op !== "param")) {
      const known = graph.inputs.map((n) => JSON.stringify(n.name)).join(", ");
      throw new NncError(
        "NNC4003",
        `"${name}" is neither an input nor a parameter of graph "${graph.name}" (inputs: ${known || "none"})`,
      );
    }
  }
}

/** Converts float64 reference data to the array type users get for a dtype. */
export function toReferenceArray(data: Float64Array, dtype: DType): ReferenceArray {
  if (dtype === "int32") return Int32Array.from(data);
  if (dtype === "bool") return Uint8Array.from(data, (v) => (v ? 1 : 0));
  return Float64Array.from(data);
}

import type { OpName } from "./op-attrs.js";
import type { TensorType } from "./shape.js";
import type { SourceLocation } from "./source-location.js";

/** Ops that bring values into a graph rather than compute them. */
export type SourceOp = "input" | "param" | "constant";

/** Any op a node can carry. */
export type NodeOp = OpName | SourceOp;

/**
 * One SSA node: it computes exactly one value from the outputs of earlier nodes. Nodes are
 * stored in topological order and a node's id is its index.
 */
export interface Node {
  readonly id: number;
  readonly op: NodeOp;
  /** Ids of the operand nodes, all smaller than `id`. */
  readonly inputs: readonly number[];
  /** Canonical attributes (see {@link OpAttrMap}); JSON values only. */
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly type: TensorType;
  /** Unique within the graph: user-given (`"fc1.weight"`, `"x"`) or derived (`"fc2/matmul"`). */
  readonly name: string;
  /** The user's line that built the node, when known. */
  readonly loc?: SourceLocation;
}

/** A named graph result. */
export interface GraphOutput {
  readonly name: string;
  readonly node: number;
}

/**
 * A new value for a non-trainable parameter, written back after a training step (BatchNorm's
 * running statistics).
 */
export interface StateUpdate {
  readonly param: string;
  readonly node: number;
}

/**
 * An immutable computation graph: nodes in topological order, named outputs and state updates.
 * Build one with {@link GraphBuilder}; passes return new graphs.
 */
export class Graph {
  readonly name: string;
  readonly nodes: readonly Node[];
  readonly outputs: readonly GraphOutput[];
  readonly updates: readonly StateUpdate[];
  #byName: Map<string, Node> | undefined;
  #consumers: number[][] | undefined;

  constructor(
    name: string,
    nodes: readonly Node[],
    outputs: readonly GraphOutput[],
    updates: readonly StateUpdate[] = [],
  ) {
    this.name = name;
    this.nodes = Object.freeze(nodes.map((n) => Object.freeze({ ...n })));
    this.outputs = Object.freeze(outputs.map((o) => Object.freeze({ ...o })));
    this.updates = Object.freeze(updates.map((u) => Object.freeze({ ...u })));
  }

  /** The node with this id; throws a RangeError for an id outside the graph (a bug, not user input). */
  node(id: number): Node {
    const node = this.nodes[id];
    if (!node) throw new RangeError(`graph ${this.name} has no node %${id}`);
    return node;
  }

  /** The node with this name, if any. */
  findNode(name: string): Node | undefined {
    this.#byName ??= new Map(this.nodes.map((n) => [n.name, n]));
    return this.#byName.get(name);
  }

  /** The input nodes, in graph order. */
  get inputs(): Node[] {
    return this.nodes.filter((n) => n.op === "input");
  }

  /** The parameter nodes, in graph order. */
  get params(): Node[] {
    return this.nodes.filter((n) => n.op === "param");
  }

  /** For each node id, the ids of the nodes that read it (in order, with repeats). */
  get consumers(): readonly (readonly number[])[] {
    if (!this.#consumers) {
      const consumers: number[][] = this.nodes.map(() => []);
      for (const n of this.nodes) for (const i of n.inputs) consumers[i]?.push(n.id);
      this.#consumers = consumers;
    }
    return this.#consumers;
  }
}

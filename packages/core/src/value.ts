import type { DType } from "./dtype.js";
import type { Shape, TensorType } from "./shape.js";

/**
 * A handle to a node's output while a graph is being built. It only identifies the node; the
 * builder that made it owns the node.
 */
export class Value {
  /** @internal */
  constructor(
    /** The node's id (its index in the graph). */
    readonly id: number,
    /** The output's static type. */
    readonly type: TensorType,
    /** @internal The builder that owns the node, to catch values mixed across graphs. */
    readonly owner: object,
  ) {}

  get shape(): Shape {
    return this.type.shape;
  }

  get dtype(): DType {
    return this.type.dtype;
  }

  get rank(): number {
    return this.type.shape.length;
  }
}

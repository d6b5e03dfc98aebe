import {
  formatShape,
  type Graph,
  type GraphBuilder,
  opDef,
  shapesEqual,
  type Value,
} from "@nnc/core";

/** A linear computation to transpose, and where its non-linear values come from. */
export interface LinearProgram {
  /** A graph holding both the linear nodes and the non-linear (residual) nodes they read. */
  readonly graph: Graph;
  /** Ids of the linear nodes: those depending on a linear input. */
  readonly linear: ReadonlySet<number>;
}

/**
 * Transposes the linear nodes of `program` into builder `h`: walks them from last to first,
 * applies each op's transpose rule to the cotangent of its output, and accumulates the cotangents
 * of its linear operands (`add`). Non-linear values the rules read are copied into `h` on demand
 * through `residual`. Returns the accumulated cotangent of every linear node that received one
 * (in particular the linear inputs).
 */
export function transposeLinear(
  h: GraphBuilder,
  program: LinearProgram,
  seeds: ReadonlyMap<number, Value>,
  residual: (id: number) => Value,
): Map<number, Value> {
  const { graph, linear } = program;
  const cotangents = new Map<number, Value>(seeds);
  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    if (!linear.has(id)) continue;
    const node = graph.node(id);
    const ct = cotangents.get(id);
    if (!ct || node.op === "input" || node.op === "param" || node.op === "constant") continue;
    const def = opDef(node.op);
    if (!def.transpose) {
      throw new Error(
        `nnc bug: ${node.op} appears in a linear computation but has no transpose rule`,
      );
    }
    const isLinear = node.inputs.map((i) => linear.has(i));
    const results = h.atLocation(node.loc, () =>
      h.scope(`grad(${node.name})`, () =>
        def.transpose!({
          g: h,
          ct,
          attrs: node.attrs,
          types: node.inputs.map((i) => graph.node(i).type),
          residuals: node.inputs.map((i, k) => (isLinear[k] ? undefined : residual(i))),
          linear: isLinear,
          outType: node.type,
        }),
      ),
    );
    node.inputs.forEach((input, k) => {
      const contribution = results[k];
      if (!isLinear[k] || !contribution) return;
      const type = graph.node(input).type;
      if (!shapesEqual(contribution.shape, type.shape)) {
        throw new Error(
          `nnc bug: transpose of ${node.op} gave operand ${k} a cotangent of shape ${formatShape(contribution.shape)}, expected ${formatShape(type.shape)}`,
        );
      }
      const previous = cotangents.get(input);
      cotangents.set(
        input,
        previous ? h.atLocation(node.loc, () => h.add(previous, contribution)) : contribution,
      );
    });
  }
  return cotangents;
}

/**
 * Copies non-linear nodes of `graph` into `h` on first use (with their own non-linear inputs),
 * so the transposed graph holds only the residuals it actually reads.
 */
export function residualCopier(
  h: GraphBuilder,
  graph: Graph,
  preset?: Map<number, Value>,
): (id: number) => Value {
  const copies = preset ?? new Map<number, Value>();
  const copy = (id: number): Value => {
    const done = copies.get(id);
    if (done) return done;
    const node = graph.node(id);
    const value = h.copyNode(node, node.inputs.map(copy));
    copies.set(id, value);
    return value;
  };
  return copy;
}

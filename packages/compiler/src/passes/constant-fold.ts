import { formatType, isOpName, type Node, opDef, type RefTensor, sizeOf } from "@nnc/core";
import type { Pass, PassContext } from "./pass.js";
import { rewriteGraph } from "./rewrite-graph.js";

/** A folded result never holds more elements than this: bounds compile time and emitted constants. */
const MAX_FOLDED_ELEMENTS = 65_536;

/**
 * A fold may produce more elements than its largest operand only up to this size (1 KiB of
 * float32): small vectors are worth folding, a scalar broadcast to a batch is not.
 */
const GROWTH_ALLOWANCE_ELEMENTS = 256;

/**
 * Evaluates every node whose operands are all constants and replaces it by a constant, so chains
 * of constant arithmetic (the seeds and scale factors autodiff emits) cost nothing at run time.
 *
 * Folding uses each op's float64 reference evaluation. float32 results are rounded to float32
 * (`Math.fround`), so a folded value is what a float32 kernel would give up to one rounding;
 * int32 and bool results are exact.
 *
 * Requires: nothing. Preserves: outputs to float32 precision (1e-5 relative on the reference
 * evaluator); inputs, parameters (their values change between runs), names of the graph's
 * interface. Leaves alone:
 * - a node whose result would have more than 65,536 elements, or more elements than its largest
 *   operand and more than 256 (a scalar broadcast to a large shape stays a cheap broadcast
 *   rather than becoming a large constant);
 * - `dropout`: its mask is the training step's randomness, and a constant would freeze it should
 *   a backend reseed it per step.
 * Folded constants get fresh `constant…` names (GraphBuilder.constant takes no name); each note
 * names the folded node. The operands of a folded node stay in the graph until
 * eliminate-dead-code removes them.
 */
export const constantFold: Pass = {
  name: "constant-fold",
  description: "Evaluates nodes whose operands are all constants and replaces them by constants.",
  run(graph, ctx) {
    // Values of the constants, and of the nodes folded so far, by node id of `graph`.
    const known = new Map<number, RefTensor>();
    return rewriteGraph(graph, (node, _inputs, g) => {
      if (node.op === "constant") {
        known.set(node.id, {
          shape: node.type.shape,
          data: Float64Array.from(node.attrs.value as number[]),
        });
        return undefined;
      }
      const operands = node.inputs.map((i) => known.get(i));
      if (!operands.every((t): t is RefTensor => t !== undefined)) return undefined;
      if (!isOpName(node.op) || !mayFold(node, operands, ctx)) return undefined;
      const result = opDef(node.op).evaluate(
        operands,
        node.attrs,
        node.inputs.map((i) => graph.node(i).type),
      );
      // float64 reference values → what a float32 tensor can hold.
      const data =
        node.type.dtype === "float32" ? result.data.map((v) => Math.fround(v)) : result.data;
      known.set(node.id, { shape: node.type.shape, data });
      ctx.note({
        action: "rewritten",
        node: node.name,
        op: node.op,
        detail: `all operands are constants: folded to a constant ${formatType(node.type)}`,
      });
      return g.constant(data, node.type.shape, node.type.dtype);
    });
  },
};

function mayFold(node: Node, operands: readonly RefTensor[], ctx: PassContext): boolean {
  if (node.op === "dropout") {
    ctx.note({
      action: "kept",
      node: node.name,
      op: node.op,
      detail: "dropout of a constant is not folded: its mask is the step's randomness",
    });
    return false;
  }
  const size = sizeOf(node.type.shape);
  const largest = Math.max(0, ...operands.map((t) => t.data.length));
  if (size > MAX_FOLDED_ELEMENTS || (size > largest && size > GROWTH_ALLOWANCE_ELEMENTS)) {
    ctx.note({
      action: "kept",
      node: node.name,
      op: node.op,
      detail: `operands are constants, but folding would materialise ${size} elements (largest operand: ${largest}; limits: ${MAX_FOLDED_ELEMENTS}, or growth up to ${GROWTH_ALLOWANCE_ELEMENTS})`,
    });
    return false;
  }
  return true;
}

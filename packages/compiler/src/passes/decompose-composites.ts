import { expandComposites, isOpName, opDef } from "@nnc/core";
import type { Pass } from "./pass.js";

/**
 * Replaces every composite op (softmax, batch_norm, losses, dense, gelu, …) by its
 * decomposition into primitives, repeatedly, until only primitives remain.
 * Requires: nothing; runs after the passes that need composites whole (fold-batch-norm,
 * drop-bias-before-batch-norm). Preserves: outputs exactly (decompositions are tested equal to
 * the composites' reference evaluation), input/parameter/output names.
 */
export const decomposeComposites: Pass = {
  name: "decompose-composites",
  description: "Expands composite ops into primitives.",
  run(graph, ctx) {
    const composites = graph.nodes.filter(
      (n) => isOpName(n.op) && opDef(n.op).kind === "composite",
    );
    if (composites.length === 0) return graph;
    for (const node of composites) {
      ctx.note({
        action: "rewritten",
        node: node.name,
        op: node.op,
        detail: `${node.op} expanded into primitives`,
      });
    }
    return expandComposites(graph);
  },
};

import { type TrainingGraphOptions, trainingGraph } from "../optimizers/training-graph.js";
import type { Pass } from "./pass.js";

/**
 * Makes the graph one training step: reverse-mode gradient of the loss (linearize + transpose)
 * and the optimizer's update of every trained parameter as state updates.
 * Requires: training mode; composites already decomposed (grad expands any that remain).
 * Preserves: the model's outputs; adds optimizer state parameters `opt/...`.
 */
export function differentiate(options: TrainingGraphOptions): Pass {
  return {
    name: "differentiate",
    description: "Adds the gradient of the loss and the optimizer update (training only).",
    run(graph, ctx) {
      if (ctx.mode !== "train") return graph;
      const result = trainingGraph(graph, options);
      const trained = result.updates.filter(
        (u) => !u.param.startsWith("opt/") && graph.findNode(u.param)?.attrs.trainable !== false,
      );
      ctx.note({
        action: "added",
        node: options.loss,
        detail: `gradient of "${options.loss}" for ${trained.length} parameters and a ${options.optimizer.name} update`,
      });
      return result;
    },
  };
}

import { evaluateAll, type Feeds, type Graph, initialParams, type ReferenceArray } from "@nnc/core";

/**
 * Runs a training graph (see {@link trainingGraph}) step by step with the float64 reference
 * evaluator: parameters and optimizer state live here and every state update is written back
 * after a step. The oracle that backends' `step()` is checked against, and a way to train small
 * models in tests.
 */
export class ReferenceTrainer {
  readonly graph: Graph;
  /** Current value of every parameter and state slot, by name. */
  readonly params: Record<string, Float64Array>;

  constructor(graph: Graph, params?: Readonly<Record<string, ArrayLike<number>>>) {
    this.graph = graph;
    this.params = initialParams(graph);
    for (const [name, values] of Object.entries(params ?? {}))
      this.params[name] = Float64Array.from(values);
  }

  /** Runs one step on `batch` (the graph's inputs), applies the updates, returns the outputs. */
  step(batch: Feeds): Record<string, ReferenceArray> {
    const { outputs, updates } = evaluateAll(this.graph, { ...this.params, ...batch });
    for (const [name, value] of Object.entries(updates))
      this.params[name] = Float64Array.from(value);
    return outputs;
  }
}

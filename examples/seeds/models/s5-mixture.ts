/**
 * `nnc compile` model file for SEEDS.md S5: a mixture of K = 2 logistic regressions over d = 2
 * features as a network (K sigmoid hidden units, output weights π = softmax of free logits),
 * with the negative log-likelihood as output `loss`.
 */
import type { Graph } from "@nnc/core";
import { buildLogisticMixture } from "../s5-mixture.js";

/** The model file's entry point (`nnc compile` passes `{ batch }` with --batch). */
export default ({ batch = 1 }: { batch?: number } = {}): Graph =>
  buildLogisticMixture({ features: 2, components: 2, batch });

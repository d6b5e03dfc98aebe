/**
 * `nnc compile` model file for SEEDS.md S9: the numeric backpropagation walk-through (no biases,
 * W1 [2, 1], W2 [2, 2], W3 [1, 2] set to the document's values). The loss output is `J`, so
 * compile it for training with `--loss J`.
 */
import type { Graph } from "@nnc/core";
import { buildS9Network } from "../s9-network.js";

/** The model file's entry point. */
export default (): Graph => buildS9Network();

/**
 * `nnc compile` model file for SEEDS.md S2: the three-layer network h = W1x + b1,
 * a = σ(W2h + b2), o = W3a + b3 with a squared-error loss (output `loss`), at the sizes
 * n, m, r, s = 6, 5, 4, 3 of the memory check: compiled with `--mode train`, the backward pass
 * keeps exactly h (m), a (r) and one s-sized value.
 */
import type { Graph } from "@nnc/core";
import { buildThreeLayerNetwork } from "../s2-three-layer.js";

/** The model file's entry point (`nnc compile` passes `{ batch }` with --batch). */
export default ({ batch = 1 }: { batch?: number } = {}): Graph =>
  buildThreeLayerNetwork({ n: 6, m: 5, r: 4, s: 3, batch });

/**
 * SEEDS.md S2 (seed document 002, question 1): the three-layer network
 *   h = W1 x + b1,  a = σ(W2 h + b2),  o = W3 a + b3,
 * with x ∈ Rⁿ, h ∈ Rᵐ, a ∈ Rʳ, o ∈ Rˢ and a squared-error loss against a target y ∈ Rˢ.
 *
 * nnc keeps a batch of row vectors, so each layer computes x·W + b with W of shape [in, out]:
 * the parameter `fc1.weight` is the document's W1 transposed (n × m instead of m × n), and so on.
 * The gradients are the same numbers, laid out transposed.
 */
import { type Graph, GraphBuilder } from "@nnc/core";

/** Sizes of the S2 network: input n, hidden m, activation r, output s, and the batch. */
export interface ThreeLayerSizes {
  readonly n: number;
  readonly m: number;
  readonly r: number;
  readonly s: number;
  readonly batch?: number;
}

/**
 * Builds the S2 network with inputs `x` [batch, n] and `y` [batch, s], parameters
 * `fc1.weight`, `fc1.bias`, `fc2.weight`, `fc2.bias`, `fc3.weight`, `fc3.bias` (Glorot-uniform
 * weights, zero biases, seeded by name), and outputs `o` and `loss` = Σ over the batch of
 * the mean over s of (o − y)².
 */
export function buildThreeLayerNetwork({ n, m, r, s, batch = 1 }: ThreeLayerSizes): Graph {
  // #region network
  const g = new GraphBuilder("s2-three-layer");
  const x = g.input("x", [batch, n]);
  const y = g.input("y", [batch, s]);
  const h = g.layers.dense(x, m, { name: "fc1" });
  const a = g.layers.dense(h, r, { name: "fc2", activation: "sigmoid" });
  const o = g.layers.dense(a, s, { name: "fc3" });
  g.output("o", o);
  g.output("loss", g.mse(o, y, { reduction: "sum" }));
  return g.build();
  // #endregion network
}

export default buildThreeLayerNetwork;

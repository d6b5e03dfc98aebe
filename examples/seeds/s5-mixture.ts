/**
 * SEEDS.md S5 (seed document 002, question 3): a mixture of K logistic regressions as a network.
 * With z ~ Categorical(π) and y | z = k, x ~ Bernoulli(σ(wₖᵀx)), the marginal is
 *   p(y = 1 | x) = Σₖ πₖ σ(wₖᵀx):
 * an input layer of d features, a hidden layer of K sigmoid units (unit k computes σ(wₖᵀx), no
 * bias), and one linear output unit whose incoming weights are the mixing proportions π.
 */
import { type Graph, GraphBuilder } from "@nnc/core";

/** Sizes of the mixture network. */
export interface LogisticMixtureSizes {
  /** d, the number of input features. */
  readonly features: number;
  /** K, the number of logistic regressions (hidden units). */
  readonly components: number;
  readonly batch?: number;
}

/**
 * Builds the mixture network with inputs `x` [batch, d] and `y` [batch, 1] (labels in {0, 1}),
 * parameters `experts.weight` [d, K] (column k is wₖ; Glorot-uniform, seeded by name) and
 * `mixture.logits` [K] (zeros), and outputs `pi` [K], `p` [batch, 1] = p(y = 1 | x) and `loss`,
 * the mean negative log-likelihood −y log p − (1 − y) log(1 − p).
 *
 * π is the softmax of free logits, so gradient descent can move it anywhere while it stays a
 * probability vector (πₖ > 0, Σπₖ = 1) and p stays inside (0, 1), where the log-likelihood is
 * finite.
 */
export function buildLogisticMixture({
  features,
  components,
  batch = 1,
}: LogisticMixtureSizes): Graph {
  // #region network
  const g = new GraphBuilder("s5-logistic-mixture");
  const x = g.input("x", [batch, features]);
  const y = g.input("y", [batch, 1]);
  const w = g.param("experts.weight", [features, components], { init: "glorot_uniform" });
  const pi = g.softmax(g.param("mixture.logits", [components], { init: "zeros" }));
  // Hidden layer: aₖ = σ(wₖᵀx) for every example; output: p = Σₖ πₖ aₖ.
  const hidden = g.sigmoid(g.matmul(x, w));
  const p = g.matmul(hidden, g.reshape(pi, [components, 1]));
  const logLikelihood = g.add(g.mul(y, g.log(p)), g.mul(g.sub(1, y), g.log(g.sub(1, p))));
  g.output("pi", pi);
  g.output("p", p);
  g.output("loss", g.neg(g.mean(logLikelihood)));
  return g.build();
  // #endregion network
}

export default buildLogisticMixture;

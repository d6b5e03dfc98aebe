/**
 * SEEDS.md S10 (seed documents 000 and 001): the small network used to show the symmetry
 * problem of weight initialisation: x → dense(hidden, sigmoid) → dense(1) → squared error.
 * When every weight of a layer starts equal (zero included) and the next layer's weights are
 * equal too, all hidden units compute the same function, receive the same gradient and stay
 * copies of one another for ever; random initialisers break the tie.
 */
import { type Graph, GraphBuilder, type InitOption } from "@nnc/core";

/** Sizes and initialisers of the two-layer network. */
export interface TwoLayerOptions {
  readonly inputs: number;
  readonly hidden: number;
  readonly batch: number;
  /** Initialiser of the hidden layer's weight `hidden.weight` [inputs, hidden]. */
  readonly hiddenInit: InitOption;
  /** Initialiser of the output layer's weight `out.weight` [hidden, 1]. */
  readonly outputInit: InitOption;
  /** Seed of both weights' initialisers (random ones only). */
  readonly seed?: number;
}

/**
 * Builds x [batch, inputs] → sigmoid(x·W₁ + b₁) → ·W₂ + b₂ with the loss `loss` = mean squared
 * error against `y` [batch, 1]. Column j of `hidden.weight` holds hidden unit j's incoming
 * weights. Sigmoid keeps all-zero weights informative: every unit outputs σ(0) = 1/2, so the
 * output layer still learns and the hidden layer follows.
 */
export function buildTwoLayerNetwork(options: TwoLayerOptions): Graph {
  const { inputs, hidden, batch, hiddenInit, outputInit, seed } = options;
  // #region network
  const g = new GraphBuilder("s10-two-layer");
  const x = g.input("x", [batch, inputs]);
  const y = g.input("y", [batch, 1]);
  const seedOption = seed === undefined ? {} : { seed };
  const h = g.layers.dense(x, hidden, {
    name: "hidden",
    activation: "sigmoid",
    init: hiddenInit,
    ...seedOption,
  });
  const out = g.layers.dense(h, 1, {
    name: "out",
    init: outputInit,
    ...(seed === undefined ? {} : { seed: seed + 1 }),
  });
  g.output("prediction", out);
  g.output("loss", g.mse(out, y));
  return g.build();
  // #endregion network
}

export default buildTwoLayerNetwork;

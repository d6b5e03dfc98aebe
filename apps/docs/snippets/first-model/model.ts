/**
 * A first model: a two-layer perceptron for 28×28 digits. The default export is what
 * `nnc compile model.ts` builds (`--batch n` passes `{ batch: n }`).
 */
import { type Graph, GraphBuilder } from "@nnc/core";

/** Builds the MLP with inputs `image` [batch, 784] and `label` [batch] (int32). */
export function buildMlp({ batch = 16 }: { batch?: number } = {}): Graph {
  const g = new GraphBuilder("mlp");
  const image = g.input("image", [batch, 784]);
  const label = g.input("label", [batch], "int32");
  const hidden = g.layers.dense(image, 64, {
    name: "fc1",
    activation: "relu",
    init: "he_normal",
    seed: 1,
  });
  const logits = g.layers.dense(hidden, 10, { name: "fc2", seed: 2 });
  g.output("logits", logits);
  g.output("loss", g.softmaxCrossEntropy(logits, label));
  return g.build();
}

export default buildMlp;

/**
 * The networks a reader can train in the playground, built with nnc's layer helpers for any
 * static batch size. Both read `image` [batch, 1, 28, 28] (grey levels in [0, 1]) and, when
 * built for training or evaluation, `label` [batch] (int32); they output `logits` and either
 * `loss` (softmax cross-entropy, a mean over the batch) or `probabilities` (softmax).
 */
import { type Graph, GraphBuilder, type Value } from "@nnc/core";

/** Which network. */
export type ModelKind = "mlp" | "convnet";

/** What the model picker shows. */
export interface ModelInfo {
  readonly kind: ModelKind;
  readonly label: string;
  readonly description: string;
}

/** The choices, the first being the default. */
export const MODELS: readonly ModelInfo[] = [
  {
    kind: "mlp",
    label: "MLP 784-64-10",
    description: "flatten → dense 64 + ReLU → dense 10",
  },
  {
    kind: "convnet",
    label: "small conv net",
    description: "conv 3×3×8 + ReLU → max-pool 2 → conv 3×3×16 + ReLU → max-pool 2 → dense 10",
  },
];

/** Options of {@link buildModel}. */
export interface BuildOptions {
  readonly batch: number;
  /**
   * "loss": inputs `image` and `label`, outputs `logits` and `loss` (training and held-out
   * evaluation); "predict": input `image` only, outputs `logits` and `probabilities`.
   */
  readonly head: "loss" | "predict";
}

/**
 * Builds the network. Parameter names and seeds do not depend on the options, so parameters
 * trained in one graph load into the others with `setParams`.
 */
export function buildModel(kind: ModelKind, { batch, head }: BuildOptions): Graph {
  const g = new GraphBuilder(kind === "mlp" ? "playground-mlp" : "playground-convnet");
  const image = g.input("image", [batch, 1, 28, 28]);
  const logits = kind === "mlp" ? mlp(g, image) : convnet(g, image);
  g.output("logits", logits);
  if (head === "loss") {
    const label = g.input("label", [batch], "int32");
    g.output("loss", g.softmaxCrossEntropy(logits, label));
  } else {
    g.output("probabilities", g.softmax(logits));
  }
  return g.build();
}

function mlp(g: GraphBuilder, image: Value): Value {
  // dense flattens [batch, 1, 28, 28] to [batch, 784] itself.
  const h = g.layers.dense(image, 64, {
    name: "fc1",
    activation: "relu",
    init: "he_uniform",
    seed: 1,
  });
  return g.layers.dense(h, 10, { name: "fc2", seed: 2 });
}

function convnet(g: GraphBuilder, image: Value): Value {
  let h = g.layers.conv2d(image, {
    name: "conv1",
    filters: 8,
    kernel: 3,
    padding: "same",
    activation: "relu",
    init: "he_uniform",
    seed: 1,
  });
  h = g.layers.maxPool2d(h, { name: "pool1", kernel: 2 });
  h = g.layers.conv2d(h, {
    name: "conv2",
    filters: 16,
    kernel: 3,
    padding: "same",
    activation: "relu",
    init: "he_uniform",
    seed: 2,
  });
  h = g.layers.maxPool2d(h, { name: "pool2", kernel: 2 });
  return g.layers.dense(h, 10, { name: "fc", seed: 3 });
}

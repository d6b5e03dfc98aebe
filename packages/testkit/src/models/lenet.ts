/**
 * LeNet-5 as in BENCHMARKS.md W2: 28×28×1 input, conv 5×5×6 "same" + ReLU + maxpool 2 →
 * conv 5×5×16 valid + ReLU + maxpool 2 → dense 120 ReLU → dense 84 ReLU → dense 10, with a
 * softmax cross-entropy loss against int32 labels.
 *
 * Ported unchanged (names and shapes) from `examples/lenet/model.ts`: a published
 * package cannot import the private examples package. Keep the two copies in step.
 */
import { type Graph, GraphBuilder } from "@nnc/core";

/** Options of `conformanceModels.lenet5`. */
export interface LeNetOptions {
  /** Static batch size (W2 uses 32). */
  readonly batch: number;
  /** Seed of the weight initialisers (default 1). */
  readonly seed?: number;
}

/**
 * Builds LeNet-5 for NCHW images `image` [batch, 1, 28, 28] and labels `label` [batch] (int32),
 * with outputs `logits` and `loss`.
 */
export function buildLeNet({ batch, seed = 1 }: LeNetOptions): Graph {
  const g = new GraphBuilder("lenet5");
  const image = g.input("image", [batch, 1, 28, 28]);
  const label = g.input("label", [batch], "int32");
  let h = g.layers.conv2d(image, {
    name: "conv1",
    filters: 6,
    kernel: 5,
    padding: "same",
    activation: "relu",
    init: "he_uniform",
    seed,
  });
  h = g.layers.maxPool2d(h, { name: "pool1", kernel: 2 });
  h = g.layers.conv2d(h, {
    name: "conv2",
    filters: 16,
    kernel: 5,
    activation: "relu",
    init: "he_uniform",
    seed: seed + 1,
  });
  h = g.layers.maxPool2d(h, { name: "pool2", kernel: 2 });
  h = g.layers.dense(h, 120, {
    name: "fc1",
    activation: "relu",
    init: "he_uniform",
    seed: seed + 2,
  });
  h = g.layers.dense(h, 84, {
    name: "fc2",
    activation: "relu",
    init: "he_uniform",
    seed: seed + 3,
  });
  const logits = g.layers.dense(h, 10, { name: "fc3", seed: seed + 4 });
  g.output("logits", logits);
  g.output("loss", g.softmaxCrossEntropy(logits, label));
  return g.build();
}

/**
 * Benchmark W3 (shared/BENCHMARKS.md): a VGG-style convnet with BatchNorm on 32×32 RGB images,
 * [conv 3×3×32 + BN + ReLU] ×2 + maxpool 2, [conv 3×3×64 + BN + ReLU] ×2 + maxpool 2, dense 10.
 * The convs keep their bias, as a model ported from a framework would: BatchNorm makes it
 * redundant, which is what fold-batch-norm (inference) and drop-bias-before-batch-norm
 * (training) exploit (SEEDS.md S4, question 2d).
 */
import { type Graph, GraphBuilder, type Value } from "@nnc/core";

/** Options of {@link buildW3}. */
export interface W3Options {
  readonly batch: number;
  /** Batch statistics, running-stat updates, a `label` input and a `loss` output when true. */
  readonly training: boolean;
}

/**
 * Builds W3 for a batch of NCHW images `image` [batch, 3, 32, 32]: output `logits` [batch, 10];
 * in training also int32 `label` [batch] and the softmax cross-entropy `loss`. Layers are
 * conv1..conv4, bn1..bn4, relu1..relu4, pool1, pool2 and fc.
 */
export function buildW3({ batch, training }: W3Options): Graph {
  const g = new GraphBuilder("w3-bn-convnet");
  const image = g.input("image", [batch, 3, 32, 32]);
  // #region block
  const block = (x: Value, k: number, filters: number): Value => {
    const conv = g.layers.conv2d(x, { name: `conv${k}`, filters, kernel: 3, padding: "same" });
    const norm = g.layers.batchNorm(conv, { name: `bn${k}`, training });
    return g.scope(`relu${k}`, () => g.relu(norm));
  };
  // #endregion block
  let h = block(image, 1, 32);
  h = block(h, 2, 32);
  h = g.layers.maxPool2d(h, { name: "pool1", kernel: 2 });
  h = block(h, 3, 64);
  h = block(h, 4, 64);
  h = g.layers.maxPool2d(h, { name: "pool2", kernel: 2 });
  const logits = g.layers.dense(h, 10, { name: "fc" });
  g.output("logits", logits);
  if (training) {
    const label = g.input("label", [batch], "int32");
    g.output("loss", g.softmaxCrossEntropy(logits, label));
  }
  return g.build();
}

/** W3 as benchmarked: batch 1, one inference. */
export default function buildW3Inference(): Graph {
  return buildW3({ batch: 1, training: false });
}

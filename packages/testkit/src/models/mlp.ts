/**
 * The multilayer perceptron of BENCHMARKS.md W1 (784-256-128-10, ReLU, softmax cross-entropy),
 * at any batch size and with any layer sizes, as DESIGN.md's first example builds it.
 */
import { type Graph, GraphBuilder } from "@nnc/core";

/** Options of `conformanceModels.mlp`. */
export interface MlpOptions {
  /** Static batch size (W1 uses 64). */
  readonly batch: number;
  /** Layer widths from the input to the logits; default W1's `[784, 256, 128, 10]`. */
  readonly sizes?: readonly number[];
  /** Seed of the first layer's initialiser; layer k uses `seed + k` (default 1). */
  readonly seed?: number;
}

/**
 * Builds the MLP with inputs `x` [batch, sizes[0]] and int32 labels `y` [batch], dense layers
 * `fc1`, `fc2`, … (Glorot-uniform weights, zero biases, ReLU between layers) and outputs
 * `logits` [batch, classes] and `loss` (mean softmax cross-entropy).
 */
export function buildMlp({ batch, sizes = [784, 256, 128, 10], seed = 1 }: MlpOptions): Graph {
  const g = new GraphBuilder("mlp");
  const x = g.input("x", [batch, sizes[0]!]);
  const y = g.input("y", [batch], "int32");
  let h = x;
  for (let k = 1; k < sizes.length; k++) {
    const last = k === sizes.length - 1;
    h = g.layers.dense(h, sizes[k]!, {
      name: `fc${k}`,
      init: "glorot_uniform",
      seed: seed + k - 1,
      ...(!last && { activation: "relu" as const }),
    });
  }
  g.output("logits", h);
  g.output("loss", g.softmaxCrossEntropy(h, y));
  return g.build();
}

/**
 * A model with a mistake, to show how nnc reports it: fc2 expects 128 features but fc1 makes
 * 64. The error names the op, both operands and this file's line.
 */
import { GraphBuilder } from "@nnc/core";

export default function buildBroken() {
  const g = new GraphBuilder("broken");
  const image = g.input("image", [16, 784]);
  const w1 = g.param("fc1.weight", [784, 64], { init: "he_normal", seed: 1 });
  const hidden = g.relu(g.matmul(image, w1));
  const w2 = g.param("fc2.weight", [128, 10], { init: "glorot_uniform", seed: 2 });
  g.output("logits", g.matmul(hidden, w2));
  return g.build();
}

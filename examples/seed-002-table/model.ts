/**
 * SEEDS.md S4 (seed document 002, question 2): the small conv net whose per-layer shapes and
 * parameter counts the summary must reproduce exactly:
 * 31×31×5 / 85 · 10×10×5 / 0 · 8×8×5 / 230 · 4×4×5 / 0 · 5 / 405.
 */
import { type Graph, GraphBuilder } from "@nnc/core";

/** Builds the S4 network for a batch of `batch` 64×64 single-channel images (NCHW). */
export function buildSeed002Network(batch = 1): Graph {
  // #region network
  const g = new GraphBuilder("seed-002");
  const x = g.input("image", [batch, 1, 64, 64]);
  let h = g.layers.conv2d(x, { name: "conv1", filters: 5, kernel: 4, stride: 2, padding: "valid" });
  h = g.layers.maxPool2d(h, { name: "pool1", kernel: 3 });
  h = g.layers.conv2d(h, { name: "conv2", filters: 5, kernel: 3, stride: 1, padding: "valid" });
  h = g.layers.maxPool2d(h, { name: "pool2", kernel: 2 });
  g.output("out", g.layers.dense(h, 5, { name: "fc" }));
  return g.build();
  // #endregion network
}

/**
 * The receptive-field part of S4: five 5×5 convolutions, stride 1, padding 2; each output pixel
 * sees a 21×21 patch (1 + 5·4).
 */
export function buildFiveConvs(batch = 1): Graph {
  const g = new GraphBuilder("five-convs");
  let h = g.input("image", [batch, 1, 32, 32]);
  for (let i = 1; i <= 5; i++) {
    h = g.layers.conv2d(h, { name: `conv${i}`, filters: 1, kernel: 5, padding: 2 });
  }
  g.output("out", h);
  return g.build();
}

/** The model file's entry point for `nnc compile` (which passes `{ batch }` with --batch). */
export default ({ batch = 1 }: { batch?: number } = {}): Graph => buildSeed002Network(batch);

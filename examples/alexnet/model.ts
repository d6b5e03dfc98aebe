/**
 * AlexNet, the common single-tower variant (torchvision's): 64-192-384-256-256 conv filters and
 * a 9216-4096-4096-1000 dense head; 61,100,840 parameters (SEEDS.md S8).
 */
import { type Graph, GraphBuilder } from "@nnc/core";

/** Builds AlexNet for a batch of 224×224 RGB images (NCHW), producing 1000 class logits. */
export function buildAlexNet(batch = 1): Graph {
  const g = new GraphBuilder("alexnet");
  const x = g.input("image", [batch, 3, 224, 224]);
  let h = g.layers.conv2d(x, {
    name: "conv1",
    filters: 64,
    kernel: 11,
    stride: 4,
    padding: 2,
    activation: "relu",
  });
  h = g.layers.maxPool2d(h, { name: "pool1", kernel: 3, stride: 2 });
  h = g.layers.conv2d(h, {
    name: "conv2",
    filters: 192,
    kernel: 5,
    padding: 2,
    activation: "relu",
  });
  h = g.layers.maxPool2d(h, { name: "pool2", kernel: 3, stride: 2 });
  h = g.layers.conv2d(h, {
    name: "conv3",
    filters: 384,
    kernel: 3,
    padding: 1,
    activation: "relu",
  });
  h = g.layers.conv2d(h, {
    name: "conv4",
    filters: 256,
    kernel: 3,
    padding: 1,
    activation: "relu",
  });
  h = g.layers.conv2d(h, {
    name: "conv5",
    filters: 256,
    kernel: 3,
    padding: 1,
    activation: "relu",
  });
  h = g.layers.maxPool2d(h, { name: "pool5", kernel: 3, stride: 2 });
  h = g.layers.dense(h, 4096, { name: "fc6", activation: "relu" });
  h = g.layers.dense(h, 4096, { name: "fc7", activation: "relu" });
  g.output("logits", g.layers.dense(h, 1000, { name: "fc8" }));
  return g.build();
}

export default buildAlexNet;

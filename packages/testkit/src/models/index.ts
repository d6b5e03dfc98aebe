/**
 * The whole models the conformance suite runs, as builders. Backend authors can reuse them
 * (benchmarks, debugging a failing model test at another batch size).
 */
import { buildLeNet } from "./lenet.js";
import { buildMlp } from "./mlp.js";
import { buildThreeLayerNetwork } from "./s2-three-layer.js";
import { buildLogisticMixture } from "./s5-mixture.js";
import { addS9Network, buildS9Network } from "./s9-network.js";
import { buildW3 } from "./w3-bn-convnet.js";

export type { LeNetOptions } from "./lenet.js";
export type { MlpOptions } from "./mlp.js";
export type { ThreeLayerSizes } from "./s2-three-layer.js";
export type { LogisticMixtureSizes } from "./s5-mixture.js";
export type { S9Values } from "./s9-network.js";
export type { W3Options } from "./w3-bn-convnet.js";

/**
 * Builders of the conformance suite's models, keyed by the names its model tests carry:
 * the W1 MLP, LeNet-5 (W2), the W3 BatchNorm convnet, and the networks of SEEDS.md S2, S5 and
 * S9 (`addS9Network` adds S9 to an existing builder, for extended losses).
 */
export const conformanceModels = {
  mlp: buildMlp,
  lenet5: buildLeNet,
  w3BnConvnet: buildW3,
  s2ThreeLayer: buildThreeLayerNetwork,
  s5Mixture: buildLogisticMixture,
  s9Walkthrough: buildS9Network,
  addS9Network,
} as const;

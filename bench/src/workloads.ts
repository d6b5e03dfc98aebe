/**
 * The workloads of BENCHMARKS.md as data: model, mode, batch size, and the seeded float32 weights
 * and batches every library receives. Parameter names and layouts are nnc's (dense weights
 * `[in, out]`, conv kernels OIHW, images NCHW); adapters convert to their library's native layout.
 */
import { SeededRandom } from "./random.js";
import { type HostTensor, type HostTensors, sizeOf } from "./tensor.js";

/** What `--only` selects. */
export type WorkloadGroup = "W1" | "W2" | "W3" | "W4" | "M1";

/** Every group, in the order the table lists them. */
export const WORKLOAD_GROUPS: readonly WorkloadGroup[] = ["W1", "W2", "W3", "W4", "M1"];

/** The model a workload runs; each library adapter implements these four. */
export type ModelKind = "mlp" | "lenet" | "vgg-bn" | "matmul";

/** One timed workload. */
export interface Workload {
  /** Row label in the table, e.g. "W3 b=16". */
  readonly id: WorkloadId;
  readonly group: Exclude<WorkloadGroup, "M1">;
  /** What one timed unit is. */
  readonly title: string;
  /** Short row label of the table. */
  readonly row: string;
  readonly model: ModelKind;
  /** "train": a step (forward, backward, SGD update) returning the loss; "infer": one forward. */
  readonly mode: "train" | "infer";
  readonly batchSize: number;
  /** Initial parameters by nnc name (empty for the matmul). */
  readonly params: HostTensors;
  /** Distinct batches, used in turn; inputs by nnc input name. */
  readonly batches: readonly HostTensors[];
  /** SGD learning rate (training workloads). */
  readonly learningRate: number;
  /** Floating-point operations of one unit, when a GFLOP/s figure is reported. */
  readonly flops?: number;
}

/** Distinct batches per workload; steps cycle through them. */
const BATCH_COUNT = 4;
const LEARNING_RATE = 0.01;

type ParamKind = "weight" | "bias" | "bn-scale" | "bn-offset" | "bn-mean" | "bn-var";

interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly kind: ParamKind;
  /** Fan-in of a weight (He-uniform bound √(6 / fan-in)). */
  readonly fanIn: number;
}

const dense = (name: string, inputs: number, units: number): ParamSpec[] => [
  { name: `${name}.weight`, shape: [inputs, units], kind: "weight", fanIn: inputs },
  { name: `${name}.bias`, shape: [units], kind: "bias", fanIn: inputs },
];

const conv = (name: string, filters: number, channels: number, kernel: number): ParamSpec[] => [
  {
    name: `${name}.weight`,
    shape: [filters, channels, kernel, kernel],
    kind: "weight",
    fanIn: channels * kernel * kernel,
  },
  { name: `${name}.bias`, shape: [filters], kind: "bias", fanIn: channels * kernel * kernel },
];

const batchNorm = (name: string, channels: number): ParamSpec[] =>
  (
    [
      ["weight", "bn-scale"],
      ["bias", "bn-offset"],
      ["running_mean", "bn-mean"],
      ["running_var", "bn-var"],
    ] as const
  ).map(([suffix, kind]) => ({ name: `${name}.${suffix}`, shape: [channels], kind, fanIn: 1 }));

/** MLP 784-256-128-10 (W1). */
const MLP_PARAMS = [...dense("fc1", 784, 256), ...dense("fc2", 256, 128), ...dense("fc3", 128, 10)];

/** LeNet-5 as in examples/lenet/model.ts (W2). */
const LENET_PARAMS = [
  ...conv("conv1", 6, 1, 5),
  ...conv("conv2", 16, 6, 5),
  ...dense("fc1", 16 * 5 * 5, 120),
  ...dense("fc2", 120, 84),
  ...dense("fc3", 84, 10),
];

/** The VGG-BN net of examples/w3-bn-convnet/model.ts (W3). */
const VGG_PARAMS = [
  ...conv("conv1", 32, 3, 3),
  ...batchNorm("bn1", 32),
  ...conv("conv2", 32, 32, 3),
  ...batchNorm("bn2", 32),
  ...conv("conv3", 64, 32, 3),
  ...batchNorm("bn3", 64),
  ...conv("conv4", 64, 64, 3),
  ...batchNorm("bn4", 64),
  ...dense("fc", 64 * 8 * 8, 10),
];

/** Seeded float32 parameters: He-uniform weights, small random biases and BatchNorm statistics. */
function initialParams(specs: readonly ParamSpec[], seed: number): HostTensors {
  const random = new SeededRandom(seed);
  const params: Record<string, HostTensor> = {};
  for (const spec of specs) {
    const n = sizeOf(spec.shape);
    const limit = Math.sqrt(6 / spec.fanIn);
    const data = {
      weight: () => random.uniform(n, -limit, limit),
      bias: () => random.uniform(n, -0.05, 0.05),
      "bn-scale": () => random.uniform(n, 0.8, 1.2),
      "bn-offset": () => random.uniform(n, -0.1, 0.1),
      "bn-mean": () => random.uniform(n, -0.1, 0.1),
      "bn-var": () => random.uniform(n, 0.5, 1.5),
    }[spec.kind]();
    params[spec.name] = { shape: spec.shape, data };
  }
  return params;
}

/** Images in [0, 1) and int32 labels in [0, 10). */
function imageBatches(
  imageName: string,
  imageShape: readonly number[],
  withLabels: boolean,
  seed: number,
): HostTensors[] {
  const random = new SeededRandom(seed);
  const batch = imageShape[0]!;
  return Array.from({ length: BATCH_COUNT }, () => ({
    [imageName]: { shape: imageShape, data: random.uniform(sizeOf(imageShape), 0, 1) },
    ...(withLabels && { label: { shape: [batch], data: random.integers(batch, 10) } }),
  }));
}

function w1(): Workload {
  return {
    id: "W1",
    group: "W1",
    title: "MLP 784-256-128-10, batch 64: one SGD training step",
    row: "W1 MLP train step, b=64",
    model: "mlp",
    mode: "train",
    batchSize: 64,
    params: initialParams(MLP_PARAMS, 11),
    batches: imageBatches("x", [64, 784], true, 12),
    learningRate: LEARNING_RATE,
  };
}

function w2(): Workload {
  return {
    id: "W2",
    group: "W2",
    title: "LeNet-5, batch 32: one SGD training step",
    row: "W2 LeNet-5 train step, b=32",
    model: "lenet",
    mode: "train",
    batchSize: 32,
    params: initialParams(LENET_PARAMS, 21),
    batches: imageBatches("image", [32, 1, 28, 28], true, 22),
    learningRate: LEARNING_RATE,
  };
}

function w3(batch: 1 | 16): Workload {
  return {
    id: `W3 b=${batch}`,
    group: "W3",
    title: `VGG-BN convnet on 32×32×3, batch ${batch}: one inference`,
    row: `W3 VGG-BN inference, b=${batch}`,
    model: "vgg-bn",
    mode: "infer",
    batchSize: batch,
    params: initialParams(VGG_PARAMS, 31),
    batches: imageBatches("image", [batch, 3, 32, 32], false, 32 + batch),
    learningRate: 0,
  };
}

function w4(): Workload {
  const n = 512;
  const random = new SeededRandom(41);
  const matrix = () => ({ shape: [n, n], data: random.uniform(n * n, -1, 1) });
  return {
    id: "W4",
    group: "W4",
    title: "512×512 by 512×512 matmul (host arrays in, product out)",
    row: "W4 matmul 512×512×512",
    model: "matmul",
    mode: "infer",
    batchSize: n,
    params: {},
    batches: Array.from({ length: BATCH_COUNT }, () => ({ a: matrix(), b: matrix() })),
    learningRate: 0,
    flops: 2 * n * n * n,
  };
}

/** A timed workload's id. */
export type WorkloadId = "W1" | "W2" | "W3 b=1" | "W3 b=16" | "W4";

const FACTORIES: Readonly<Record<WorkloadId, () => Workload>> = {
  W1: w1,
  W2: w2,
  "W3 b=1": () => w3(1),
  "W3 b=16": () => w3(16),
  W4: w4,
};

/** Every workload id with its group, in table order. */
export const WORKLOADS: ReadonlyArray<{ readonly id: WorkloadId; readonly group: WorkloadGroup }> =
  [
    { id: "W1", group: "W1" },
    { id: "W2", group: "W2" },
    { id: "W3 b=1", group: "W3" },
    { id: "W3 b=16", group: "W3" },
    { id: "W4", group: "W4" },
  ];

/** Builds one workload with its seeded weights and batches (the same in every process). */
export function makeWorkload(id: WorkloadId): Workload {
  return FACTORIES[id]();
}

/** M1 is measured in the W2 processes: its peak RSS is that of the W2 training step. */
export const MEMORY_WORKLOAD: WorkloadId = "W2";

/**
 * jax-js on its Wasm device (single-threaded in Node: no global `Worker`) or, in a browser, its
 * WebGL device. Models are written as
 * a JAX user would: pure functions of a parameter pytree, NCHW/OIHW like nnc, pooling with
 * `lax.reduceWindow(np.max)`. A training step is one `jit`-compiled function computing
 * `valueAndGrad` and the SGD update, so jax-js can fuse the whole step; inference is a jitted
 * forward. Arrays follow jax-js's ownership rules (`.ref` to keep, passing consumes).
 */
import {
  blockUntilReady,
  defaultDevice,
  init,
  jit,
  lax,
  nn,
  numpy as np,
  type OwnedFunction,
  tree,
  valueAndGrad,
} from "@jax-js/jax";
import type { HostTensor, HostTensors } from "../tensor.js";
import type { ModelKind } from "../workloads.js";
import { type Library, type Runner, UnsupportedWorkload } from "./library.js";

type Params = { [name: string]: np.Array };
type Forward = (p: Params, inputs: Params) => np.Array;

/** A jax-js device the harness measures. */
export type JaxDevice = "wasm" | "webgl";

/** The jax-js adapter for one device (made the default device, so every array lives on it). */
export async function jax(device: JaxDevice): Promise<Library> {
  const available = await init(device);
  if (!available.includes(device)) {
    throw new UnsupportedWorkload(`jax-js device "${device}" failed to initialise`);
  }
  defaultDevice(device);
  return {
    id: device === "wasm" ? "jax-js-wasm" : "jax-js-webgl",
    threads: 1,
    async prepare(workload) {
      const forward = FORWARD[workload.model];
      let params = toArrays(workload.params);
      const inputs = (index: number) => toArrays(workload.batches[index]!);
      if (workload.mode === "infer") {
        const predict = jit(forward);
        return {
          run(index) {
            return predict(tree.ref(params), inputs(index)).dataSync() as Float32Array;
          },
          dispose() {
            predict.dispose();
            tree.dispose(params);
          },
        } satisfies Runner;
      }
      const lr = workload.learningRate;
      const loss = (p: Params, batch: Params): np.Array => {
        const { label, ...rest } = batch;
        const logProbabilities = nn.logSoftmax(forward(p, rest));
        const n = label!.shape[0]!;
        return logProbabilities
          .mul(nn.oneHot(label!, 10))
          .sum()
          .mul(-1 / n);
      };
      const step: OwnedFunction<(p: Params, batch: Params) => [np.Array, Params]> = jit(
        (p: Params, batch: Params): [np.Array, Params] => {
          const [value, grads] = valueAndGrad(loss)(tree.ref(p), batch);
          const updated: Params = {};
          for (const name of Object.keys(p)) {
            updated[name] = p[name]!.sub(grads[name]!.mul(lr));
          }
          return [value, updated];
        },
      );
      return {
        async run(index) {
          const [value, updated] = step(params, inputs(index));
          params = updated;
          const loss = (value.dataSync() as Float32Array)[0]!;
          // jax-js is lazy: the step is done when the updated parameters are, too.
          await blockUntilReady(params);
          return loss;
        },
        dispose() {
          step.dispose();
          tree.dispose(params);
        },
      } satisfies Runner;
    },
  };
}

function toArrays(tensors: HostTensors): Params {
  return Object.fromEntries(
    Object.entries(tensors).map(([name, t]: [string, HostTensor]) => [
      name,
      t.data instanceof Int32Array
        ? np.array(t.data, { dtype: np.int32 }).reshape([...t.shape])
        : np.array(t.data).reshape([...t.shape]),
    ]),
  );
}

const dense = (p: Params, name: string, x: np.Array): np.Array =>
  np.matmul(x, p[`${name}.weight`]!).add(p[`${name}.bias`]!);

/** Convolution plus per-channel bias (NCHW / OIHW). */
const conv = (p: Params, name: string, x: np.Array, padding: "SAME" | "VALID"): np.Array => {
  const bias = p[`${name}.bias`]!;
  const y = lax.convGeneralDilated(x, p[`${name}.weight`]!, [1, 1], padding);
  return y.add(bias.reshape([1, bias.shape[0]!, 1, 1]));
};

const pool = (x: np.Array): np.Array => lax.reduceWindow(x, np.max, [2, 2], [2, 2]);

const flatten = (x: np.Array): np.Array => x.reshape([x.shape[0]!, -1]);

/** Inference BatchNorm: (x − μ)·γ/√(σ² + ε) + β per channel. */
const batchNorm = (p: Params, name: string, x: np.Array): np.Array => {
  const channel = (a: np.Array) => a.reshape([1, a.shape[0]!, 1, 1]);
  const scale = p[`${name}.weight`]!.div(np.sqrt(p[`${name}.running_var`]!.add(1e-5)));
  return x
    .sub(channel(p[`${name}.running_mean`]!))
    .mul(channel(scale))
    .add(channel(p[`${name}.bias`]!));
};

const FORWARD: Record<ModelKind, Forward> = {
  mlp(p, { x }) {
    const h = nn.relu(dense(p, "fc2", nn.relu(dense(p, "fc1", x!))));
    return dense(p, "fc3", h);
  },
  lenet(p, { image }) {
    let h = pool(nn.relu(conv(p, "conv1", image!, "SAME")));
    h = pool(nn.relu(conv(p, "conv2", h, "VALID")));
    const f = nn.relu(dense(p, "fc2", nn.relu(dense(p, "fc1", flatten(h)))));
    return dense(p, "fc3", f);
  },
  "vgg-bn"(p, { image }) {
    const block = (x: np.Array, k: number) =>
      nn.relu(batchNorm(p, `bn${k}`, conv(p, `conv${k}`, x, "SAME")));
    let h = pool(block(block(image!, 1), 2));
    h = pool(block(block(h, 3), 4));
    return dense(p, "fc", flatten(h));
  },
  matmul(_p, { a, b }) {
    return np.matmul(a!, b!);
  },
};

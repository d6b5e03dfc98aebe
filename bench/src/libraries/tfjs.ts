/**
 * TensorFlow.js with its `cpu` (plain JavaScript), `wasm` (XNNPACK, SIMD) or, in a browser,
 * `webgl` (WebGL2 shaders) backend. Models are
 * written with tfjs ops, using the fused matMul/conv2d + bias (+ ReLU) kernels a tuned tfjs model
 * uses, NHWC activations and HWIO kernels (tfjs's native layout: the weights are permuted and the
 * images transposed before timing, so tfjs computes the same function on the same values).
 * Training: `tf.train.sgd(lr).minimize` over tf.variables with `tf.losses.softmaxCrossEntropy`.
 */
import * as tf from "@tensorflow/tfjs";
import { type HostTensor, type HostTensors, transpose } from "../tensor.js";
import type { ModelKind } from "../workloads.js";
import { type Library, type Runner, UnsupportedWorkload } from "./library.js";

type Tensors = Readonly<Record<string, tf.Tensor>>;

/** A tfjs backend the harness measures. */
export type TfjsBackend = "cpu" | "wasm" | "webgl";

const IDS = { cpu: "tfjs-cpu", wasm: "tfjs-wasm", webgl: "tfjs-webgl" } as const;

/** The tfjs adapter for one backend (tfjs has one global engine: one backend per process/page). */
export async function tfjs(backend: TfjsBackend): Promise<Library> {
  let threads = 1;
  if (backend === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    await useBackend(backend);
    threads = wasm.getThreadsCount();
  }
  return {
    id: IDS[backend],
    threads,
    async prepare(workload) {
      await useBackend(backend);
      const params = toTensors(nativeParams(workload.model, workload.params), true);
      const batches = workload.batches.map((b) => nativeBatch(b));
      const forward = FORWARD[workload.model];
      const release = () => {
        for (const t of Object.values(params)) t.dispose();
      };
      if (workload.mode === "infer") {
        return {
          run(index) {
            const out = guarded(backend, () =>
              tf.tidy(() => forward(params, toTensors(batches[index]!, false))),
            );
            const values = out.dataSync() as Float32Array;
            out.dispose();
            return values;
          },
          dispose: release,
        } satisfies Runner;
      }
      const optimizer = tf.train.sgd(workload.learningRate);
      const variables = Object.values(params) as tf.Variable[];
      return {
        run(index) {
          const batch = batches[index]!;
          const loss = guarded(backend, () =>
            tf.tidy(
              () =>
                optimizer.minimize(
                  () => {
                    const inputs = toTensors(batch, false);
                    const labels = tf.oneHot(inputs.label as tf.Tensor1D, 10);
                    return tf.losses.softmaxCrossEntropy(labels, forward(params, inputs));
                  },
                  true,
                  variables,
                )!,
            ),
          );
          const value = loss.dataSync()[0]!;
          loss.dispose();
          return value;
        },
        dispose() {
          optimizer.dispose();
          release();
        },
      } satisfies Runner;
    },
  };
}

async function useBackend(backend: TfjsBackend): Promise<void> {
  if (!(await tf.setBackend(backend))) {
    throw new UnsupportedWorkload(`tfjs backend "${backend}" failed to initialise`);
  }
  await tf.ready();
}

/** Runs `body`, turning a missing-kernel error (a capability gap, not a wrong result) into {@link UnsupportedWorkload}. */
function guarded<T>(backend: string, body: () => T): T {
  try {
    return body();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const kernel = /Kernel '(\w+)' not registered/.exec(message)?.[1];
    if (kernel) throw new UnsupportedWorkload(`no ${kernel} kernel in the tfjs ${backend} backend`);
    throw error;
  }
}

function toTensors(tensors: HostTensors, variables: boolean): Tensors {
  return Object.fromEntries(
    Object.entries(tensors).map(([name, t]) => {
      const dtype = t.data instanceof Int32Array ? "int32" : "float32";
      const tensor = tf.tensor(t.data, [...t.shape], dtype);
      return [name, variables ? tf.variable(tensor, true, name) : tensor];
    }),
  );
}

/** nnc layouts → tfjs layouts: OIHW kernels → HWIO, and NCHW-ordered flatten rows → NHWC order. */
function nativeParams(model: ModelKind, params: HostTensors): HostTensors {
  const flattenedFrom: Partial<Record<ModelKind, [string, number[]]>> = {
    lenet: ["fc1.weight", [16, 5, 5]],
    "vgg-bn": ["fc.weight", [64, 8, 8]],
  };
  const flat = flattenedFrom[model];
  return Object.fromEntries(
    Object.entries(params).map(([name, t]): [string, HostTensor] => {
      const data = t.data as Float32Array;
      if (t.shape.length === 4) return [name, transpose(data, t.shape, [2, 3, 1, 0])];
      if (flat && name === flat[0]) {
        const units = t.shape[1]!;
        const permuted = transpose(data, [...flat[1], units], [1, 2, 0, 3]);
        return [name, { shape: t.shape, data: permuted.data }];
      }
      return [name, t];
    }),
  );
}

/** NCHW images → NHWC (done once, before timing). */
function nativeBatch(batch: HostTensors): HostTensors {
  return Object.fromEntries(
    Object.entries(batch).map(([name, t]): [string, HostTensor] => [
      name,
      t.shape.length === 4 ? transpose(t.data as Float32Array, t.shape, [0, 2, 3, 1]) : t,
    ]),
  );
}

type Forward = (p: Tensors, inputs: Tensors) => tf.Tensor;

const dense = (p: Tensors, name: string, x: tf.Tensor, relu: boolean): tf.Tensor =>
  tf.fused.matMul({
    a: x as tf.Tensor2D,
    b: p[`${name}.weight`] as tf.Tensor2D,
    bias: p[`${name}.bias`]!,
    activation: relu ? "relu" : "linear",
  });

const conv = (
  p: Tensors,
  name: string,
  x: tf.Tensor,
  padding: "same" | "valid",
  relu: boolean,
): tf.Tensor4D =>
  tf.fused.conv2d({
    x: x as tf.Tensor4D,
    filter: p[`${name}.weight`] as tf.Tensor4D,
    strides: 1,
    pad: padding,
    bias: p[`${name}.bias`]!,
    activation: relu ? "relu" : "linear",
  });

const pool = (x: tf.Tensor4D): tf.Tensor4D => tf.maxPool(x, 2, 2, "valid");

const flatten = (x: tf.Tensor): tf.Tensor2D => tf.reshape(x, [x.shape[0]!, -1]);

const FORWARD: Record<ModelKind, Forward> = {
  mlp(p, { x }) {
    const h = dense(p, "fc2", dense(p, "fc1", x!, true), true);
    return dense(p, "fc3", h, false);
  },
  lenet(p, { image }) {
    let h = pool(conv(p, "conv1", image!, "same", true));
    h = pool(conv(p, "conv2", h, "valid", true));
    const f = dense(p, "fc2", dense(p, "fc1", flatten(h), true), true);
    return dense(p, "fc3", f, false);
  },
  "vgg-bn"(p, { image }) {
    const block = (x: tf.Tensor, k: number): tf.Tensor4D => {
      const y = tf.batchNorm4d(
        conv(p, `conv${k}`, x, "same", false),
        p[`bn${k}.running_mean`] as tf.Tensor1D,
        p[`bn${k}.running_var`] as tf.Tensor1D,
        p[`bn${k}.bias`] as tf.Tensor1D,
        p[`bn${k}.weight`] as tf.Tensor1D,
        1e-5,
      );
      return tf.relu(y);
    };
    let h = pool(block(block(image!, 1), 2));
    h = pool(block(block(h, 3), 4));
    return dense(p, "fc", flatten(h), false);
  },
  matmul(_p, { a, b }) {
    return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
  },
};

/**
 * ONNX Runtime Web on its Wasm execution provider, one thread, for the inference workloads only
 * (W3, W4): the models are written as ONNX protobuf by ./onnx.ts with the seeded weights as
 * initializers; ORT applies its own graph optimisations (all levels, including BatchNorm fusion).
 */
import * as ort from "onnxruntime-web";
import type { HostTensors } from "../tensor.js";
import { type Library, type Runner, UnsupportedWorkload } from "./library.js";
import { matmulModel, vggBnModel } from "./onnx.js";

/** The ONNX Runtime Web adapter (Wasm, 1 thread). */
export async function ortWasm(): Promise<Library> {
  ort.env.wasm.numThreads = 1;
  return {
    id: "ort-wasm",
    threads: 1,
    async prepare(workload) {
      if (workload.mode === "train") {
        throw new UnsupportedWorkload("inference-only runtime (no training in onnxruntime-web)");
      }
      const model =
        workload.model === "vgg-bn"
          ? vggBnModel(workload.params, workload.batchSize)
          : workload.model === "matmul"
            ? matmulModel(workload.batchSize)
            : undefined;
      if (!model) throw new UnsupportedWorkload(`no ONNX model for ${workload.model}`);
      const session = await ort.InferenceSession.create(model, {
        executionProviders: ["wasm"],
        graphOptimizationLevel: "all",
      });
      const output = session.outputNames[0]!;
      const feeds = workload.batches.map((batch: HostTensors) =>
        Object.fromEntries(
          Object.entries(batch).map(([name, t]) => [
            name,
            new ort.Tensor("float32", t.data as Float32Array, [...t.shape]),
          ]),
        ),
      );
      return {
        async run(index) {
          const results = await session.run(feeds[index]!);
          return results[output]!.data as Float32Array;
        },
        dispose() {
          void session.release();
        },
      } satisfies Runner;
    },
  };
}

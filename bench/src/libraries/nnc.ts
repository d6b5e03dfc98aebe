/**
 * nnc: each workload's graph (W2 and W3 are the repository's examples) compiled with
 * `compile()` for a backend, `mode: "train"` with `sgd` for the training workloads; the seeded
 * weights are loaded with `setParams`.
 */
import { cpu } from "@nnc/backend-cpu";
import { compile, type Executable, sgd } from "@nnc/compiler";
import { type Backend, type Graph, GraphBuilder } from "@nnc/core";
import { buildLeNet } from "../../../examples/lenet/model.js";
import { buildW3 } from "../../../examples/w3-bn-convnet/model.js";
import type { ModelKind, Workload } from "../workloads.js";
import type { Library, LibraryId, Runner } from "./library.js";

/** nnc with its CPU (JavaScript) backend. */
export function nncCpu(): Library {
  return nncLibrary("nnc-cpu", cpu);
}

/** nnc with any backend plugin (`makeBackend` is called once per compiled workload). */
export function nncLibrary(id: LibraryId, makeBackend: () => Backend): Library {
  return {
    id,
    threads: 1,
    async prepare(workload) {
      const graph = buildGraph(workload.model, workload.batchSize);
      const exe = await compile(graph, {
        backend: makeBackend(),
        mode: workload.mode,
        ...(workload.mode === "train" && {
          loss: "loss",
          optimizer: sgd({ lr: workload.learningRate }),
        }),
      });
      loadParams(exe, graph, workload);
      const feeds = workload.batches.map((batch) =>
        Object.fromEntries(Object.entries(batch).map(([name, t]) => [name, t.data])),
      );
      const output = OUTPUT[workload.model];
      const { memory } = exe.report;
      return {
        run:
          workload.mode === "train"
            ? (index) => exe.step(feeds[index]!)
            : (index) => exe.run(feeds[index]!)[output] as Float32Array,
        memory: {
          peakArenaBytes: memory.peakArenaBytes,
          naivePeakArenaBytes: memory.naive.peakArenaBytes,
          paramBytes: memory.paramBytes,
        },
        dispose() {},
      } satisfies Runner;
    },
  };
}

/** The output a run returns (training steps return the loss). */
const OUTPUT: Record<ModelKind, string> = {
  mlp: "loss",
  lenet: "loss",
  "vgg-bn": "logits",
  matmul: "product",
};

function buildGraph(model: ModelKind, batch: number): Graph {
  switch (model) {
    case "mlp":
      return buildMlp(batch);
    case "lenet":
      return buildLeNet({ batch });
    case "vgg-bn":
      return buildW3({ batch, training: false });
    case "matmul": {
      const g = new GraphBuilder("w4-matmul");
      g.output("product", g.matmul(g.input("a", [batch, batch]), g.input("b", [batch, batch])));
      return g.build();
    }
  }
}

/** W1: MLP 784-256-128-10 with ReLU and a softmax cross-entropy loss. */
function buildMlp(batch: number): Graph {
  const g = new GraphBuilder("w1-mlp");
  const x = g.input("x", [batch, 784]);
  const label = g.input("label", [batch], "int32");
  const h1 = g.layers.dense(x, 256, { name: "fc1", activation: "relu" });
  const h2 = g.layers.dense(h1, 128, { name: "fc2", activation: "relu" });
  const logits = g.layers.dense(h2, 10, { name: "fc3" });
  g.output("logits", logits);
  g.output("loss", g.softmaxCrossEntropy(logits, label));
  return g.build();
}

/** Sets every parameter of the graph from the workload, refusing to leave one at nnc's own init. */
function loadParams(exe: Executable, graph: Graph, workload: Workload): void {
  const missing = graph.params.map((p) => p.name).filter((name) => !(name in workload.params));
  if (missing.length > 0) {
    throw new Error(`nnc graph parameters without seeded values: ${missing.join(", ")}`);
  }
  exe.setParams(
    Object.fromEntries(Object.entries(workload.params).map(([name, t]) => [name, t.data])),
  );
}

/**
 * Figures of the concept pages on the graph IR, the pass pipeline and memory planning: the op
 * registry as a table, a graph as the compiler prints it before and after the inference
 * pipeline, the pipelines as data, and what compiling LeNet-5 for training did and planned.
 */
import { cpu } from "@nnc/backend-cpu";
import {
  compile,
  formatMemoryReport,
  INFERENCE_PIPELINE,
  KERNELS_ARTIFACT,
  type Kernel,
  PassManager,
  planMemory,
  sgd,
  trainingPipeline,
} from "@nnc/compiler";
import { formatShape, GraphBuilder, OP_NAMES, opDef, printGraph, summarize } from "@nnc/core";
import { buildLeNet } from "../../../../examples/lenet/model.js";
import { buildS9Network } from "../../../../examples/seeds/s9-network.js";
import { checkAbove, checkBelow, checkEqual } from "./check.js";
import { summaryFigure } from "./summary.js";

/** Every op of the registry: what it is and how autodiff treats it. */
function opTable() {
  return OP_NAMES.map((name) => {
    const def = opDef(name);
    return {
      name,
      kind: def.kind,
      category: def.category,
      doc: def.doc,
      // Composites are differentiated through their decomposition.
      differentiable: def.kind === "composite" || def.jvp !== undefined,
      transposable: def.transpose !== undefined,
    };
  });
}

/** A small model for the printed graphs: dense + ReLU, dense, softmax cross-entropy. */
function tinyClassifier() {
  // #region tiny
  const g = new GraphBuilder("tiny");
  const x = g.input("x", [2, 4]);
  const label = g.input("label", [2], "int32");
  const h = g.layers.dense(x, 3, { name: "fc1", activation: "relu" });
  const logits = g.layers.dense(h, 2, { name: "fc2" });
  g.output("logits", logits);
  g.output("loss", g.softmaxCrossEntropy(logits, label));
  return g.build();
  // #endregion tiny
}

/** The figures of the graph-IR, passes and memory-planning concept pages. */
export async function conceptCompiler() {
  const ops = opTable();
  checkAbove("registry: ops", ops.length, 20);

  // The tiny classifier through the inference pipeline, with the graph after every pass.
  const tiny = tinyClassifier();
  const dumps = new Map<string, string>();
  const inference = new PassManager({
    dumpAfter: "all",
    dump: (pass, text) => dumps.set(pass, text),
  }).run(tiny, INFERENCE_PIPELINE, "infer");
  checkEqual(
    "passes: one dump per inference pass",
    [...dumps.keys()],
    INFERENCE_PIPELINE.map((p) => p.name),
  );
  let previous = printGraph(tiny);
  const tinyPasses = inference.reports.map((report) => {
    const after = dumps.get(report.name)!;
    const changed = after !== previous;
    previous = after;
    return {
      name: report.name,
      nodesBefore: report.nodesBefore,
      nodesAfter: report.nodesAfter,
      notes: report.notes,
      // The printed graph only where the pass changed it (fusion groups nodes, changes none).
      graph: changed ? after : null,
    };
  });
  const kernels = (inference.artifacts[KERNELS_ARTIFACT] as readonly Kernel[]).map((k) => ({
    kind: k.kind,
    ops: k.nodes.map((id) => inference.graph.node(id).op),
    output: inference.graph.node(k.nodes.at(-1)!).name,
  }));

  // LeNet-5 compiled for a training step (batch 32, SGD) on the CPU backend.
  const lenet = buildLeNet({ batch: 32 });
  // #region lenet
  const exe = await compile(lenet, {
    backend: cpu(),
    mode: "train",
    loss: "loss",
    optimizer: sgd({ lr: 0.05 }),
  });
  const { memory, passes } = exe.report;
  // #endregion lenet
  // The same step planned without recomputing cheap values in the backward part.
  const step = new PassManager().run(
    lenet,
    trainingPipeline({ loss: "loss", optimizer: sgd({ lr: 0.05 }) }),
    "train",
  ).graph;
  const noRecompute = planMemory(step, { recompute: false }).report;
  checkBelow("memory: LeNet planned peak below the naive one", memory.ratio, 1);
  checkBelow(
    "memory: LeNet kept bytes below the naive plan's",
    memory.keptBytes,
    memory.naive.keptBytes,
  );
  checkEqual("memory: LeNet parameter bytes (61,706 float32)", memory.paramBytes, 4 * 61_706);

  const pipeline = (list: readonly { name: string; description: string }[]) =>
    list.map(({ name, description }) => ({ name, description }));
  return {
    graphIr: {
      ops,
      s9: printGraph(buildS9Network()),
    },
    passes: {
      inference: pipeline(INFERENCE_PIPELINE),
      training: pipeline(trainingPipeline({ loss: "loss", optimizer: sgd({ lr: 0.05 }) })),
      tiny: { before: printGraph(tiny), passes: tinyPasses, kernels },
      lenet: passes.map((r) => ({
        name: r.name,
        ms: r.ms,
        nodesBefore: r.nodesBefore,
        nodesAfter: r.nodesAfter,
        notes: r.notes.length,
        sample: r.notes.slice(0, 3),
      })),
      lenetKernels: exe.report.kernels,
    },
    memory: {
      lenet: {
        summary: summaryFigure(summarize(lenet)),
        report: memory,
        text: formatMemoryReport(memory),
        kept: memory.keptActivations.map((k) => ({
          name: k.name,
          shape: formatShape(k.shape),
          bytes: k.bytes,
        })),
        noRecompute: {
          keptBytes: noRecompute.keptBytes,
          kept: noRecompute.keptActivations.map((k) => ({
            name: k.name,
            shape: formatShape(k.shape),
            bytes: k.bytes,
          })),
          peakArenaBytes: noRecompute.peakArenaBytes,
        },
      },
    },
  };
}

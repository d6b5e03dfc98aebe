import { type CompileOptions, compile, type Executable, type TensorSpec } from "@nnc/compiler";
import { type Backend, type Graph, NncError } from "@nnc/core";
import {
  BatchBuffers,
  type Dataset,
  type DatasetLayout,
  epochOrder,
  layoutDataset,
} from "./dataset.js";
import { countCorrect } from "./metrics.js";

/** A model as the trainer takes it: a graph, or a function building it for a batch size and mode. */
export type ModelSource = Graph | ModelBuilder;

/**
 * Builds the model for a static batch size, in training mode (dropout on, BatchNorm on batch
 * statistics) or not. Parameter names must not depend on either argument.
 */
export type ModelBuilder = (options: {
  readonly batch: number;
  readonly training: boolean;
}) => Graph | Promise<Graph>;

/** Classification accuracy: argmax of `output` against the labels fed to input `labels`. */
export interface AccuracyOptions {
  readonly output: string;
  readonly labels: string;
}

/** Loss and accuracy over a dataset. */
export interface Evaluation {
  /** Mean loss per example (the loss output is taken to be a mean over its batch). */
  readonly loss: number;
  /** Fraction of examples classified correctly, when an accuracy metric is configured. */
  readonly accuracy?: number;
  readonly count: number;
}

/** What the evaluator compiles with. */
export interface EvaluatorOptions {
  readonly model: ModelSource;
  readonly backend: Backend;
  readonly loss: string;
  readonly accuracy?: AccuracyOptions;
  readonly batchSize: number;
  /** The training executable's inputs (their per-example sizes hold at every batch size). */
  readonly inputs: readonly TensorSpec[];
  readonly compile?: Pick<CompileOptions, "passes" | "memory">;
}

/**
 * Evaluates a model on held-out data with inference executables compiled on demand, one per
 * batch size: the full batch, and the remainder when the set is not a multiple of it (so every
 * example counts once and the loss is exact). Parameters are copied in from the trainer.
 */
export class Evaluator {
  readonly #options: EvaluatorOptions;
  readonly #executables = new Map<number, Promise<Executable>>();

  constructor(options: EvaluatorOptions) {
    this.#options = options;
  }

  /** Loss (and accuracy) of the model with `params` over every example of `data`, in order. */
  async evaluate(
    data: Dataset,
    params: Readonly<Record<string, Float32Array>>,
  ): Promise<Evaluation> {
    const { batchSize, accuracy } = this.#options;
    // The training executable's inputs: the same per-example sizes at any batch size.
    const layout = layoutDataset(data, this.#options.inputs, "evaluate");
    if (layout.count === 0) throw new NncError("NNC7002", "evaluate: the dataset is empty");
    const fullBatches = Math.floor(layout.count / batchSize);
    const rest = layout.count % batchSize;
    const totals = { loss: 0, correct: 0 };
    if (fullBatches > 0) {
      const exe = await this.#executable(batchSize);
      this.#run(exe, data, layout, 0, fullBatches, batchSize, params, totals);
    }
    if (rest > 0) {
      const exe = await this.#executable(rest);
      this.#run(exe, data, layout, fullBatches * batchSize, 1, rest, params, totals);
    }
    return {
      loss: totals.loss / layout.count,
      ...(accuracy && { accuracy: totals.correct / layout.count }),
      count: layout.count,
    };
  }

  /** Runs `batches` batches of `size` examples from `start` and adds up loss and hits. */
  #run(
    exe: Executable,
    data: Dataset,
    layout: DatasetLayout,
    start: number,
    batches: number,
    size: number,
    params: Readonly<Record<string, Float32Array>>,
    totals: { loss: number; correct: number },
  ): void {
    const { loss, accuracy } = this.#options;
    setModelParams(exe, params);
    const buffers = new BatchBuffers(exe.inputs, layout);
    const order = epochOrder(layout.count, 0, 0, false);
    for (let b = 0; b < batches; b++) {
      const feeds = buffers.fill(data, order, start + b * size, size);
      const outputs = exe.run(feeds);
      // The loss output is a mean over its batch: weight it by the batch's size.
      totals.loss += outputs[loss]![0]! * size;
      if (accuracy) {
        totals.correct += countCorrect(outputs[accuracy.output]!, feeds[accuracy.labels]!, size);
      }
    }
  }

  #executable(batch: number): Promise<Executable> {
    let exe = this.#executables.get(batch);
    if (!exe) {
      exe = this.#compile(batch);
      this.#executables.set(batch, exe);
    }
    return exe;
  }

  async #compile(batch: number): Promise<Executable> {
    const { model, backend, loss, accuracy } = this.#options;
    let graph: Graph;
    if (typeof model === "function") {
      graph = await model({ batch, training: false });
    } else if (batch === this.#options.batchSize) {
      graph = model;
    } else {
      throw new NncError(
        "NNC7002",
        `evaluate: ${batch} examples are left over after the last full batch of ${this.#options.batchSize}; pass the model as a builder ({ batch, training }) => Graph so they get an executable of their own, or trim the dataset to a multiple of ${this.#options.batchSize}`,
      );
    }
    for (const name of [loss, ...(accuracy ? [accuracy.output] : [])]) {
      if (!graph.outputs.some((o) => o.name === name)) {
        throw new NncError(
          "NNC7003",
          `evaluate: "${name}" is not an output of the inference graph "${graph.name}" (outputs: ${graph.outputs.map((o) => JSON.stringify(o.name)).join(", ")})`,
        );
      }
    }
    return compile(graph, { backend, mode: "infer", ...this.#options.compile });
  }
}

/** Copies the parameters `exe` has (model weights and statistics, not optimizer state) from `params`. */
export function setModelParams(
  exe: Executable,
  params: Readonly<Record<string, Float32Array>>,
): void {
  const names = exe.program.graph.params.map((p) => p.name);
  const values: Record<string, Float32Array> = {};
  for (const name of names) {
    const value = params[name];
    if (!value) {
      throw new NncError(
        "NNC7003",
        `evaluate: the inference graph has a parameter "${name}" that the training graph does not; both must be built with the same parameter names`,
      );
    }
    values[name] = value;
  }
  exe.setParams(values);
}

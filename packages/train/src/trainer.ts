import { type CompileOptions, compile, type Executable, type Optimizer } from "@nnc/compiler";
import { type Backend, type Graph, NncError } from "@nnc/core";
import type { Checkpoint } from "./checkpoint.js";
import type { Dataset } from "./dataset.js";
import { type AccuracyOptions, type Evaluation, Evaluator, type ModelSource } from "./evaluator.js";
import { type FitOptions, type FitResult, runFit } from "./fit.js";
import type { TrainingHistory } from "./history.js";
import { NonFiniteProbe } from "./non-finite-probe.js";
import { initialTrainerState, isTrainerState, type TrainerState } from "./trainer-state.js";

/** Options of {@link Trainer.create}. */
export interface TrainerOptions {
  /** The model: a graph, or `({ batch, training }) => Graph` (needed to evaluate any set size). */
  readonly model: ModelSource;
  /** The backend plugin, e.g. `cpu()`. */
  readonly backend: Backend;
  /** The scalar output to minimise (a mean over the batch). */
  readonly loss: string;
  readonly optimizer: Optimizer;
  /** Examples per step; required with a model builder, else read off the graph's inputs. */
  readonly batchSize?: number;
  /** Report classification accuracy: argmax of `output` against the `labels` input. */
  readonly accuracy?: AccuracyOptions;
  /** Parameters to train; default every trainable parameter. */
  readonly wrt?: readonly string[];
  /** Passed to every compile (pass and memory-planning options). */
  readonly compile?: Pick<CompileOptions, "passes" | "memory">;
}

/** Prefix of the early-stopping best parameters inside a checkpoint. */
const BEST_PREFIX = "best/";

/**
 * Trains a model with a compiled training step: `fit` runs epochs of seeded, shuffled batches
 * with learning-rate schedules, held-out evaluation, early stopping, checkpoints and a progress
 * display; `evaluate` measures loss and accuracy on any dataset.
 *
 * ```ts
 * const trainer = await Trainer.create({ model: ({ batch }) => buildLeNet({ batch }),
 *   backend: cpu(), loss: "loss", optimizer: adam({ lr: 1e-3 }), batchSize: 32,
 *   accuracy: { output: "logits", labels: "label" } });
 * await trainer.fit({ image, label }, { epochs: 10, validation: heldOut, schedule: cosineLr({ lr: 1e-3 }) });
 * ```
 */
export class Trainer {
  /** The compiled training step. */
  readonly executable: Executable;
  readonly batchSize: number;
  readonly #options: TrainerOptions;
  readonly #graph: Graph;
  readonly #evaluator: Evaluator;
  #probe: Promise<NonFiniteProbe> | undefined;
  #state: TrainerState = initialTrainerState();
  #best: Record<string, Float32Array> | undefined;

  private constructor(
    options: TrainerOptions,
    graph: Graph,
    executable: Executable,
    batchSize: number,
  ) {
    this.#options = options;
    this.#graph = graph;
    this.executable = executable;
    this.batchSize = batchSize;
    this.#evaluator = new Evaluator({
      model: options.model,
      backend: options.backend,
      loss: options.loss,
      batchSize,
      inputs: executable.inputs,
      ...(options.accuracy && { accuracy: options.accuracy }),
      ...(options.compile && { compile: options.compile }),
    });
  }

  /** Builds the training graph, checks the options against it and compiles the training step. */
  static async create(options: TrainerOptions): Promise<Trainer> {
    const { model } = options;
    let graph: Graph;
    if (typeof model === "function") {
      const batch = options.batchSize;
      if (batch === undefined || !Number.isInteger(batch) || batch < 1) {
        throw new NncError(
          "NNC7003",
          `Trainer: a model builder needs batchSize, a positive integer (got ${batch})`,
        );
      }
      graph = await model({ batch, training: true });
    } else {
      graph = model;
    }
    const batchSize = graphBatchSize(graph, options.batchSize);
    checkAccuracyOption(graph, options.accuracy);
    const executable = await compile(graph, {
      backend: options.backend,
      mode: "train",
      loss: options.loss,
      optimizer: options.optimizer,
      ...(options.wrt && { wrt: options.wrt }),
      ...options.compile,
    });
    return new Trainer(options, graph, executable, batchSize);
  }

  /** Every step's loss and every epoch's summary so far (including those before a resume). */
  get history(): TrainingHistory {
    return this.#state.history;
  }

  /** Steps run so far. */
  get step(): number {
    return this.#state.step;
  }

  /** Trains on `data` (arrays keyed by input name, examples back to back). */
  fit(data: Dataset, options: FitOptions): Promise<FitResult> {
    return runFit(this.#fitContext(), data, options);
  }

  /** Loss (and accuracy) of the current parameters on every example of `data`. */
  evaluate(data: Dataset): Promise<Evaluation> {
    return this.#evaluator.evaluate(data, this.executable.getParams());
  }

  /** The model's parameters and statistics, without optimizer state (`opt/…`). */
  modelParams(): Record<string, Float32Array> {
    const all = this.executable.getParams();
    return Object.fromEntries(Object.entries(all).filter(([name]) => !name.startsWith("opt/")));
  }

  /** Everything needed to continue this run elsewhere: parameters, optimizer state, progress. */
  checkpoint(): Checkpoint {
    const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    const params = this.executable.getParams();
    for (const node of this.executable.program.graph.params) {
      tensors.set(node.name, { shape: node.type.shape, data: params[node.name]! });
    }
    if (this.#best) {
      for (const [name, data] of Object.entries(this.#best)) {
        const key = BEST_PREFIX + name;
        if (tensors.has(key)) {
          throw new NncError(
            "NNC5003",
            `checkpoint: parameter "${key}" clashes with the saved best value of "${name}"`,
          );
        }
        tensors.set(key, { shape: tensors.get(name)!.shape, data });
      }
    }
    return { tensors, state: structuredClone(this.#state) };
  }

  /** Continues from a checkpoint of the same model: parameters, optimizer state and progress. */
  restore(checkpoint: Checkpoint, source = "checkpoint"): void {
    if (!isTrainerState(checkpoint.state)) {
      throw new NncError(
        "NNC5003",
        `${source}: the trainer state is missing or of another version`,
      );
    }
    const params = this.executable.program.graph.params;
    const values: Record<string, Float32Array> = {};
    const best: Record<string, Float32Array> = {};
    for (const node of params) {
      const tensor = checkpoint.tensors.get(node.name);
      if (!tensor) {
        throw new NncError(
          "NNC5003",
          `${source}: no value for parameter "${node.name}" (is it a checkpoint of this model and optimizer?)`,
        );
      }
      if (tensor.shape.join() !== node.type.shape.join()) {
        throw new NncError(
          "NNC5003",
          `${source}: "${node.name}" has shape [${tensor.shape.join(",")}] but the model's is [${node.type.shape.join(",")}]`,
        );
      }
      values[node.name] = tensor.data;
    }
    for (const [name, tensor] of checkpoint.tensors) {
      if (values[name]) continue;
      const base = name.startsWith(BEST_PREFIX) ? name.slice(BEST_PREFIX.length) : undefined;
      if (base === undefined || !values[base]) {
        throw new NncError(
          "NNC5003",
          `${source}: "${name}" is not a parameter of "${this.#graph.name}" (a checkpoint of another model?)`,
        );
      }
      best[base] = tensor.data;
    }
    this.executable.setParams(values);
    this.#best = Object.keys(best).length > 0 ? best : undefined;
    this.#state = structuredClone(checkpoint.state);
  }

  /** Writes a checkpoint file atomically (a crash mid-write keeps the previous file). */
  async save(path: string): Promise<void> {
    // "#checkpoint-file" is node:fs in Node and a module failing with NNC5004/5003 under the
    // "browser" condition (package.json "imports"), so bundlers never pull Node built-ins in.
    const { saveCheckpoint } = await import("#checkpoint-file");
    await saveCheckpoint(path, this.checkpoint());
  }

  /** Restores a checkpoint file written by {@link save}. */
  async load(path: string): Promise<void> {
    const { loadCheckpoint } = await import("#checkpoint-file");
    this.restore(await loadCheckpoint(path), path);
  }

  #fitContext() {
    return {
      trainer: this,
      options: this.#options,
      evaluator: this.#evaluator,
      getState: () => this.#state,
      getBest: () => this.#best,
      setBest: (best: Record<string, Float32Array> | undefined) => {
        this.#best = best;
      },
      probe: () => {
        this.#probe ??= NonFiniteProbe.create(this.#graph, {
          backend: this.#options.backend,
          loss: this.#options.loss,
          optimizer: this.#options.optimizer,
          ...(this.#options.wrt && { wrt: this.#options.wrt }),
        });
        return this.#probe;
      },
    };
  }
}

/** The batch size: the leading axis every input shares, which must match `batchSize` if given. */
function graphBatchSize(graph: Graph, batchSize: number | undefined): number {
  const inputs = graph.inputs;
  if (inputs.length === 0) {
    throw new NncError("NNC7003", `Trainer: graph "${graph.name}" has no inputs to feed data to`);
  }
  const batch = inputs[0]!.type.shape[0];
  for (const input of inputs) {
    if (input.type.shape.length === 0 || input.type.shape[0] !== batch) {
      throw new NncError(
        "NNC7003",
        `Trainer: every input needs the same leading batch axis; "${input.name}" has shape [${input.type.shape.join(",")}] but "${inputs[0]!.name}" has batch ${batch}`,
      );
    }
  }
  if (batchSize !== undefined && batchSize !== batch) {
    throw new NncError(
      "NNC7003",
      `Trainer: batchSize is ${batchSize} but the graph's inputs have batch ${batch}`,
    );
  }
  return batch!;
}

function checkAccuracyOption(graph: Graph, accuracy: AccuracyOptions | undefined): void {
  if (!accuracy) return;
  if (!graph.outputs.some((o) => o.name === accuracy.output)) {
    throw new NncError(
      "NNC7003",
      `Trainer: accuracy.output "${accuracy.output}" is not an output of "${graph.name}" (outputs: ${graph.outputs.map((o) => JSON.stringify(o.name)).join(", ")})`,
    );
  }
  if (!graph.inputs.some((i) => i.name === accuracy.labels)) {
    throw new NncError(
      "NNC7003",
      `Trainer: accuracy.labels "${accuracy.labels}" is not an input of "${graph.name}" (inputs: ${graph.inputs.map((i) => JSON.stringify(i.name)).join(", ")})`,
    );
  }
}

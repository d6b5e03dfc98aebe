/**
 * One compiled model of the playground: the training step (through @nnc/train's Trainer, which
 * also evaluates the held-out digits after every epoch) and a batch-1 inference executable for
 * the reader's drawings, both on the same backend. The inference executable gets the trained
 * parameters copied in lazily, whenever a step has run since the last prediction.
 */
import { adam, compile, type Executable, momentum, type Optimizer, sgd } from "@nnc/compiler";
import {
  argmax,
  constantLr,
  type EpochRecord,
  type FitResult,
  type StepRecord,
  Trainer,
} from "@nnc/train";
import type { BackendChoice } from "./backend-choice.js";
import type { MnistSubset } from "./mnist-subset.js";
import { buildModel, type ModelKind } from "./models.js";

/** The optimizers a reader can pick. */
export type OptimizerKind = "adam" | "momentum" | "sgd";

/** What is fixed when a session is compiled (changing any of it means compiling again). */
export interface SessionOptions {
  readonly model: ModelKind;
  readonly backend: BackendChoice;
  readonly optimizer: OptimizerKind;
  /** The learning rate the step is compiled with; {@link TrainOptions.lr} overrides it per run. */
  readonly lr: number;
  readonly batch: number;
}

/** Options of {@link PlaygroundSession.train}. */
export interface TrainOptions {
  /** Epochs to train on top of those already done. */
  readonly epochs: number;
  readonly lr: number;
  readonly signal: AbortSignal;
  readonly onStep: (record: StepRecord) => void;
  readonly onEpochEnd: (record: EpochRecord) => void;
}

/** The network's answer for one digit. */
export interface Prediction {
  readonly digit: number;
  /** Softmax over the 10 classes. */
  readonly probabilities: readonly number[];
}

/** A compiled model with its training state; create with {@link PlaygroundSession.create}. */
export class PlaygroundSession {
  readonly options: SessionOptions;
  readonly trainer: Trainer;
  /** Batch-1 inference: `image` → `logits`, `probabilities`. */
  readonly predictor: Executable;
  /** Seconds spent compiling both executables. */
  readonly compileSeconds: number;
  #predictorStale = false;

  private constructor(
    options: SessionOptions,
    trainer: Trainer,
    predictor: Executable,
    compileSeconds: number,
  ) {
    this.options = options;
    this.trainer = trainer;
    this.predictor = predictor;
    this.compileSeconds = compileSeconds;
  }

  /** Builds and compiles the training step and the inference executable. */
  static async create(options: SessionOptions): Promise<PlaygroundSession> {
    const started = performance.now();
    const { backend } = options.backend;
    const trainer = await Trainer.create({
      model: ({ batch }) => buildModel(options.model, { batch, head: "loss" }),
      backend,
      loss: "loss",
      optimizer: makeOptimizer(options.optimizer, options.lr),
      batchSize: options.batch,
      accuracy: { output: "logits", labels: "label" },
    });
    const predictor = await compile(buildModel(options.model, { batch: 1, head: "predict" }), {
      backend,
    });
    const session = new PlaygroundSession(
      options,
      trainer,
      predictor,
      (performance.now() - started) / 1000,
    );
    // The initialisers are seeded identically, but copying states it rather than relying on it.
    session.#predictorStale = true;
    return session;
  }

  /** Epochs completed so far. */
  get epochsDone(): number {
    return this.trainer.history.epochs.length;
  }

  /**
   * Trains `epochs` more epochs (an epoch cut short by a stop counts as one of them), evaluating
   * the held-out digits after each. Resolves when done or stopped; a failure (a non-finite loss,
   * a lost WebGL context) rejects with nnc's error.
   */
  train(data: MnistSubset, options: TrainOptions): Promise<FitResult> {
    return this.trainer.fit(
      { image: data.train.image, label: data.train.label },
      {
        epochs: this.epochsDone + options.epochs,
        validation: { image: data.test.image, label: data.test.label },
        schedule: constantLr(options.lr),
        seed: 1,
        signal: options.signal,
        progress: "none",
        onStep: (record) => {
          this.#predictorStale = true;
          options.onStep(record);
        },
        onEpochEnd: options.onEpochEnd,
      },
    );
  }

  /** Classifies one 28×28 digit (grey levels in [0, 1]) with the current parameters. */
  predict(digit: Float32Array): Prediction {
    if (this.#predictorStale) {
      const wanted = new Set(this.predictor.program.graph.params.map((p) => p.name));
      const params = this.trainer.modelParams();
      this.predictor.setParams(
        Object.fromEntries(Object.entries(params).filter(([name]) => wanted.has(name))),
      );
      this.#predictorStale = false;
    }
    const { probabilities } = this.predictor.run({ image: digit });
    const values = Array.from(probabilities!);
    return { digit: argmax(values, 0, values.length), probabilities: values };
  }
}

function makeOptimizer(kind: OptimizerKind, lr: number): Optimizer {
  switch (kind) {
    case "adam":
      return adam({ lr });
    case "momentum":
      return momentum({ lr, momentum: 0.9 });
    case "sgd":
      return sgd({ lr });
  }
}

/**
 * LeNet-5 (BENCHMARKS.md W2) trained on real MNIST digits with nnc's CPU backend and the
 * training API: the function behind both the full run (train.ts) and its short test.
 */
import { cpu } from "@nnc/backend-cpu";
import { adam } from "@nnc/compiler";
import {
  constantLr,
  cosineLr,
  type EpochRecord,
  type FitResult,
  type ProgressMode,
  Trainer,
} from "@nnc/train";
import { buildLeNet } from "../lenet/model.js";
import type { Digits } from "./data.js";

/** Options of {@link trainLeNet}. */
export interface TrainLeNetOptions {
  readonly train: Digits;
  readonly test: Digits;
  readonly epochs: number;
  /** Examples per step; default 32 (W2). */
  readonly batch?: number;
  /** Peak learning rate of Adam; default 2e-3. */
  readonly lr?: number;
  /** "cosine" (default) anneals to 0 over the run; "constant" keeps `lr`. */
  readonly schedule?: "cosine" | "constant";
  readonly progress?: ProgressMode;
  /** Checkpoint file written after every epoch; a run resumes from it when `resume` is set. */
  readonly checkpoint?: string;
  readonly resume?: boolean;
  /** Called after every epoch's held-out evaluation. */
  readonly onEpochEnd?: (record: EpochRecord) => void;
}

/** The trained model and what the run measured. */
export interface TrainLeNetResult {
  readonly trainer: Trainer;
  readonly result: FitResult;
  /** Seconds spent compiling the training step. */
  readonly compileSeconds: number;
}

/** Trains LeNet-5 on `train`, evaluating on `test` after every epoch. */
export async function trainLeNet(options: TrainLeNetOptions): Promise<TrainLeNetResult> {
  const { batch = 32, lr = 2e-3 } = options;
  const compileStart = performance.now();
  const trainer = await Trainer.create({
    model: ({ batch }) => buildLeNet({ batch }),
    backend: cpu(),
    loss: "loss",
    optimizer: adam({ lr }),
    batchSize: batch,
    accuracy: { output: "logits", labels: "label" },
  });
  const compileSeconds = (performance.now() - compileStart) / 1000;
  const result = await trainer.fit(
    { image: options.train.image, label: options.train.label },
    {
      epochs: options.epochs,
      validation: { image: options.test.image, label: options.test.label },
      schedule: options.schedule === "constant" ? constantLr(lr) : cosineLr({ lr }),
      seed: 1,
      ...(options.progress && { progress: options.progress }),
      ...(options.checkpoint && { checkpoint: { path: options.checkpoint } }),
      ...(options.resume && options.checkpoint && { resumeFrom: options.checkpoint }),
      ...(options.onEpochEnd && { onEpochEnd: options.onEpochEnd }),
    },
  );
  return { trainer, result, compileSeconds };
}

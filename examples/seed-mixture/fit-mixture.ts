/**
 * One fitting run of SEEDS.md S5: draw data from the known mixture, train the mixture network of
 * examples/seeds/s5-mixture.ts on it with the Trainer on the CPU backend, and measure how well it
 * recovered the mixture before and after training.
 */
import { cpu } from "@nnc/backend-cpu";
import { adam } from "@nnc/compiler";
import { cosineLr, type FitResult, type ProgressMode, Trainer } from "@nnc/train";
import { buildLogisticMixture } from "../seeds/s5-mixture.js";
import {
  COMPONENTS,
  FEATURES,
  type Mixture,
  type MixtureSample,
  meanNll,
  measureRecovery,
  mixtureFromParams,
  type Recovery,
  sampleMixture,
  splitSample,
} from "./mixture.js";

/** What to draw and how to train. */
export interface MixtureRunOptions {
  /** Examples drawn in all; the last `heldOut` of them are held out. */
  readonly examples: number;
  readonly heldOut: number;
  readonly epochs: number;
  readonly batchSize: number;
  /** Adam's peak learning rate (cosine schedule after a short warm-up). */
  readonly lr: number;
  /** Seed of the data; the shuffles use `seed + 1`. */
  readonly seed: number;
  readonly progress?: ProgressMode;
}

/** The figures of one set of parameters. */
export interface MixtureFigures {
  readonly fitted: Mixture;
  readonly recovery: Recovery;
  /** Mean NLL of the held-out labels under the network (CPU backend, float32). */
  readonly heldOutNll: number;
  /** Mean NLL of the training labels under the network. */
  readonly trainNll: number;
}

/** What a run produced. */
export interface MixtureRun {
  readonly trainer: Trainer;
  readonly result: FitResult;
  readonly train: MixtureSample;
  readonly heldOut: MixtureSample;
  /** The network as initialised (Glorot-uniform weights, uniform π). */
  readonly before: MixtureFigures;
  readonly after: MixtureFigures;
  /** Mean NLL of the held-out labels under the true mixture: the floor, up to sampling noise. */
  readonly trueHeldOutNll: number;
  /** Mean NLL of the training labels under the true mixture. */
  readonly trueTrainNll: number;
}

/** Warm-up steps before the cosine decay: Adam's first steps are large relative to its state. */
const WARMUP_STEPS = 20;

/** Draws the data, measures the untrained network, trains it and measures it again. */
export async function runMixtureFit(options: MixtureRunOptions): Promise<MixtureRun> {
  const { examples, heldOut: heldOutCount, epochs, batchSize, lr, seed } = options;
  const { train, heldOut } = splitSample(sampleMixture(examples, seed), heldOutCount);
  const trainer = await Trainer.create({
    model: ({ batch }) =>
      buildLogisticMixture({ features: FEATURES, components: COMPONENTS, batch }),
    backend: cpu(),
    loss: "loss",
    optimizer: adam({ lr }),
    batchSize,
  });
  const trainSet = { x: train.x, y: train.y };
  const heldOutSet = { x: heldOut.x, y: heldOut.y };
  const measure = async (): Promise<MixtureFigures> => {
    const fitted = mixtureFromParams(trainer.modelParams());
    return {
      fitted,
      recovery: measureRecovery(fitted),
      heldOutNll: (await trainer.evaluate(heldOutSet)).loss,
      trainNll: (await trainer.evaluate(trainSet)).loss,
    };
  };
  const before = await measure();
  const result = await trainer.fit(trainSet, {
    epochs,
    validation: heldOutSet,
    seed: seed + 1,
    schedule: cosineLr({ lr, warmupSteps: WARMUP_STEPS }),
    progress: options.progress ?? "none",
  });
  return {
    trainer,
    result,
    train,
    heldOut,
    before,
    after: await measure(),
    trueHeldOutNll: meanNll(heldOut.pTrue, heldOut.y),
    trueTrainNll: meanNll(train.pTrue, train.y),
  };
}

import type { EarlyStoppingState } from "./early-stopping.js";
import type { EpochRecord, StepRecord } from "./history.js";

/** The data order a run is bound to once it starts: a resumed run must see the same. */
export interface RunBinding {
  readonly seed: number;
  readonly shuffle: boolean;
  readonly batchSize: number;
  /** Examples in the training set. */
  readonly examples: number;
}

/** Sums over the steps of the epoch in progress. */
export interface EpochProgress {
  readonly lossSum: number;
  readonly correct: number;
  readonly examples: number;
  readonly seconds: number;
}

/**
 * Where training stands, besides the parameters: what a checkpoint stores as JSON so that a run
 * resumed from it continues exactly like the uninterrupted run.
 */
export interface TrainerState {
  readonly version: 1;
  /** Steps run so far, across epochs. */
  readonly step: number;
  /** Epochs completed. */
  readonly epochsDone: number;
  /** Steps completed in the epoch in progress. */
  readonly stepInEpoch: number;
  readonly epochProgress: EpochProgress;
  readonly run: RunBinding | null;
  readonly earlyStopping: EarlyStoppingState | null;
  /** True once early stopping ended the run: a resumed fit does not continue it. */
  readonly stopped: boolean;
  readonly history: {
    readonly steps: readonly StepRecord[];
    readonly epochs: readonly EpochRecord[];
  };
}

/** The state of a trainer that has not trained yet. */
export function initialTrainerState(): TrainerState {
  return {
    version: 1,
    step: 0,
    epochsDone: 0,
    stepInEpoch: 0,
    epochProgress: { lossSum: 0, correct: 0, examples: 0, seconds: 0 },
    run: null,
    earlyStopping: null,
    stopped: false,
    history: { steps: [], epochs: [] },
  };
}

/** True when `value` looks like a {@link TrainerState} written by this version. */
export function isTrainerState(value: unknown): value is TrainerState {
  if (value === null || typeof value !== "object") return false;
  const state = value as Partial<TrainerState>;
  return (
    state.version === 1 &&
    Number.isInteger(state.step) &&
    Number.isInteger(state.epochsDone) &&
    Number.isInteger(state.stepInEpoch) &&
    typeof state.epochProgress === "object" &&
    typeof state.history === "object" &&
    Array.isArray(state.history?.steps) &&
    Array.isArray(state.history?.epochs)
  );
}

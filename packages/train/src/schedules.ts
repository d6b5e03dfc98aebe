import { NncError } from "@nnc/core";

/** Where training is when a schedule is asked for the next step's learning rate. */
export interface ScheduleContext {
  /** The step about to run, 1-based and counted across epochs. */
  readonly step: number;
  /** The epoch it belongs to, 1-based. */
  readonly epoch: number;
  readonly stepsPerEpoch: number;
  /** Steps of the whole run (epochs × steps per epoch). */
  readonly totalSteps: number;
}

/**
 * A learning-rate schedule: a pure function of the step, so a resumed run gets the same rates as
 * an uninterrupted one. `fit` writes the rate into the executable's `opt/lr` before every step.
 */
export interface LearningRateSchedule {
  readonly name: string;
  lr(context: ScheduleContext): number;
}

/** The same rate at every step. */
export function constantLr(lr: number): LearningRateSchedule {
  checkRate("constantLr", "lr", lr);
  return { name: `constant(${lr})`, lr: () => lr };
}

/** Options of {@link stepLr}: decay by `gamma` every `everyEpochs` epochs or `everySteps` steps. */
export interface StepLrOptions {
  readonly lr: number;
  /** Multiplier applied at each boundary, in (0, 1]; default 0.1. */
  readonly gamma?: number;
  readonly everyEpochs?: number;
  readonly everySteps?: number;
}

/** Step decay: lr · gammaᵏ after k boundaries (PyTorch's StepLR), by epochs or by steps. */
export function stepLr(options: StepLrOptions): LearningRateSchedule {
  const { lr, gamma = 0.1, everyEpochs, everySteps } = options;
  checkRate("stepLr", "lr", lr);
  if (!(gamma > 0 && gamma <= 1)) {
    throw new NncError("NNC7003", `stepLr: gamma must be in (0, 1], got ${gamma}`);
  }
  if ((everyEpochs === undefined) === (everySteps === undefined)) {
    throw new NncError("NNC7003", "stepLr: give exactly one of everyEpochs and everySteps");
  }
  const every = (everyEpochs ?? everySteps)!;
  if (!Number.isInteger(every) || every < 1) {
    throw new NncError(
      "NNC7003",
      `stepLr: ${everyEpochs !== undefined ? "everyEpochs" : "everySteps"} must be a positive integer, got ${every}`,
    );
  }
  return {
    name: `step(${lr}, ×${gamma} every ${every} ${everyEpochs !== undefined ? "epochs" : "steps"})`,
    lr: ({ step, epoch }) =>
      lr * gamma ** Math.floor(((everyEpochs !== undefined ? epoch : step) - 1) / every),
  };
}

/** Options of {@link cosineLr}. */
export interface CosineLrOptions {
  /** The peak rate, reached after the warm-up. */
  readonly lr: number;
  /** The rate at the last step; default 0. */
  readonly minLr?: number;
  /** Steps of linear warm-up from lr/warmupSteps to lr; default 0. */
  readonly warmupSteps?: number;
}

/**
 * Cosine annealing over the whole run (SGDR without restarts), after an optional linear
 * warm-up: lr_t = minLr + (lr − minLr)·(1 + cos(π·p))/2 with p going from 0 at the first
 * post-warm-up step to 1 at the last step.
 */
export function cosineLr(options: CosineLrOptions): LearningRateSchedule {
  const { lr, minLr = 0, warmupSteps = 0 } = options;
  checkRate("cosineLr", "lr", lr);
  if (!(minLr >= 0 && minLr <= lr)) {
    throw new NncError("NNC7003", `cosineLr: minLr must be in [0, lr], got ${minLr}`);
  }
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new NncError(
      "NNC7003",
      `cosineLr: warmupSteps must be a non-negative integer, got ${warmupSteps}`,
    );
  }
  return {
    name: `cosine(${lr} → ${minLr}${warmupSteps ? `, ${warmupSteps} warm-up steps` : ""})`,
    lr: ({ step, totalSteps }) => {
      if (step <= warmupSteps) return (lr * step) / warmupSteps;
      const span = totalSteps - warmupSteps - 1;
      const p = span <= 0 ? 1 : Math.min(1, (step - warmupSteps - 1) / span);
      return minLr + ((lr - minLr) * (1 + Math.cos(Math.PI * p))) / 2;
    },
  };
}

function checkRate(schedule: string, name: string, value: number): void {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new NncError("NNC7003", `${schedule}: ${name} must be a positive number, got ${value}`);
  }
}

export {
  type Checkpoint,
  type CheckpointTensor,
  decodeCheckpoint,
  encodeCheckpoint,
} from "./checkpoint.js";
export {
  BatchBuffers,
  type Dataset,
  type DatasetLayout,
  epochOrder,
  layoutDataset,
} from "./dataset.js";
export type { EarlyStoppingOptions, EarlyStoppingState, Monitor } from "./early-stopping.js";
export type {
  AccuracyOptions,
  Evaluation,
  ModelBuilder,
  ModelSource,
} from "./evaluator.js";
export type { FitOptions, FitResult } from "./fit.js";
export type { EpochRecord, StepRecord, TrainingHistory } from "./history.js";
export { argmax, countCorrect } from "./metrics.js";
export type { NonFiniteValue } from "./non-finite-probe.js";
export { type CurveOptions, renderTrainingCurves } from "./plot-svg.js";
export {
  createProgressReporter,
  formatEpochLine,
  formatProgressLine,
  type ProgressMode,
  type ProgressReporter,
  type ProgressSnapshot,
  type ProgressStream,
} from "./progress.js";
export {
  type CosineLrOptions,
  constantLr,
  cosineLr,
  type LearningRateSchedule,
  type ScheduleContext,
  type StepLrOptions,
  stepLr,
} from "./schedules.js";
export { Trainer, type TrainerOptions } from "./trainer.js";
export type { EpochProgress, RunBinding, TrainerState } from "./trainer-state.js";

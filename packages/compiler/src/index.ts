export {
  type DiffOptions,
  grad,
  gradName,
  jvp,
  type Linearization,
  type LinearTransposeOptions,
  linearize,
  linearTranspose,
  type VjpOptions,
  valueAndGrad,
  vjp,
} from "./autodiff/api.js";
export { stopGradient } from "./autodiff/stop-gradient.js";
export { type AdamOptions, adam, adamw } from "./optimizers/adam.js";
export { type MomentumOptions, momentum } from "./optimizers/momentum.js";
export type { Optimizer, UpdateContext } from "./optimizers/optimizer.js";
export { type SgdOptions, sgd } from "./optimizers/sgd.js";
export {
  LEARNING_RATE_PARAM,
  STEP_PARAM,
  type TrainingGraphOptions,
  trainingGraph,
} from "./optimizers/training-graph.js";
export { pruneGraph } from "./prune-graph.js";
export { ReferenceTrainer } from "./reference-trainer.js";

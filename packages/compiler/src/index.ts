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
export {
  type CompiledProgram,
  type CompileOptions,
  compile,
  compileProgram,
  loadProgram,
} from "./compile.js";
export type {
  CompileReport,
  Executable,
  TensorData,
  TensorFeeds,
  TensorSpec,
} from "./executable.js";
export type {
  BufferAssignment,
  BufferPlan,
  BufferPlanOptions,
  BufferRegion,
  PlanBuffers,
} from "./memory/buffer-plan.js";
export { checkPlan } from "./memory/check-plan.js";
export { evaluatePlanned, type PlannedEvaluation } from "./memory/evaluate-planned.js";
export { planBuffers } from "./memory/plan-buffers.js";
export {
  formatMemoryReport,
  type KeptActivation,
  type MemoryPlan,
  type MemoryPlanOptions,
  type MemoryReport,
  planMemory,
} from "./memory/plan-memory.js";
export {
  isCheapToRecompute,
  type ResidualOptions,
  type ResidualSelection,
  selectResiduals,
} from "./memory/select-residuals.js";
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
export { constantFold } from "./passes/constant-fold.js";
export { decomposeComposites } from "./passes/decompose-composites.js";
export { differentiate } from "./passes/differentiate.js";
export { dropBiasBeforeBatchNorm } from "./passes/drop-bias-before-batch-norm.js";
export { eliminateCommonSubexpressions } from "./passes/eliminate-common-subexpressions.js";
export { eliminateDeadCode } from "./passes/eliminate-dead-code.js";
export { foldBatchNorm } from "./passes/fold-batch-norm.js";
export {
  fuseElementwise,
  groupKernels,
  KERNELS_ARTIFACT,
  type Kernel,
  type KernelKind,
} from "./passes/fuse-elementwise.js";
export type { CompileMode, Pass, PassContext, PassNote } from "./passes/pass.js";
export {
  PassManager,
  type PassManagerOptions,
  type PassReport,
  type PipelineResult,
} from "./passes/pass-manager.js";
export { INFERENCE_PIPELINE, trainingPipeline } from "./passes/pipelines.js";
export { rewriteGraph } from "./passes/rewrite-graph.js";
export { simplifyAlgebra } from "./passes/simplify-algebra.js";
export { pruneGraph } from "./prune-graph.js";
export { ReferenceTrainer } from "./reference-trainer.js";

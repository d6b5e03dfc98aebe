/**
 * @nnc/testkit: the conformance suite every nnc backend must pass, the reference backend it is
 * proven on, the models it runs, and a gradient checker for backend and op authors.
 */
export {
  checkGradients,
  type GradientCheckOptions,
  type GradientComparison,
} from "./checkers.js";
export { ConformanceError, expectClose } from "./compare.js";
export {
  type ConformanceOptions,
  checkInterface,
  checkSkipList,
  describeBackendConformance,
  type PlannedTest,
  planConformance,
  SUITE_TITLE,
} from "./conformance.js";
export {
  checkCompositeCase,
  checkPrimitiveCase,
  type KernelCase,
  kernelCases,
  sampleFeeds,
  sampleGraph,
} from "./kernel-cases.js";
export { type ModelCase, modelCases } from "./model-cases.js";
export * from "./models/index.js";
export { referenceBackend } from "./reference-backend.js";
export {
  type ConformanceTolerances,
  DEFAULT_TOLERANCES,
  KERNEL_CHECKS,
  type KernelCheck,
  kernelBounds,
  type ResolvedTolerances,
  resolveTolerances,
  type Tolerance,
  uniformBounds,
} from "./tolerance.js";

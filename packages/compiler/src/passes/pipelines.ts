import type { TrainingGraphOptions } from "../optimizers/training-graph.js";
import { constantFold } from "./constant-fold.js";
import { decomposeComposites } from "./decompose-composites.js";
import { differentiate } from "./differentiate.js";
import { dropBiasBeforeBatchNorm } from "./drop-bias-before-batch-norm.js";
import { eliminateCommonSubexpressions } from "./eliminate-common-subexpressions.js";
import { eliminateDeadCode } from "./eliminate-dead-code.js";
import { foldBatchNorm } from "./fold-batch-norm.js";
import { fuseElementwise } from "./fuse-elementwise.js";
import type { Pass } from "./pass.js";
import { simplifyAlgebra } from "./simplify-algebra.js";

// The compile pipelines, as data: read top to bottom, they are what the compiler does. Order
// matters where commented; every pass can be disabled by name (`--disable <name>`).

/** The clean-up passes both pipelines end with, before kernels are grouped. */
const SIMPLIFY: readonly Pass[] = [
  constantFold,
  simplifyAlgebra,
  // After simplification, so identities that expose equal expressions are merged too.
  eliminateCommonSubexpressions,
  eliminateDeadCode,
];

/** Inference: fold BatchNorm while the composites are whole, then expand and simplify. */
export const INFERENCE_PIPELINE: readonly Pass[] = [
  // Needs batch_norm and dense whole, so it runs before decomposition.
  foldBatchNorm,
  decomposeComposites,
  ...SIMPLIFY,
  // Last: it groups the final graph's nodes into kernels for the backend.
  fuseElementwise,
];

/**
 * Training: drop biases that BatchNorm cancels, expand composites, add the gradient and the
 * optimizer update, then simplify the whole step (forward and backward together).
 */
export function trainingPipeline(options: TrainingGraphOptions): readonly Pass[] {
  return [
    // Needs batch_norm whole, before decomposition.
    dropBiasBeforeBatchNorm,
    decomposeComposites,
    differentiate(options),
    ...SIMPLIFY,
    fuseElementwise,
  ];
}

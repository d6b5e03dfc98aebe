/**
 * Options of the conformance suite for a backend that cannot run everything yet. The site's
 * build checks them with the suite's own validation (scripts/generate-guides.ts).
 */
import type { ConformanceOptions } from "@nnc/testkit";

// #region options
/** What this backend cannot run yet (with the reasons), and its models' looser tolerance. */
export const options: ConformanceOptions = {
  skip: {
    erf: "no erf yet",
    "conv2d#3": "dilated convolutions come later",
    "lenet5/train": "no conv2d_transpose yet",
  },
  tolerance: { model: { rtol: 1e-2 } }, // only if it is less precise than float32
};
// #endregion options

import { describeBackendConformance } from "@nnc/testkit";
import { webgl } from "./index.js";

// The shared conformance suite on WebGL2 (SwiftShader in CI): every primitive and every model,
// inference and training, against the float64 reference evaluator, with the suite's default
// tolerances and no skips.
describeBackendConformance(() => webgl());

import { describeBackendConformance } from "@nnc/testkit";
import { cpu } from "./index.js";

// The shared conformance suite, with no skips: every primitive and every model, inference and
// training, against the float64 reference evaluator.
describeBackendConformance(() => cpu());

import { describeBackendConformance } from "@nnc/testkit";
import { float64 } from "./index.js";

// The same suite every nnc backend passes; float64 is compared within float32 tolerances.
describeBackendConformance(() => float64());

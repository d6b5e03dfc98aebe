import { describeBackendConformance } from "@nnc/testkit";
import { cpu } from "./index.js";

// The shared conformance suite again with the WebAssembly GEMM off: the JavaScript GEMM that
// engines without WebAssembly SIMD run (conformance.test.ts covers the default, Wasm path).
describeBackendConformance(() => cpu({ wasm: false }));

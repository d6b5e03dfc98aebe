import { BACKEND_API_VERSION, type Backend } from "@nnc/core";
import { emitModule } from "./emit-module.js";
import { type InstantiateOptions, instantiateModule } from "./instantiate.js";
import { KERNEL_TABLE } from "./kernel-table.js";

/**
 * The CPU backend: emits one JavaScript module per program (loops specialised to static
 * shapes over one preallocated arena, fused elementwise chains) that runs in Node and in
 * browsers.
 *
 * ```ts
 * const exe = await compile(graph, { backend: cpu() });
 * ```
 *
 * Matrix products and convolutions run on a WebAssembly SIMD GEMM where the engine supports
 * WebAssembly SIMD (the same emitted module falls back to its JavaScript GEMM otherwise);
 * `cpu({ wasm: false })` always uses the JavaScript GEMM.
 */
/** Options of the CPU backend. */
export type CpuOptions = InstantiateOptions;

export function cpu(options: CpuOptions = {}): Backend {
  return {
    name: "cpu",
    apiVersion: BACKEND_API_VERSION,
    supports: (op) => Object.hasOwn(KERNEL_TABLE, op),
    emit: (program) => emitModule(program, KERNEL_TABLE),
    instantiate: (module, program) => instantiateModule(module, program, options),
  };
}

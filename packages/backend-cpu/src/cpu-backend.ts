import { BACKEND_API_VERSION, type Backend } from "@nnc/core";
import { emitModule } from "./emit-module.js";
import { instantiateModule } from "./instantiate.js";
import { KERNEL_TABLE } from "./kernel-table.js";

/**
 * The CPU backend: emits one JavaScript module per program (loops specialised to static
 * shapes over one preallocated arena, fused elementwise chains) that runs in Node and in
 * browsers.
 *
 * ```ts
 * const exe = await compile(graph, { backend: cpu() });
 * ```
 */
export function cpu(): Backend {
  return {
    name: "cpu",
    apiVersion: BACKEND_API_VERSION,
    supports: (op) => Object.hasOwn(KERNEL_TABLE, op),
    emit: (program) => emitModule(program, KERNEL_TABLE),
    instantiate: (module, program) => instantiateModule(module, program),
  };
}

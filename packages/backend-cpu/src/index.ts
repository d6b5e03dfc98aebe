/**
 * @nnc/backend-cpu: the nnc backend that emits JavaScript for Node and browsers.
 */
export { type CpuOptions, cpu } from "./cpu-backend.js";
export type {
  CompositeOp,
  EmitContext,
  NodeEmitter,
  PrimitiveOp,
  ScalarExpression,
  ValueRef,
} from "./emit-context.js";
export type { CpuInstance, InstantiateOptions } from "./instantiate.js";
export { wasmGemmModule } from "./wasm/gemm-wasm.js";

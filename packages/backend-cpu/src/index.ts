/**
 * @nnc/backend-cpu: the nnc backend that emits JavaScript for Node and browsers.
 */
export { cpu } from "./cpu-backend.js";
export type {
  CompositeOp,
  EmitContext,
  NodeEmitter,
  PrimitiveOp,
  ScalarExpression,
  ValueRef,
} from "./emit-context.js";

/**
 * @nnc/backend-webgl: the nnc backend that emits GLSL ES 3.00 fragment shaders for WebGL2.
 */

export type { WebglCanvas } from "./driver/context.js";
export type { WebglInstance } from "./driver/instance.js";
export type { GlslContext, GlslEmitter, PrimitiveOp } from "./glsl/emit-context.js";
export type {
  DropoutMaskTask,
  PlanBuffer,
  PlanKernel,
  TextureLayout,
  WebglPlan,
} from "./plan.js";
export { textureLayout } from "./plan.js";
export { type WebglOptions, webgl } from "./webgl-backend.js";

import { BACKEND_API_VERSION, type Backend, NncError, type OpName } from "@nnc/core";
import type { WebglCanvas } from "./driver/context.js";
import { instantiatePlan } from "./driver/instance.js";
import { emitPlan, parsePlanSource, planSource } from "./emit/emit-plan.js";
import { KERNEL_TABLE } from "./glsl/kernel-table.js";

/** Options of the WebGL backend. */
export interface WebglOptions {
  /** The canvas whose context runs the programs; default a new 1×1 OffscreenCanvas per instantiate. */
  readonly canvas?: WebglCanvas;
  /**
   * Run on devices that render only to half-float textures (RGBA16F storage, about 1e-3 relative
   * error); without it such devices are refused with NNC4006.
   */
  readonly allowHalfFloat?: boolean;
}

/**
 * The WebGL backend: emits one GLSL ES 3.00 fragment shader per kernel and runs them with
 * WebGL2 in browsers (float32 textures, allocated once as the memory plan reuses bytes; int32
 * exact in integer textures).
 *
 * ```ts
 * const exe = await compile(graph, { backend: webgl() });
 * ```
 */
export function webgl(options: WebglOptions = {}): Backend {
  return {
    name: "webgl",
    apiVersion: BACKEND_API_VERSION,
    supports: (op: OpName) => Object.hasOwn(KERNEL_TABLE, op),
    emit: (program) => {
      const plan = emitPlan(program);
      return {
        backend: "webgl",
        apiVersion: BACKEND_API_VERSION,
        source: planSource(plan),
        metadata: { kernels: plan.kernels.length, textures: plan.textures.length },
      };
    },
    instantiate: async (module, program) => {
      if (module.backend !== "webgl" || module.apiVersion !== BACKEND_API_VERSION) {
        throw new NncError(
          "NNC4006",
          `the webgl backend cannot load a module emitted by backend "${module.backend}" (API version ${module.apiVersion})`,
        );
      }
      return instantiatePlan(parsePlanSource(module.source), program, options);
    },
  };
}

import { NncError } from "@nnc/core";

/** Where the driver draws: a canvas given by the user or a 1×1 OffscreenCanvas. */
export type WebglCanvas = HTMLCanvasElement | OffscreenCanvas;

/** A WebGL2 context with the driver's capabilities and loss tracking. */
export interface DriverContext {
  readonly gl: WebGL2RenderingContext;
  /** RGBA32F, or RGBA16F when only half-float render targets exist and the user opted in. */
  readonly floatFormat: "RGBA32F" | "RGBA16F";
  readonly maxTextureSize: number;
  readonly parallelCompile: boolean;
  /** Throws NNC4008 once the context is lost. */
  check(): void;
}

const ATTRIBUTES: WebGLContextAttributes = {
  alpha: false,
  antialias: false,
  depth: false,
  stencil: false,
  preserveDrawingBuffer: false,
  powerPreference: "high-performance",
};

/**
 * Creates the context and checks what the backend needs: WebGL2 (else NNC4006) and float32
 * render targets (EXT_color_buffer_float). With only half-float render targets it refuses
 * unless `allowHalfFloat` is set (then values are stored as RGBA16F, about 1e-3 relative).
 */
export function createContext(
  canvas: WebglCanvas | undefined,
  allowHalfFloat: boolean,
): DriverContext {
  if (!canvas && typeof OffscreenCanvas === "undefined") {
    throw new NncError(
      "NNC4006",
      'backend "webgl" needs a browser with WebGL2: there is no OffscreenCanvas here (Node?); use cpu() from @nnc/backend-cpu, or pass webgl({ canvas })',
    );
  }
  const target = canvas ?? new OffscreenCanvas(1, 1);
  let lost = false;
  const onLost = (event: Event) => {
    // Without preventDefault the context could never be restored.
    event.preventDefault();
    lost = true;
  };
  const gl = (target as OffscreenCanvas).getContext(
    "webgl2",
    ATTRIBUTES,
  ) as WebGL2RenderingContext | null;
  if (!gl) {
    throw new NncError(
      "NNC4006",
      "the webgl backend needs WebGL2, which this browser or canvas does not provide (try the cpu backend)",
    );
  }
  target.addEventListener("webglcontextlost", onLost as EventListener);
  const check = () => {
    if (lost || gl.isContextLost()) {
      lost = true;
      throw new NncError(
        "NNC4008",
        "the WebGL context was lost (GPU reset, driver update or too many contexts); compile or instantiate the program again",
      );
    }
  };
  check();
  let floatFormat: "RGBA32F" | "RGBA16F" = "RGBA32F";
  if (!gl.getExtension("EXT_color_buffer_float")) {
    if (!gl.getExtension("EXT_color_buffer_half_float")) {
      throw new NncError(
        "NNC4006",
        "the webgl backend needs float render targets (EXT_color_buffer_float), which this device does not have",
      );
    }
    if (!allowHalfFloat) {
      throw new NncError(
        "NNC4006",
        "this device renders only to half-float textures (EXT_color_buffer_half_float, no EXT_color_buffer_float): results would be rounded to float16; pass webgl({ allowHalfFloat: true }) to run anyway with about 1e-3 relative error",
      );
    }
    floatFormat = "RGBA16F";
  }
  return {
    gl,
    floatFormat,
    maxTextureSize: gl.getParameter(gl.MAX_TEXTURE_SIZE) as number,
    parallelCompile: gl.getExtension("KHR_parallel_shader_compile") !== null,
    check,
  };
}

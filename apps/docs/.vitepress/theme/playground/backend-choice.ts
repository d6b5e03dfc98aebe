/**
 * Picks the playground's backend: WebGL when the browser has WebGL2 with float render targets
 * (what @nnc/backend-webgl needs), the CPU backend otherwise or when the reader asks for it.
 * Every executable of a session shares one canvas, hence one WebGL context: browsers keep only
 * a handful of contexts alive and silently drop the oldest.
 */
import { cpu } from "@nnc/backend-cpu";
import { webgl } from "@nnc/backend-webgl";
import type { Backend } from "@nnc/core";

/** A backend and why it was chosen. */
export interface BackendChoice {
  readonly name: "webgl" | "cpu";
  readonly backend: Backend;
  /** One line for the reader: the GPU, or why WebGL is not used. */
  readonly detail: string;
  /** WebGL only: the canvas every executable draws with. */
  readonly canvas?: HTMLCanvasElement | OffscreenCanvas;
}

/** The outcome of {@link probeWebgl}. */
export type WebglProbe =
  | {
      readonly ok: true;
      readonly canvas: HTMLCanvasElement | OffscreenCanvas;
      readonly renderer: string;
    }
  | { readonly ok: false; readonly reason: string };

/** Checks for WebGL2 with EXT_color_buffer_float on a fresh canvas, which it returns for reuse. */
export function probeWebgl(): WebglProbe {
  const canvas =
    typeof OffscreenCanvas !== "undefined"
      ? new OffscreenCanvas(1, 1)
      : typeof document !== "undefined"
        ? document.createElement("canvas")
        : undefined;
  if (!canvas) return { ok: false, reason: "no canvas here" };
  // The backend asks for this same context later; a bare drawing buffer is all it uses.
  const gl = canvas.getContext("webgl2", {
    alpha: false,
    antialias: false,
    depth: false,
    stencil: false,
  }) as WebGL2RenderingContext | null;
  if (!gl) return { ok: false, reason: "this browser has no WebGL2" };
  if (!gl.getExtension("EXT_color_buffer_float")) {
    return { ok: false, reason: "WebGL2 here cannot render to float textures" };
  }
  return { ok: true, canvas, renderer: rendererName(gl) };
}

/** The backend to use: WebGL when {@link probeWebgl} succeeds and CPU is not forced. */
export function chooseBackend(options: { readonly forceCpu: boolean }): BackendChoice {
  if (options.forceCpu) {
    return { name: "cpu", backend: cpu(), detail: "JavaScript on the main thread (forced)" };
  }
  const probe = probeWebgl();
  if (!probe.ok) {
    return {
      name: "cpu",
      backend: cpu(),
      detail: `JavaScript on the main thread (WebGL not used: ${probe.reason})`,
    };
  }
  return {
    name: "webgl",
    backend: webgl({ canvas: probe.canvas }),
    detail: `WebGL2, float32 textures (${probe.renderer})`,
    canvas: probe.canvas,
  };
}

/**
 * The GPU's name. Chrome masks RENDERER as "WebKit WebGL" and tells the truth through
 * WEBGL_debug_renderer_info; Firefox reports it directly and warns that the extension is
 * deprecated, so the extension is asked only when the plain answer is the mask.
 */
function rendererName(gl: WebGL2RenderingContext): string {
  const plain = String(gl.getParameter(gl.RENDERER));
  if (plain !== "WebKit WebGL") return plain;
  const info = gl.getExtension("WEBGL_debug_renderer_info");
  return info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : plain;
}

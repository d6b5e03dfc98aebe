import { expect, it } from "vitest";

// The environment every other test here relies on: if this fails, the browser has no WebGL2
// with float32 render targets (e.g. Chromium launched without SwiftShader), not a backend bug.
it("runs in a browser with WebGL2 and float32 render targets", () => {
  const gl = new OffscreenCanvas(1, 1).getContext("webgl2");
  expect(gl).not.toBeNull();
  expect(gl!.getExtension("EXT_color_buffer_float")).not.toBeNull();
  expect(gl!.getParameter(gl!.MAX_TEXTURE_SIZE)).toBeGreaterThanOrEqual(4096);
});

import type { DType } from "@nnc/core";

/** The widest texture row: every device's MAX_TEXTURE_SIZE is at least 4096. */
export const TEXTURE_ROW = 4096;

/** Values per texel: every texture is RGBA, element i in component i & 3 of texel i >> 2. */
export const TEXEL_VALUES = 4;

/**
 * How a buffer is stored: a 2-D RGBA texture holding 4 consecutive row-major elements per
 * texel (texel t holds elements 4t … 4t+3, the tail beyond the size is padding), texels in
 * row-major order. float32 → RGBA32F, int32 and bool → RGBA32I (bool as 0/1), so integers are
 * exact. A flat typed array padded to 4·width·height uploads and reads back as it is.
 */
export interface TextureLayout {
  /**
   * Texels per row: the smallest power of two whose square holds every texel (at most
   * {@link TEXTURE_ROW}), so texel t sits at (t & (W − 1), t >> log2 W).
   */
  readonly width: number;
  readonly height: number;
  readonly format: "RGBA32F" | "RGBA32I";
}

/** The layout of a buffer of `size` elements of `dtype`: ceil(size / 4) texels. */
export function textureLayout(size: number, dtype: DType): TextureLayout {
  const texels = Math.ceil(size / TEXEL_VALUES);
  // A near-square texture, not one long row: SwiftShader shades 2×2 quads and splits a draw
  // between threads by rows, so a 4096×1 target wastes half of each quad and runs on one thread
  // (W1's first matmul, 64×784·784×256: 87 ms as 4096×1, ~25 ms as 64×64).
  let width = 1;
  while (width * width < texels && width < TEXTURE_ROW) width *= 2;
  return {
    width,
    height: Math.max(1, Math.ceil(texels / width)),
    format: dtype === "float32" ? "RGBA32F" : "RGBA32I",
  };
}

/** Elements a texture of `layout` holds, padding included: 4 · width · height. */
export function paddedSize(layout: TextureLayout): number {
  return TEXEL_VALUES * layout.width * layout.height;
}

/** One value's storage in the plan. */
export interface PlanBuffer {
  /** The node (value) id. */
  readonly node: number;
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly size: number;
  readonly layout: TextureLayout;
  /**
   * Index into {@link WebglPlan.textures}: values may share a texture when the memory plan reuses
   * their bytes (never a kernel's input and output).
   */
  readonly texture: number;
  /** Row-major values of a constant, uploaded once at instantiate. */
  readonly constant?: readonly number[];
}

/** One draw call: a fragment shader computing one node's value into its texture. */
export interface PlanKernel {
  /** The result node's name (`fc1/matmul`): how errors and profiles refer to the kernel. */
  readonly name: string;
  /** GLSL ES 3.00 fragment shader source. */
  readonly fragment: string;
  /** Node ids whose textures the shader samples, in the order of uniforms `u_t<id>`. */
  readonly inputs: readonly number[];
  /** The node whose value the kernel writes. */
  readonly output: number;
  /**
   * Host-side work the driver does before the draw (dropout masks come from a sequential RNG
   * stream, which is computed on the CPU and uploaded).
   */
  readonly host?: DropoutMaskTask;
  /**
   * The kernel reads only parameters and constants (directly or through other hoisted kernels):
   * drawn after a parameter is written, not on every run.
   */
  readonly hoisted?: true;
  /**
   * A multi-target kernel: the shader writes `targets.length` render targets (texture slots),
   * and the `merge` shader, sampling them as `u_lane<j>`, then writes the result's texture.
   */
  readonly split?: { readonly targets: readonly number[]; readonly merge: string };
}

/** Upload the dropout mask of (count, rate, seed[, salt read from `saltNode`]) to `maskNode`. */
export interface DropoutMaskTask {
  readonly kind: "dropout-mask";
  readonly maskTexture: number;
  readonly count: number;
  readonly rate: number;
  readonly seed: number;
  /** The salt operand's node, read back before each run; absent for unsalted dropout. */
  readonly saltNode?: number;
  readonly layout: TextureLayout;
}

/** Everything the driver needs to run a program: the emitted module's content. */
export interface WebglPlan {
  readonly version: 1;
  readonly mode: "infer" | "train";
  readonly buffers: readonly PlanBuffer[];
  /** Texture slots; several buffers may map to one. */
  readonly textures: readonly TextureLayout[];
  readonly kernels: readonly PlanKernel[];
  /** After every run: copy each value into its parameter's texture. */
  readonly updates: readonly { readonly param: number; readonly value: number }[];
}

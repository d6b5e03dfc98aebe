import type { DType } from "@nnc/core";

/** Elements per texture row: element i of a buffer sits at texel (i % width, i / width). */
export const TEXTURE_ROW = 4096;

/**
 * How a buffer is stored: a 2-D texture of one value per texel, row-major in texel order.
 * float32 → R32F, int32 and bool → R32I (bool as 0/1), so integers are exact.
 */
export interface TextureLayout {
  readonly width: number;
  readonly height: number;
  readonly format: "R32F" | "R32I";
}

/** The layout of a buffer of `size` elements of `dtype`. */
export function textureLayout(size: number, dtype: DType): TextureLayout {
  const width = Math.max(1, Math.min(size, TEXTURE_ROW));
  return {
    width,
    height: Math.max(1, Math.ceil(size / width)),
    format: dtype === "float32" ? "R32F" : "R32I",
  };
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

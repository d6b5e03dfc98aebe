import type { CompositeOpName, Node, PrimitiveOpName, Program } from "@nnc/core";

/**
 * What an op emitter can use while generating the GLSL function of one node. In a kernel's
 * shader every node n is a function `T n<id>(int i)` returning element i (row-major flat index)
 * of n's value, with T = `float` for float32 and `int` for int32/bool. Shapes are static: inline
 * every extent, stride and loop bound as an integer literal.
 */
export interface GlslContext {
  readonly program: Program;
  /**
   * A GLSL expression for element `index` (an `int` GLSL expression) of `operand`'s value: a
   * call of the operand's node function when it is computed in this kernel, otherwise a texel
   * fetch of its texture. The result has the operand's GLSL type (float or int).
   */
  read(operand: number, index: string): string;
  /**
   * Declares a shader-level helper function once (e.g. `erf`, a multi-index decoder) and returns
   * its name; `code` must define a function of that name. Helpers are emitted before the node
   * functions.
   */
  helper(name: string, code: string): string;
  /** A fresh identifier for a local variable, unique in the shader. */
  local(prefix: string): string;
  /** Declares that the node reads a host-computed mask texture (dropout); returns its sampler. */
  hostMask?(node: Node): string;
  /**
   * A `vec4` GLSL expression for texel `texel` (an `int` expression: elements 4·texel …
   * 4·texel + 3) of `operand`'s float32 texture, or undefined (and nothing declared) when the
   * operand is computed in this kernel and so has no texture.
   */
  readTexel?(operand: number, texel: string): string | undefined;
}

/**
 * Emits the body of node `node`'s function: GLSL statements, inside `T n<id>(int i) { … }`,
 * that end by returning the node's element `i`.
 */
export type GlslEmitter = (ctx: GlslContext, node: Node) => string;

/**
 * A node's 4-wide path: the body of `vec4 n<id>_4(int base)` returning elements base … base + 3
 * of the node (base a multiple of 4 and within the value; when the size is not a multiple of 4
 * the last texel's components past the size are never written, so the emitter must only keep
 * its reads in bounds), or undefined when the node's shapes or dtype do not allow it (the
 * scalar {@link GlslEmitter} is used then).
 */
export type GlslEmitterVec4 = (ctx: GlslContext, node: Node) => string | undefined;

/** Composite ops never reach a backend (the compiler decomposes them). */
export type CompositeOp = CompositeOpName;

/** The primitive ops a backend implements. */
export type PrimitiveOp = PrimitiveOpName;

/**
 * A node's multi-target path: each fragment computes `lanes` texels of the node at once, so
 * operand texels that the lanes share are fetched once (fetches, not arithmetic, bound a
 * shader's time on SwiftShader). The node's texels are viewed as `[outer, extent, laneTexels]`
 * (row-major); a fragment's lanes are `lanes` consecutive steps along `extent` (which `lanes`
 * divides), i.e. texels t₀ + j·laneTexels for j < lanes, and the shader writes them to `lanes`
 * render targets that a merge draw then copies into the node's texture.
 */
export interface SplitBody {
  readonly lanes: number;
  readonly extent: number;
  readonly laneTexels: number;
  /**
   * The body of `void n<id>_lanes(int base)`: base is element 4·t₀; it must assign the globals
   * `w<id>_<j>` (vec4), elements base + 4·j·laneTexels … + 3, for every lane j.
   */
  readonly body: string;
}

/** A node's multi-target path, or undefined when its shapes or dtype do not allow it. */
export type GlslEmitterSplit = (ctx: GlslContext, node: Node) => SplitBody | undefined;

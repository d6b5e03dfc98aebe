import { type Shape, stridesOf } from "@nnc/core";
import type { TextureLayout } from "../plan.js";

// Index arithmetic for shaders: every node is a function of its row-major flat index, so
// reading an operand means mapping the output's flat index to the operand's (broadcasting,
// transposing, slicing). Shapes are static, so every extent and stride is an integer literal.

/** A GLSL float literal for `value` rounded to float32 (infinities and NaN from their bits). */
export function floatLiteral(value: number): string {
  const v = Math.fround(value);
  if (Number.isNaN(v)) return "uintBitsToFloat(0x7fc00000u)";
  if (v === Number.POSITIVE_INFINITY) return "uintBitsToFloat(0x7f800000u)";
  if (v === Number.NEGATIVE_INFINITY) return "uintBitsToFloat(0xff800000u)";
  let text = String(Math.abs(v));
  if (!/[.e]/.test(text)) text += ".0";
  return v < 0 || Object.is(v, -0) ? `(-${text})` : text;
}

/** A GLSL int literal (−2³¹ has no literal form: it is written as −2147483647 − 1). */
export function intLiteral(value: number): string {
  if (value === -2147483648) return "(-2147483647 - 1)";
  return value < 0 ? `(${value})` : String(value);
}

/** A literal of the GLSL type of `dtype` (int for int32 and bool). */
export function typedLiteral(value: number, dtype: string): string {
  if (dtype === "float32") return floatLiteral(value);
  if (dtype === "bool") return value ? "1" : "0";
  // Values are stored as int32: the reference truncates toward zero.
  return intLiteral(Math.trunc(value) | 0);
}

/** The GLSL scalar type of a dtype. */
export function glslType(dtype: string): "float" | "int" {
  return dtype === "float32" ? "float" : "int";
}

/**
 * Drops extent-1 axes and merges neighbours walked as one (stride of the outer = stride of the
 * inner × its extent) in every stride vector.
 */
export function collapse(
  shape: Shape,
  patterns: readonly (readonly number[])[],
): { shape: number[]; patterns: number[][] } {
  const out: number[] = [];
  const strides: number[][] = patterns.map(() => []);
  for (let k = 0; k < shape.length; k++) {
    const extent = shape[k]!;
    if (extent === 1) continue;
    const last = out.length - 1;
    if (last >= 0 && patterns.every((p, q) => strides[q]![last] === p[k]! * extent)) {
      out[last]! *= extent;
      patterns.forEach((p, q) => {
        strides[q]![last] = p[k]!;
      });
    } else {
      out.push(extent);
      patterns.forEach((p, q) => {
        strides[q]!.push(p[k]!);
      });
    }
  }
  return { shape: out, patterns: strides };
}

/** `a + b` over GLSL int expressions, folding zeros. */
export function plus(a: string, b: string): string {
  if (a === "0") return b;
  if (b === "0") return a;
  return `${a} + ${b}`;
}

/** `a * n` for a literal n, folding 0 and 1. */
export function times(a: string, n: number): string {
  if (n === 0) return "0";
  if (n === 1) return a;
  return `(${a}) * ${intLiteral(n)}`;
}

/**
 * The GLSL int expression `offset + Σ_k coord_k(index) · strides[k]`, where coord_k is the k-th
 * coordinate of row-major flat `index` in `shape`: the flat index of the element an affine view
 * (broadcast: stride 0; transpose: permuted strides; slice: scaled strides and an offset) reads.
 */
export function affineIndex(
  index: string,
  shape: Shape,
  strides: readonly number[],
  offset = 0,
): string {
  const own = stridesOf(shape);
  const { shape: extents, patterns } = collapse(shape, [own, strides]);
  const [rowMajor, view] = patterns as [number[], number[]];
  let expr = offset === 0 ? "0" : String(offset);
  extents.forEach((extent, k) => {
    const stride = view[k]!;
    if (stride === 0) return;
    const walk = rowMajor[k]!;
    // The outermost axis needs no modulo, a unit-stride axis no division.
    let coord = walk === 1 ? `(${index})` : divBy(`(${index})`, walk);
    if (k > 0) coord = modBy(coord, extent);
    expr = plus(expr, times(coord, stride));
  });
  return expr;
}

/** True when the view is the identity (same elements in the same order). */
export function isIdentityView(shape: Shape, strides: readonly number[], offset = 0): boolean {
  return offset === 0 && affineIndex("i", shape, strides) === "(i)";
}

/**
 * Strides with which an operand of `shape` is read over `space` under NumPy broadcasting:
 * aligned at the trailing axis, 0 along broadcast axes.
 */
export function broadcastStrides(shape: Shape, space: Shape): number[] {
  const own = stridesOf(shape);
  const lead = space.length - shape.length;
  return space.map((_, k) => {
    const j = k - lead;
    return j < 0 || shape[j] === 1 ? 0 : own[j]!;
  });
}

/**
 * Statements declaring `int <names[k]>` = coordinate k of flat `index` in `shape` (all axes,
 * extent-1 ones included).
 */
export function unravel(index: string, shape: Shape, names: readonly string[]): string[] {
  const strides = stridesOf(shape);
  return shape.map((extent, k) => {
    const walk = strides[k]!;
    let coord = walk === 1 ? index : divBy(index, walk);
    if (k > 0) coord = modBy(`(${coord})`, extent);
    if (extent === 1) coord = "0";
    return `int ${names[k]} = ${coord};`;
  });
}

/**
 * `index / d` for a non-negative `index`: a shift when d is a power of two, because integer
 * division is slow in software GL (SwiftShader) and on many GPUs.
 */
export function divBy(index: string, d: number): string {
  if (d === 1) return index;
  return isPowerOfTwo(d) ? `(${index} >> ${Math.log2(d)})` : `(${index} / ${d})`;
}

/** `index % d` for a non-negative `index`: a mask when d is a power of two. */
export function modBy(index: string, d: number): string {
  return isPowerOfTwo(d) ? `(${index} & ${d - 1})` : `(${index} % ${d})`;
}

function isPowerOfTwo(d: number): boolean {
  return Number.isInteger(d) && d > 0 && (d & (d - 1)) === 0;
}

/** The `ivec2` texel coordinate of texel number `texel` (an int expression) in `layout`. */
export function texelCoord(texel: string, layout: TextureLayout): string {
  return layout.height === 1
    ? `ivec2(${texel}, 0)`
    : `ivec2(${modBy(texel, layout.width)}, ${divBy(texel, layout.width)})`;
}

/**
 * Element `index` (a non-negative int expression) of a packed texture: component index & 3 of
 * texel index >> 2.
 */
export function packedFetch(sampler: string, index: string, layout: TextureLayout): string {
  return `texelFetch(${sampler}, ${texelCoord(`(${index}) >> 2`, layout)}, 0)[(${index}) & 3]`;
}

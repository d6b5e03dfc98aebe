import { type DType, dtypeShortName } from "./dtype.js";

/** A static shape: one non-negative integer per axis, outermost first. `[]` is a scalar. */
export type Shape = readonly number[];

/** The static type of a graph value. */
export interface TensorType {
  readonly dtype: DType;
  readonly shape: Shape;
}

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** `[2,3]` */
export function formatShape(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/** `f32[2,3]` */
export function formatType(type: TensorType): string {
  return `${dtypeShortName(type.dtype)}${formatShape(type.shape)}`;
}

/** True when both shapes have the same rank and extents. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** True when `shape` is a list of non-negative safe integers. */
export function isValidShape(shape: unknown): shape is Shape {
  return Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
}

/**
 * NumPy broadcasting of several shapes (aligned at the trailing axis), or undefined when two
 * extents differ and neither is 1.
 */
export function tryBroadcastShapes(...shapes: Shape[]): number[] | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    const offset = rank - shape.length;
    for (let i = 0; i < shape.length; i++) {
      const d = shape[i]!;
      const o = out[offset + i]!;
      if (o === 1) out[offset + i] = d;
      else if (d !== 1 && d !== o) return undefined;
    }
  }
  return out;
}

/**
 * Normalises a possibly negative axis against `rank`, or returns undefined when it is out of
 * range (callers raise the error, so it can name the op).
 */
export function tryNormalizeAxis(axis: number, rank: number): number | undefined {
  if (!Number.isInteger(axis)) return undefined;
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
}

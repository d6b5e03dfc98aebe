import type { RefTensor } from "../op-def.js";
import { type Shape, sizeOf, stridesOf } from "../shape.js";

// Small building blocks for the float64 reference kernels. Clarity over speed: these are the
// oracle, not the product.

/** A reference tensor of `shape` from data. */
export function refTensor(shape: Shape, data: Float64Array): RefTensor {
  return { shape: [...shape], data };
}

/** Applies `fn` to every element. */
export function mapUnary(x: RefTensor, fn: (v: number) => number): RefTensor {
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = fn(x.data[i]!);
  return refTensor(x.shape, out);
}

/**
 * For each input, the flat index into it for every flat index of `outShape` under NumPy
 * broadcasting (inputs aligned at the trailing axis, size-1 axes repeated).
 */
export function broadcastIndices(inputShapes: readonly Shape[], outShape: Shape): Int32Array[] {
  const n = sizeOf(outShape);
  const rank = outShape.length;
  const outStrides = stridesOf(outShape);
  return inputShapes.map((shape) => {
    const strides = stridesOf(shape);
    const offset = rank - shape.length;
    const map = new Int32Array(n);
    for (let flat = 0; flat < n; flat++) {
      let rem = flat;
      let src = 0;
      for (let axis = 0; axis < rank; axis++) {
        const coord = Math.floor(rem / outStrides[axis]!);
        rem -= coord * outStrides[axis]!;
        const inAxis = axis - offset;
        if (inAxis >= 0 && shape[inAxis] !== 1) src += coord * strides[inAxis]!;
      }
      map[flat] = src;
    }
    return map;
  });
}

/** Applies `fn` elementwise over broadcast inputs, producing `outShape`. */
export function mapBroadcast(
  inputs: readonly RefTensor[],
  outShape: Shape,
  fn: (...values: number[]) => number,
): RefTensor {
  const maps = broadcastIndices(
    inputs.map((t) => t.shape),
    outShape,
  );
  const out = new Float64Array(sizeOf(outShape));
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < out.length; i++) {
    for (let k = 0; k < inputs.length; k++) args[k] = inputs[k]!.data[maps[k]![i]!]!;
    out[i] = fn(...args);
  }
  return refTensor(outShape, out);
}

/** Unravels a flat row-major index into coordinates. */
export function unravel(flat: number, shape: Shape): number[] {
  const coords = new Array<number>(shape.length);
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const d = shape[axis]!;
    coords[axis] = d === 0 ? 0 : flat % d;
    flat = d === 0 ? 0 : Math.floor(flat / d);
  }
  return coords;
}

/** The flat row-major index of coordinates. */
export function ravel(coords: readonly number[], shape: Shape): number {
  let flat = 0;
  for (let axis = 0; axis < shape.length; axis++) flat = flat * shape[axis]! + coords[axis]!;
  return flat;
}

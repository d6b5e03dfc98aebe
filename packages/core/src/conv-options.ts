import type { Padding2d, Pair } from "./op-attrs.js";
import type { Shape } from "./shape.js";

/** A spatial attribute given as one number for both axes or a `[height, width]` pair. */
export type Spatial = number | readonly [number, number];

/**
 * Padding as users write it: `"valid"` (none), `"same"` (output = ceil(input / stride), extra
 * padding at the bottom/right as in TensorFlow), one number for every side, a per-axis pair, or
 * explicit `[[top, bottom], [left, right]]`.
 */
export type PaddingOption =
  | "valid"
  | "same"
  | number
  | readonly [number, number]
  | readonly [readonly [number, number], readonly [number, number]];

/** Expands a spatial option to a pair; anything else passes through for attribute validation to reject. */
export function toPair(value: Spatial | undefined, fallback: number): Pair {
  if (value === undefined) return [fallback, fallback];
  if (typeof value === "number") return [value, value];
  return value as Pair;
}

/**
 * Resolves a padding option to explicit `[[top, bottom], [left, right]]` for an input of spatial
 * size `inputHW` and a window of `windowHW` (dilation already applied). Unrecognised options
 * pass through unchanged so the op's attribute check reports them.
 */
export function resolvePadding(
  padding: PaddingOption | undefined,
  inputShape: Shape,
  windowHW: Pair,
  strides: Pair,
): Padding2d {
  if (padding === undefined || padding === "valid")
    return [
      [0, 0],
      [0, 0],
    ];
  if (typeof padding === "number")
    return [
      [padding, padding],
      [padding, padding],
    ];
  if (padding === "same") {
    if (inputShape.length !== 4)
      return [
        [0, 0],
        [0, 0],
      ];
    return [
      samePadding(inputShape[2]!, windowHW[0], strides[0]),
      samePadding(inputShape[3]!, windowHW[1], strides[1]),
    ];
  }
  if (
    Array.isArray(padding) &&
    padding.length === 2 &&
    padding.every((p) => typeof p === "number")
  ) {
    const [h, w] = padding as readonly [number, number];
    return [
      [h, h],
      [w, w],
    ];
  }
  return padding as unknown as Padding2d;
}

/** TensorFlow's "same": output ceil(in / s); total padding split with the extra at the end. */
function samePadding(size: number, window: number, stride: number): Pair {
  if (!(stride >= 1)) return [0, 0];
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + window - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** The extent of a dilated window: `(k - 1) · d + 1`. */
export function dilatedWindow(kernel: Pair, dilations: Pair): Pair {
  return [(kernel[0] - 1) * dilations[0] + 1, (kernel[1] - 1) * dilations[1] + 1];
}

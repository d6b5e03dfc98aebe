import type { Padding2d, Pair } from "../op-attrs.js";
import type { InvalidOpSample, OpSample, SampleFamily } from "../op-samples.js";
import type { Rng } from "../random.js";
import type { Shape, TensorType } from "../shape.js";
import type { PoolOp } from "./pool.js";

const f32 = (...shape: Shape): TensorType => ({ dtype: "float32", shape });

/** A valid pooling use; padding is drawn below the kernel and the input just large enough. */
function poolSample(
  rng: Rng,
  spec: { kernel?: Pair; strides?: Pair; padding?: Padding2d } = {},
  extra: Readonly<Record<string, unknown>> = {},
): OpSample {
  const kernel = spec.kernel ?? [1 + rng.int(3), 1 + rng.int(3)];
  const strides = spec.strides ?? [1 + rng.int(3), 1 + rng.int(3)];
  // each side below the kernel, so every window holds a real element
  const side = (axis: 0 | 1): Pair => [rng.int(kernel[axis]), rng.int(kernel[axis])];
  const pads: Padding2d = spec.padding ?? [side(0), side(1)];
  const extent = (axis: 0 | 1) =>
    Math.max(1, kernel[axis] - pads[axis][0] - pads[axis][1]) + rng.int(5);
  return {
    inputs: [f32(1 + rng.int(2), 1 + rng.int(3), extent(0), extent(1))],
    attrs: { kernel, strides, padding: pads, ...extra },
  };
}

const NO_PADDING: Padding2d = [
  [0, 0],
  [0, 0],
];

/** Invalid uses shared by both pooling ops (`extra` completes the attributes). */
function invalidPool(extra: Readonly<Record<string, unknown>>): InvalidOpSample[] {
  const attrs = (a: Readonly<Record<string, unknown>>) => ({
    kernel: [2, 2],
    strides: [2, 2],
    padding: NO_PADDING,
    ...extra,
    ...a,
  });
  return [
    { inputs: [f32(1, 4, 4)], attrs: attrs({}), code: "NNC2008", why: "input of rank 3" },
    {
      inputs: [f32(1, 1, 4, 4)],
      attrs: attrs({
        padding: [
          [2, 0],
          [0, 0],
        ],
      }),
      code: "NNC2007",
      why: "padding as large as the kernel",
    },
    {
      inputs: [f32(1, 1, 2, 4)],
      attrs: attrs({ kernel: [3, 2] }),
      code: "NNC2007",
      why: "window 3 over 2 rows",
    },
    { inputs: [f32(1, 1, 0, 4)], attrs: attrs({}), code: "NNC2007", why: "no rows" },
    {
      inputs: [{ dtype: "int32", shape: [1, 1, 4, 4] }],
      attrs: attrs({}),
      code: "NNC2002",
      why: "int32 input",
    },
    {
      inputs: [f32(1, 1, 4, 4)],
      attrs: attrs({ kernel: [0, 2] }),
      code: "NNC1002",
      why: "kernel 0",
    },
    {
      inputs: [f32(1, 1, 4, 4)],
      attrs: attrs({ stride: 2 }),
      code: "NNC1002",
      why: "unknown attribute",
    },
  ];
}

/** Generic test material for max_pool2d and avg_pool2d. */
export const poolSamples: SampleFamily<PoolOp> = {
  max_pool2d: {
    valid: (rng) => [
      poolSample(rng),
      poolSample(rng, { kernel: [2, 2], strides: [2, 2], padding: NO_PADDING }),
      // overlapping windows (S8: size 2, stride 1)
      poolSample(rng, { kernel: [2, 2], strides: [1, 1] }),
      poolSample(rng, { kernel: [3, 2], strides: [2, 3] }),
      poolSample(rng, { kernel: [1, 1], strides: [1, 1], padding: NO_PADDING }),
    ],
    invalid: invalidPool({}),
  },
  avg_pool2d: {
    valid: (rng) => [
      poolSample(rng, {}, { countIncludePad: false }),
      poolSample(rng, {}, { countIncludePad: true }),
      poolSample(rng, { kernel: [2, 2], strides: [1, 1] }, { countIncludePad: false }),
      poolSample(
        rng,
        {
          kernel: [3, 3],
          strides: [2, 2],
          padding: [
            [1, 2],
            [2, 1],
          ],
        },
        { countIncludePad: true },
      ),
      poolSample(
        rng,
        { kernel: [2, 3], strides: [2, 1], padding: NO_PADDING },
        { countIncludePad: false },
      ),
    ],
    invalid: [
      ...invalidPool({ countIncludePad: false }),
      {
        inputs: [f32(1, 1, 4, 4)],
        attrs: { kernel: [2, 2], strides: [2, 2], padding: NO_PADDING },
        code: "NNC1002",
        why: "countIncludePad missing",
      },
    ],
  },
};

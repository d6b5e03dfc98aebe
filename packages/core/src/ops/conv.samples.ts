import type { Padding2d, Pair } from "../op-attrs.js";
import type { OpSample, SampleFamily } from "../op-samples.js";
import type { Rng } from "../random.js";
import type { Shape, TensorType } from "../shape.js";
import type { ConvOp } from "./conv.js";

const f32 = (...shape: Shape): TensorType => ({ dtype: "float32", shape });

/** What a random convolution sample may fix; everything else is drawn. */
interface ConvSpec {
  readonly groups?: number;
  /** Input channels per group. */
  readonly inPerGroup?: number;
  /** Output channels per group. */
  readonly outPerGroup?: number;
  readonly kernel?: Pair;
  readonly strides?: Pair;
  readonly dilations?: Pair;
  readonly padding?: Padding2d;
}

interface DrawnConv {
  readonly groups: number;
  readonly inPerGroup: number;
  readonly outPerGroup: number;
  readonly kernel: Pair;
  readonly strides: Pair;
  readonly dilations: Pair;
  readonly padding: Padding2d;
  readonly batch: number;
}

function draw(rng: Rng, spec: ConvSpec): DrawnConv {
  const pair = (max: number, min = 1): Pair => [
    min + rng.int(max - min + 1),
    min + rng.int(max - min + 1),
  ];
  const side = (): Pair => [rng.int(3), rng.int(3)];
  return {
    groups: spec.groups ?? 1,
    inPerGroup: spec.inPerGroup ?? 1 + rng.int(3),
    outPerGroup: spec.outPerGroup ?? 1 + rng.int(3),
    kernel: spec.kernel ?? pair(3),
    strides: spec.strides ?? pair(3),
    dilations: spec.dilations ?? pair(2),
    padding: spec.padding ?? [side(), side()],
    batch: 1 + rng.int(2),
  };
}

function window(c: DrawnConv, axis: 0 | 1): number {
  return (c.kernel[axis] - 1) * c.dilations[axis] + 1;
}

/** A valid conv2d use: spatial extents drawn just large enough for at least one output. */
function conv2dSample(rng: Rng, spec: ConvSpec = {}): OpSample {
  const c = draw(rng, spec);
  const extent = (axis: 0 | 1) =>
    Math.max(1, window(c, axis) - c.padding[axis][0] - c.padding[axis][1]) + rng.int(4);
  return {
    inputs: [
      f32(c.batch, c.groups * c.inPerGroup, extent(0), extent(1)),
      f32(c.groups * c.outPerGroup, c.inPerGroup, c.kernel[0], c.kernel[1]),
    ],
    attrs: { strides: c.strides, padding: c.padding, dilations: c.dilations, groups: c.groups },
  };
}

/** A valid conv2d_transpose use: input extents drawn so the cropping leaves an output. */
function conv2dTransposeSample(rng: Rng, spec: ConvSpec = {}): OpSample {
  const c = draw(rng, spec);
  const outputPadding: Pair = [
    rng.int(Math.max(c.strides[0], c.dilations[0])),
    rng.int(Math.max(c.strides[1], c.dilations[1])),
  ];
  const extent = (axis: 0 | 1) => {
    const cropped = c.padding[axis][0] + c.padding[axis][1] - window(c, axis) - outputPadding[axis];
    // (in − 1)·s + window + outputPadding − pads ≥ 1
    return 1 + Math.max(0, Math.ceil((cropped + 1) / c.strides[axis])) + rng.int(3);
  };
  return {
    inputs: [
      f32(c.batch, c.groups * c.inPerGroup, extent(0), extent(1)),
      f32(c.groups * c.inPerGroup, c.outPerGroup, c.kernel[0], c.kernel[1]),
    ],
    attrs: {
      strides: c.strides,
      padding: c.padding,
      dilations: c.dilations,
      groups: c.groups,
      outputPadding,
    },
  };
}

const conv = (attrs: Partial<Record<string, unknown>> = {}) => ({
  strides: [1, 1],
  padding: [
    [0, 0],
    [0, 0],
  ],
  dilations: [1, 1],
  groups: 1,
  ...attrs,
});

/** Generic test material for conv2d and conv2d_transpose. */
export const convSamples: SampleFamily<ConvOp> = {
  conv2d: {
    valid: (rng) => [
      conv2dSample(rng),
      conv2dSample(rng, { kernel: [1, 1], strides: [1, 1], dilations: [1, 1] }),
      conv2dSample(rng, {
        strides: [3, 2],
        dilations: [2, 1],
        padding: [
          [2, 0],
          [0, 1],
        ],
      }),
      conv2dSample(rng, { groups: 2 }),
      // depthwise with a channel multiplier of 2
      conv2dSample(rng, { groups: 3, inPerGroup: 1, outPerGroup: 2 }),
      conv2dSample(rng, {
        kernel: [3, 1],
        padding: [
          [0, 0],
          [0, 0],
        ],
      }),
    ],
    invalid: [
      {
        inputs: [f32(1, 8, 8), f32(2, 1, 3, 3)],
        attrs: conv(),
        code: "NNC2008",
        why: "input of rank 3",
      },
      {
        inputs: [f32(1, 1, 8, 8), f32(2, 3, 3)],
        attrs: conv(),
        code: "NNC2008",
        why: "kernel of rank 3",
      },
      {
        inputs: [f32(1, 1, 8, 8), f32(2, 1, 0, 3)],
        attrs: conv(),
        code: "NNC2008",
        why: "empty kernel window",
      },
      {
        inputs: [f32(1, 3, 8, 8), f32(2, 4, 3, 3)],
        attrs: conv(),
        code: "NNC2006",
        why: "3 channels for a kernel expecting 4",
      },
      {
        inputs: [f32(1, 6, 8, 8), f32(4, 2, 3, 3)],
        attrs: conv({ groups: 4 }),
        code: "NNC2006",
        why: "6 channels in 4 groups",
      },
      {
        inputs: [f32(1, 4, 8, 8), f32(3, 2, 3, 3)],
        attrs: conv({ groups: 2 }),
        code: "NNC2006",
        why: "3 output channels in 2 groups",
      },
      {
        inputs: [f32(1, 1, 4, 8), f32(1, 1, 3, 3)],
        attrs: conv({ dilations: [2, 1] }),
        code: "NNC2007",
        why: "dilated window 5 over 4 rows",
      },
      {
        inputs: [
          { dtype: "int32", shape: [1, 1, 4, 4] },
          { dtype: "int32", shape: [1, 1, 3, 3] },
        ],
        attrs: conv(),
        code: "NNC2002",
        why: "int32 operands",
      },
      {
        inputs: [f32(1, 1, 4, 4), f32(1, 1, 3, 3)],
        attrs: conv({ strides: [0, 1] }),
        code: "NNC1002",
        why: "stride 0",
      },
      {
        inputs: [f32(1, 1, 4, 4), f32(1, 1, 3, 3)],
        attrs: conv({ padding: [1, 1] }),
        code: "NNC1002",
        why: "padding not in canonical form",
      },
      {
        inputs: [f32(1, 1, 4, 4), f32(1, 1, 3, 3)],
        attrs: conv({ groups: 0 }),
        code: "NNC1002",
        why: "zero groups",
      },
      {
        inputs: [f32(1, 1, 4, 4), f32(1, 1, 3, 3)],
        attrs: conv({ stride: [1, 1] }),
        code: "NNC1002",
        why: "unknown attribute",
      },
    ],
  },
  conv2d_transpose: {
    valid: (rng) => [
      conv2dTransposeSample(rng),
      conv2dTransposeSample(rng, { strides: [2, 2], kernel: [2, 2], dilations: [1, 1] }),
      conv2dTransposeSample(rng, {
        strides: [1, 3],
        dilations: [2, 2],
        padding: [
          [1, 0],
          [0, 2],
        ],
      }),
      conv2dTransposeSample(rng, { groups: 2 }),
      conv2dTransposeSample(rng, { groups: 3, inPerGroup: 1, outPerGroup: 1 }),
    ],
    invalid: [
      {
        inputs: [f32(1, 2, 4, 4), f32(3, 1, 3, 3)],
        attrs: conv({ outputPadding: [0, 0] }),
        code: "NNC2006",
        why: "2 channels for a kernel expecting 3",
      },
      {
        inputs: [f32(1, 3, 4, 4), f32(3, 1, 3, 3)],
        attrs: conv({ groups: 2, outputPadding: [0, 0] }),
        code: "NNC2006",
        why: "3 channels in 2 groups",
      },
      {
        inputs: [f32(1, 1, 4, 4), f32(1, 1, 3, 3)],
        attrs: conv({ strides: [2, 2], outputPadding: [2, 0] }),
        code: "NNC1002",
        why: "output padding not below the stride",
      },
      {
        inputs: [f32(1, 1, 1, 4), f32(1, 1, 2, 2)],
        attrs: conv({
          padding: [
            [1, 1],
            [0, 0],
          ],
          outputPadding: [0, 0],
        }),
        code: "NNC2007",
        why: "padding crops the whole output",
      },
      {
        inputs: [f32(1, 4, 4), f32(1, 1, 3, 3)],
        attrs: conv({ outputPadding: [0, 0] }),
        code: "NNC2008",
        why: "input of rank 3",
      },
      {
        inputs: [
          { dtype: "int32", shape: [1, 1, 4, 4] },
          { dtype: "int32", shape: [1, 1, 3, 3] },
        ],
        attrs: conv({ outputPadding: [0, 0] }),
        code: "NNC2002",
        why: "int32 operands",
      },
      {
        inputs: [f32(1, 1, 4, 4), f32(1, 1, 3, 3)],
        attrs: conv(),
        code: "NNC1002",
        why: "outputPadding missing",
      },
    ],
  },
};

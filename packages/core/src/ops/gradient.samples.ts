import type { DType } from "../dtype.js";
import type { Padding2d, Pair } from "../op-attrs.js";
import type { InvalidOpSample, OpSample, SampleFamily } from "../op-samples.js";
import type { Rng } from "../random.js";
import type { Shape, TensorType } from "../shape.js";
import type { GradientOp } from "./gradient.js";
import { randomShape } from "./reduce.samples.js";

const f32 = (...shape: Shape): TensorType => ({ dtype: "float32", shape });
const i32 = (...shape: Shape): TensorType => ({ dtype: "int32", shape });

const NO_PADDING: Padding2d = [
  [0, 0],
  [0, 0],
];

/** Sliding-window output extent over a padded axis (the caller keeps it ≥ 1). */
function slide(size: number, [before, after]: Pair, window: number, stride: number): number {
  return Math.floor((size + before + after - window) / stride) + 1;
}

/** What a conv2d_backward_kernel sample may fix; the rest is drawn. */
interface KernelSpec {
  readonly groups?: number;
  readonly inPerGroup?: number;
  readonly outPerGroup?: number;
  readonly kernel?: Pair;
  readonly strides?: Pair;
  readonly dilations?: Pair;
  readonly padding?: Padding2d;
}

/**
 * A valid conv2d_backward_kernel use: conv2d's input drawn just large enough for an output, and
 * the cotangent of exactly conv2d's output shape.
 */
function kernelSample(rng: Rng, spec: KernelSpec = {}): OpSample {
  const pair = (max: number): Pair => [1 + rng.int(max), 1 + rng.int(max)];
  const groups = spec.groups ?? 1;
  const inPerGroup = spec.inPerGroup ?? 1 + rng.int(3);
  const outPerGroup = spec.outPerGroup ?? 1 + rng.int(3);
  const kernel = spec.kernel ?? pair(3);
  const strides = spec.strides ?? pair(3);
  const dilations = spec.dilations ?? pair(2);
  const padding = spec.padding ?? [
    [rng.int(3), rng.int(3)],
    [rng.int(3), rng.int(3)],
  ];
  const window = (axis: 0 | 1) => (kernel[axis] - 1) * dilations[axis] + 1;
  const size = (axis: 0 | 1) =>
    Math.max(1, window(axis) - padding[axis][0] - padding[axis][1]) + rng.int(4);
  const [h, w] = [size(0), size(1)];
  const n = 1 + rng.int(2);
  return {
    inputs: [
      f32(n, groups * inPerGroup, h, w),
      f32(
        n,
        groups * outPerGroup,
        slide(h, padding[0], window(0), strides[0]),
        slide(w, padding[1], window(1), strides[1]),
      ),
    ],
    attrs: { strides, padding, dilations, groups, kernel },
  };
}

/** Pooling windows drawn as in the pool samples: each padding side below the kernel. */
function drawPool(rng: Rng, fixed: { kernel?: Pair; strides?: Pair; padding?: Padding2d }) {
  const kernel = fixed.kernel ?? [1 + rng.int(3), 1 + rng.int(3)];
  const strides = fixed.strides ?? [1 + rng.int(3), 1 + rng.int(3)];
  const side = (axis: 0 | 1): Pair => [rng.int(kernel[axis]), rng.int(kernel[axis])];
  const padding: Padding2d = fixed.padding ?? [side(0), side(1)];
  const extent = (axis: 0 | 1) =>
    Math.max(1, kernel[axis] - padding[axis][0] - padding[axis][1]) + rng.int(5);
  const inputShape: Pair = [extent(0), extent(1)];
  const pooled: Pair = [
    slide(inputShape[0], padding[0], kernel[0], strides[0]),
    slide(inputShape[1], padding[1], kernel[1], strides[1]),
  ];
  return { kernel, strides, padding, inputShape, pooled, n: 1 + rng.int(2), c: 1 + rng.int(3) };
}

function avgBackwardSample(
  rng: Rng,
  countIncludePad: boolean,
  fixed: { kernel?: Pair; strides?: Pair; padding?: Padding2d } = {},
): OpSample {
  const p = drawPool(rng, fixed);
  return {
    inputs: [f32(p.n, p.c, ...p.pooled)],
    attrs: {
      kernel: p.kernel,
      strides: p.strides,
      padding: p.padding,
      countIncludePad,
      inputShape: p.inputShape,
    },
  };
}

function argmaxSample(
  rng: Rng,
  fixed: { kernel?: Pair; strides?: Pair; padding?: Padding2d } = {},
): OpSample {
  const p = drawPool(rng, fixed);
  return {
    inputs: [f32(p.n, p.c, ...p.inputShape)],
    attrs: { kernel: p.kernel, strides: p.strides, padding: p.padding },
  };
}

/**
 * A gather_spatial (or, `scatter`, scatter_add_spatial) use over planes of h×w; indices drawn
 * from [low, h·w + high), so some fall outside the plane when low < 0 or high > 0.
 */
function spatialSample(
  rng: Rng,
  scatter: boolean,
  [h, w]: Pair,
  [oh, ow]: Pair,
  [low, high]: Pair,
): OpSample {
  const n = 1 + rng.int(2);
  const c = 1 + rng.int(3);
  const ranges = [undefined, [low, h * w + high] as const];
  if (scatter) {
    return {
      inputs: [f32(n, c, oh, ow), i32(n, c, oh, ow)],
      attrs: { inputShape: [h, w] },
      ranges,
    };
  }
  return { inputs: [f32(n, c, h, w), i32(n, c, oh, ow)], attrs: {}, ranges };
}

const CONV = {
  strides: [1, 1],
  padding: NO_PADDING,
  dilations: [1, 1],
  groups: 1,
  kernel: [2, 2],
};

const POOL = { kernel: [2, 2], strides: [2, 2], padding: NO_PADDING, countIncludePad: false };

const invalidKernel: InvalidOpSample[] = [
  {
    inputs: [f32(1, 2, 4, 4), f32(1, 3, 3, 2)],
    attrs: CONV,
    code: "NNC2008",
    why: "cotangent narrower than conv2d's 3×3 output",
  },
  {
    inputs: [f32(2, 2, 4, 4), f32(1, 3, 3, 3)],
    attrs: CONV,
    code: "NNC2008",
    why: "cotangent batch 1 for input batch 2",
  },
  {
    inputs: [f32(1, 3, 4, 4), f32(1, 2, 3, 3)],
    attrs: { ...CONV, groups: 2 },
    code: "NNC2006",
    why: "3 input channels in 2 groups",
  },
  {
    inputs: [f32(1, 4, 4, 4), f32(1, 3, 3, 3)],
    attrs: { ...CONV, groups: 2 },
    code: "NNC2006",
    why: "3 cotangent channels in 2 groups",
  },
  {
    inputs: [f32(1, 1, 2, 2), f32(1, 1, 1, 1)],
    attrs: { ...CONV, kernel: [3, 3] },
    code: "NNC2007",
    why: "3×3 kernel over a 2×2 input",
  },
  {
    inputs: [f32(2, 4, 4), f32(1, 3, 3, 3)],
    attrs: CONV,
    code: "NNC2008",
    why: "input of rank 3",
  },
  {
    inputs: [{ dtype: "int32", shape: [1, 2, 4, 4] }, f32(1, 3, 3, 3)],
    attrs: CONV,
    code: "NNC2002",
    why: "int32 input",
  },
  {
    inputs: [f32(1, 2, 4, 4), f32(1, 3, 3, 3)],
    attrs: { ...CONV, kernel: [0, 2] },
    code: "NNC1002",
    why: "kernel extent 0",
  },
  {
    inputs: [f32(1, 2, 4, 4), f32(1, 3, 3, 3)],
    attrs: { strides: [1, 1], padding: NO_PADDING, dilations: [1, 1], groups: 1 },
    code: "NNC1002",
    why: "kernel missing",
  },
  {
    inputs: [f32(1, 2, 4, 4)],
    attrs: CONV,
    code: "NNC1003",
    why: "one operand",
  },
];

const invalidAvgBackward: InvalidOpSample[] = [
  {
    inputs: [f32(1, 1, 2, 3)],
    attrs: { ...POOL, inputShape: [4, 4] },
    code: "NNC2008",
    why: "cotangent 2×3 for a 2×2 pooled 4×4",
  },
  {
    inputs: [f32(1, 1, 2, 2)],
    attrs: {
      ...POOL,
      padding: [
        [2, 0],
        [0, 0],
      ],
      inputShape: [4, 4],
    },
    code: "NNC2007",
    why: "padding as large as the kernel",
  },
  {
    inputs: [f32(1, 1, 1, 1)],
    attrs: { ...POOL, kernel: [3, 3], inputShape: [2, 2] },
    code: "NNC2007",
    why: "window 3 over 2 rows",
  },
  {
    inputs: [f32(1, 2, 2)],
    attrs: { ...POOL, inputShape: [4, 4] },
    code: "NNC2008",
    why: "rank 3",
  },
  {
    inputs: [i32(1, 1, 2, 2)],
    attrs: { ...POOL, inputShape: [4, 4] },
    code: "NNC2002",
    why: "int32 cotangent",
  },
  { inputs: [f32(1, 1, 2, 2)], attrs: POOL, code: "NNC1002", why: "inputShape missing" },
  {
    inputs: [f32(1, 1, 2, 2)],
    attrs: { ...POOL, inputShape: [4, -4] },
    code: "NNC1002",
    why: "negative inputShape",
  },
];

const ARGMAX_POOL = { kernel: [2, 2], strides: [2, 2], padding: NO_PADDING };

const invalidArgmax: InvalidOpSample[] = [
  { inputs: [f32(1, 4, 4)], attrs: ARGMAX_POOL, code: "NNC2008", why: "input of rank 3" },
  {
    inputs: [f32(1, 1, 2, 4)],
    attrs: { ...ARGMAX_POOL, kernel: [3, 2] },
    code: "NNC2007",
    why: "window 3 over 2 rows",
  },
  { inputs: [i32(1, 1, 4, 4)], attrs: ARGMAX_POOL, code: "NNC2002", why: "int32 input" },
  {
    inputs: [f32(1, 1, 4, 4)],
    attrs: { ...ARGMAX_POOL, countIncludePad: false },
    code: "NNC1002",
    why: "avg_pool2d's countIncludePad",
  },
];

/** Invalid uses of gather_spatial (`scatter` false) or scatter_add_spatial. */
function invalidSpatial(scatter: boolean): InvalidOpSample[] {
  const attrs = scatter ? { inputShape: [3, 3] } : {};
  const first = (dtype: DType, ...shape: Shape): TensorType => ({
    dtype,
    shape: scatter ? shape : [shape[0]!, shape[1]!, 3, 3],
  });
  return [
    {
      inputs: [first("float32", 1, 2, 2, 2), { dtype: "float32", shape: [1, 2, 2, 2] }],
      attrs,
      code: "NNC2002",
      why: "float indices",
    },
    {
      inputs: [first("int32", 1, 2, 2, 2), i32(1, 2, 2, 2)],
      attrs,
      code: "NNC2002",
      why: "int32 values",
    },
    {
      inputs: [first("float32", 1, 2, 2, 2), i32(1, 3, 2, 2)],
      attrs,
      code: scatter ? "NNC2008" : "NNC2006",
      why: "indices with 3 channels for 2",
    },
    {
      inputs: [first("float32", 2, 2, 2, 2), i32(1, 2, 2, 2)],
      attrs,
      code: "NNC2008",
      why: "indices with batch 1 for 2",
    },
    {
      inputs: [f32(2, 2, 3), i32(2, 2, 3)],
      attrs,
      code: "NNC2008",
      why: "rank 3",
    },
    {
      inputs: [first("float32", 1, 2, 2, 2), i32(1, 2, 2, 2)],
      attrs: scatter ? {} : { inputShape: [3, 3] },
      code: "NNC1002",
      why: scatter ? "inputShape missing" : "an attribute it does not take",
    },
  ];
}

/** Generic test material for the autodiff primitives. */
export const gradientSamples: SampleFamily<GradientOp> = {
  stop_gradient: {
    valid: (rng) => [
      ...[0, 1, 3, 4].map((rank) => ({ inputs: [f32(...randomShape(rng, rank))], attrs: {} })),
      { inputs: [i32(2, 3)], attrs: {}, ranges: [[-5, 5] as const] },
      { inputs: [{ dtype: "bool", shape: [3] }], attrs: {} },
    ],
    invalid: [
      { inputs: [f32(2)], attrs: { axis: 0 }, code: "NNC1002", why: "an attribute" },
      { inputs: [f32(2), f32(2)], attrs: {}, code: "NNC1003", why: "two operands" },
    ],
  },
  conv2d_backward_kernel: {
    valid: (rng) => [
      kernelSample(rng),
      kernelSample(rng, { kernel: [1, 1], strides: [1, 1], dilations: [1, 1] }),
      kernelSample(rng, {
        strides: [3, 2],
        dilations: [2, 1],
        padding: [
          [2, 0],
          [0, 1],
        ],
      }),
      kernelSample(rng, { groups: 2 }),
      // depthwise: one input channel per group
      kernelSample(rng, { groups: 3, inPerGroup: 1, outPerGroup: 2, kernel: [3, 3] }),
      // S1: 3×3 input, 2×2 kernel, stride 1, no padding
      kernelSample(rng, {
        kernel: [2, 2],
        strides: [1, 1],
        dilations: [1, 1],
        padding: NO_PADDING,
        inPerGroup: 1,
        outPerGroup: 1,
      }),
    ],
    invalid: invalidKernel,
  },
  avg_pool2d_backward: {
    valid: (rng) => [
      avgBackwardSample(rng, false),
      avgBackwardSample(rng, true),
      avgBackwardSample(rng, false, { kernel: [2, 2], strides: [1, 1] }),
      avgBackwardSample(rng, true, {
        kernel: [3, 3],
        strides: [2, 2],
        padding: [
          [1, 2],
          [2, 1],
        ],
      }),
      avgBackwardSample(rng, false, { kernel: [2, 3], strides: [2, 1], padding: NO_PADDING }),
    ],
    invalid: invalidAvgBackward,
  },
  max_pool2d_argmax: {
    valid: (rng) => [
      argmaxSample(rng),
      argmaxSample(rng, { kernel: [2, 2], strides: [2, 2], padding: NO_PADDING }),
      argmaxSample(rng, { kernel: [2, 2], strides: [1, 1] }),
      argmaxSample(rng, { kernel: [3, 2], strides: [2, 3] }),
      argmaxSample(rng, { kernel: [1, 1], strides: [1, 1], padding: NO_PADDING }),
    ],
    invalid: invalidArgmax,
  },
  gather_spatial: {
    valid: (rng) => [
      spatialSample(rng, false, [3, 4], [2, 2], [0, 0]),
      spatialSample(rng, false, [4, 4], [2, 2], [0, 0]),
      spatialSample(rng, false, [2, 3], [3, 5], [-2, 3]),
      spatialSample(rng, false, [1, 1], [1, 2], [0, 0]),
    ],
    invalid: invalidSpatial(false),
  },
  scatter_add_spatial: {
    valid: (rng) => [
      spatialSample(rng, true, [3, 4], [2, 2], [0, 0]),
      spatialSample(rng, true, [4, 4], [2, 2], [0, 0]),
      spatialSample(rng, true, [2, 3], [3, 5], [-2, 3]),
      spatialSample(rng, true, [5, 2], [1, 1], [0, 0]),
    ],
    invalid: invalidSpatial(true),
  },
};

import type { DType } from "../dtype.js";
import type { InvalidOpSample, OpSample, OpSamples, SampleFamily } from "../op-samples.js";
import type { Rng } from "../random.js";
import type { Shape, TensorType } from "../shape.js";
import type { ElementwiseOp } from "./elementwise.js";

type Range = readonly [number, number];
type Attrs = Readonly<Record<string, unknown>>;

const t = (dtype: DType, ...shape: number[]): TensorType => ({ dtype, shape });
const f32 = (...shape: number[]) => t("float32", ...shape);
const i32 = (...shape: number[]) => t("int32", ...shape);
const bool = (...shape: number[]) => t("bool", ...shape);

/** A random shape of `rank` with extents in [1, 5] (at most 625 elements). */
function randomShape(rng: Rng, rank: number): number[] {
  return Array.from({ length: rank }, () => 1 + rng.int(5));
}

/** `count` shapes that broadcast to a random shape of rank `rank`: suffixes with some extents 1. */
function broadcastShapes(rng: Rng, rank: number, count: number): Shape[] {
  const out = randomShape(rng, rank).map((d) => d + 1);
  return Array.from({ length: count }, () => {
    const suffix = out.slice(rng.int(rank + 1));
    return suffix.map((d) => (rng.next() < 0.35 ? 1 : d));
  });
}

// ---- unary ------------------------------------------------------------------------------------

interface UnarySampleSpec {
  /** Attribute variants, cycled through the samples (default: none). */
  readonly attrs?: readonly Attrs[];
  /** Data ranges, cycled through the samples (default [-2, 2)). */
  readonly ranges?: readonly Range[];
  /** The op also accepts int32. */
  readonly int?: boolean;
  /** Extra invalid attribute cases. */
  readonly badAttrs?: readonly (readonly [Attrs, string])[];
}

function unarySamples(spec: UnarySampleSpec = {}): OpSamples {
  const attrVariants = spec.attrs ?? [{}];
  const base = attrVariants[0]!;
  const ranges = spec.ranges ?? [];
  return {
    valid: (rng) => {
      const samples: OpSample[] = [0, 1, 2, 3, 4].map((rank, i) => {
        const range = ranges.length ? ranges[i % ranges.length] : undefined;
        return {
          inputs: [f32(...randomShape(rng, rank))],
          attrs: attrVariants[i % attrVariants.length]!,
          ...(range && { ranges: [range] }),
        };
      });
      if (spec.int) samples.push({ inputs: [i32(3, 4)], attrs: base, ranges: [[-50, 50]] });
      return samples;
    },
    invalid: [
      { inputs: [f32(2), f32(2)], attrs: base, code: "NNC1003", why: "two operands" },
      { inputs: [], attrs: base, code: "NNC1003", why: "no operand" },
      { inputs: [f32(2)], attrs: { ...base, bogus: 1 }, code: "NNC1002", why: "unknown attribute" },
      { inputs: [bool(2, 3)], attrs: base, code: "NNC2002", why: "bool operand" },
      ...(spec.int
        ? []
        : [{ inputs: [i32(4)], attrs: base, code: "NNC2002", why: "int32 operand" } as const]),
      ...(spec.badAttrs ?? []).map(
        ([attrs, why]): InvalidOpSample => ({ inputs: [f32(3)], attrs, code: "NNC1002", why }),
      ),
    ],
  };
}

const positive: readonly Range[] = [
  [0.1, 4],
  [1e-3, 1],
  [1, 100],
];

// ---- binary -----------------------------------------------------------------------------------

/** Operand shape pairs: fixed broadcasting cases, then random ones of ranks 0–4. */
function binaryShapes(rng: Rng): Shape[][] {
  return [
    [
      [3, 1, 4],
      [2, 1],
    ],
    [[], [2, 3]],
    [[5], []],
    [
      [2, 3],
      [2, 3],
    ],
    broadcastShapes(rng, 4, 2),
  ];
}

interface BinarySampleSpec {
  /** Operand dtypes accepted besides float32 (int32, and bool for eq/ne). */
  readonly dtypes: readonly DType[];
  /** Float data ranges of a and b. */
  readonly floatRanges?: readonly [Range, Range];
  /** int32 data ranges of a and b. */
  readonly intRanges?: readonly [Range, Range];
}

function binarySamples(spec: BinarySampleSpec): OpSamples {
  return {
    valid: (rng) => {
      const samples: OpSample[] = binaryShapes(rng).map(([a, b]) => ({
        inputs: [f32(...a!), f32(...b!)],
        attrs: {},
        ...(spec.floatRanges && { ranges: spec.floatRanges }),
      }));
      for (const dtype of spec.dtypes) {
        const [a, b] = broadcastShapes(rng, 3, 2);
        samples.push({
          inputs: [t(dtype, ...a!), t(dtype, ...b!)],
          attrs: {},
          ...(dtype === "int32" && {
            ranges: spec.intRanges ?? [
              [-20, 20],
              [-20, 20],
            ],
          }),
        });
      }
      return samples;
    },
    invalid: [
      {
        inputs: [f32(3, 4), f32(5)],
        attrs: {},
        code: "NNC2001",
        why: "trailing extents 4 and 5",
      },
      {
        inputs: [f32(2, 3, 4), f32(3, 1, 4)],
        attrs: {},
        code: "NNC2001",
        why: "leading extents 2 and 3",
      },
      { inputs: [f32(2), i32(2)], attrs: {}, code: "NNC2002", why: "float32 with int32" },
      ...(spec.dtypes.includes("bool")
        ? [
            {
              inputs: [bool(2), f32(2)],
              attrs: {},
              code: "NNC2002",
              why: "bool with float32",
            } as const,
          ]
        : [
            {
              inputs: [bool(2), bool(2)],
              attrs: {},
              code: "NNC2002",
              why: "bool operands",
            } as const,
          ]),
      { inputs: [f32(2)], attrs: {}, code: "NNC1003", why: "one operand" },
      { inputs: [f32(2), f32(2), f32(2)], attrs: {}, code: "NNC1003", why: "three operands" },
      { inputs: [f32(2), f32(2)], attrs: { axis: 0 }, code: "NNC1002", why: "unknown attribute" },
    ],
  };
}

const arithmetic = (extra: Omit<BinarySampleSpec, "dtypes"> = {}) =>
  binarySamples({ dtypes: ["int32"], ...extra });
const ordering = binarySamples({
  dtypes: ["int32"],
  intRanges: [
    [-2, 2],
    [-2, 2],
  ],
});
const equality = binarySamples({
  dtypes: ["int32", "bool"],
  intRanges: [
    [-2, 2],
    [-2, 2],
  ],
});

// ---- the family -------------------------------------------------------------------------------

const badFinite = (key: string): readonly (readonly [Attrs, string])[] => [
  [{ [key]: Number.POSITIVE_INFINITY }, `infinite ${key}`],
  [{ [key]: Number.NaN }, `NaN ${key}`],
  [{ [key]: "0.1" }, `${key} as a string`],
  [{}, `missing ${key}`],
];

/** Generic test material for every elementwise op. */
export const elementwiseSamples: SampleFamily<ElementwiseOp> = {
  neg: unarySamples({ int: true }),
  abs: unarySamples({ int: true }),
  sign: unarySamples({ int: true }),
  exp: unarySamples({
    ranges: [
      [-2, 2],
      [-20, 20],
    ],
  }),
  log: unarySamples({ ranges: positive }),
  sqrt: unarySamples({ ranges: positive }),
  rsqrt: unarySamples({ ranges: positive }),
  square: unarySamples({ int: true }),
  reciprocal: unarySamples({
    ranges: [
      [0.25, 2],
      [-2, -0.25],
    ],
  }),
  sin: unarySamples({
    ranges: [
      [-2, 2],
      [-10, 10],
    ],
  }),
  erf: unarySamples({
    ranges: [
      [-2, 2],
      [-6, 6],
    ],
  }),
  cos: unarySamples({
    ranges: [
      [-2, 2],
      [-10, 10],
    ],
  }),
  tanh: unarySamples({
    ranges: [
      [-2, 2],
      [-10, 10],
    ],
  }),
  sigmoid: unarySamples({
    ranges: [
      [-2, 2],
      [-40, 40],
    ],
  }),
  relu: unarySamples({ int: true }),
  leaky_relu: unarySamples({
    attrs: [{ alpha: 0.01 }, { alpha: 0.2 }, { alpha: 0 }, { alpha: -0.5 }],
    badAttrs: badFinite("alpha"),
  }),
  elu: unarySamples({
    attrs: [{ alpha: 1 }, { alpha: 0.5 }, { alpha: 2.5 }],
    ranges: [
      [-2, 2],
      [-10, 3],
    ],
    badAttrs: badFinite("alpha"),
  }),
  softplus: unarySamples({
    ranges: [
      [-2, 2],
      [-40, 40],
    ],
  }),
  swish: unarySamples({
    attrs: [{ beta: 1 }, { beta: 0.5 }, { beta: 1.702 }, { beta: -1 }],
    ranges: [
      [-2, 2],
      [-10, 10],
    ],
    badAttrs: badFinite("beta"),
  }),
  gelu: unarySamples({
    attrs: [{ approximate: "none" }, { approximate: "tanh" }],
    ranges: [
      [-2, 2],
      [-6, 6],
    ],
    badAttrs: [
      [{ approximate: "erf" }, "unknown approximation"],
      [{ approximate: true }, "approximate as a boolean"],
      [{}, "missing approximate"],
    ],
  }),

  add: arithmetic(),
  sub: arithmetic(),
  mul: arithmetic(),
  div: arithmetic({
    floatRanges: [
      [-2, 2],
      [0.5, 2],
    ],
    // Negative numerators show truncation toward zero (−7 / 2 = −3, not −4).
    intRanges: [
      [-20, 20],
      [1, 6],
    ],
  }),
  pow: arithmetic({
    floatRanges: [
      [0.5, 2],
      [-2, 2],
    ],
    intRanges: [
      [-3, 4],
      [0, 5],
    ],
  }),
  maximum: arithmetic(),
  minimum: arithmetic(),

  eq: equality,
  ne: equality,
  lt: ordering,
  le: ordering,
  gt: ordering,
  ge: ordering,

  select: {
    valid: (rng) => [
      { inputs: [bool(2, 1, 4), f32(3, 1), f32()], attrs: {} },
      { inputs: [bool(), f32(2, 3), f32(2, 3)], attrs: {} },
      { inputs: [bool(5), i32(5), i32(1)], attrs: {}, ranges: [undefined, [-9, 9], [-9, 9]] },
      { inputs: [bool(2, 2), bool(2, 2), bool(2, 1)], attrs: {} },
      (() => {
        const [c, a, b] = broadcastShapes(rng, 4, 3);
        return { inputs: [bool(...c!), f32(...a!), f32(...b!)], attrs: {} };
      })(),
    ],
    invalid: [
      { inputs: [f32(2), f32(2), f32(2)], attrs: {}, code: "NNC2002", why: "float32 cond" },
      { inputs: [i32(2), f32(2), f32(2)], attrs: {}, code: "NNC2002", why: "int32 cond" },
      { inputs: [bool(2), f32(2), i32(2)], attrs: {}, code: "NNC2002", why: "a and b differ" },
      { inputs: [bool(2), f32(3), f32(1)], attrs: {}, code: "NNC2001", why: "cond vs a" },
      { inputs: [bool(1), f32(4, 3), f32(4, 2)], attrs: {}, code: "NNC2001", why: "a vs b" },
      { inputs: [bool(2), f32(2)], attrs: {}, code: "NNC1003", why: "two operands" },
      {
        inputs: [bool(2), f32(2), f32(2)],
        attrs: { x: 1 },
        code: "NNC1002",
        why: "unknown attribute",
      },
    ],
  },

  cast: {
    valid: (rng) => [
      { inputs: [f32(...randomShape(rng, 2))], attrs: { to: "int32" }, ranges: [[-5, 5]] },
      { inputs: [f32(...randomShape(rng, 1))], attrs: { to: "bool" }, ranges: [[-1, 1]] },
      { inputs: [i32(...randomShape(rng, 3))], attrs: { to: "float32" }, ranges: [[-100, 100]] },
      { inputs: [i32(...randomShape(rng, 0))], attrs: { to: "bool" }, ranges: [[-1, 2]] },
      { inputs: [bool(...randomShape(rng, 4))], attrs: { to: "float32" } },
      { inputs: [bool(...randomShape(rng, 2))], attrs: { to: "int32" } },
      { inputs: [f32(...randomShape(rng, 2))], attrs: { to: "float32" } },
    ],
    invalid: [
      { inputs: [f32(2)], attrs: { to: "float64" }, code: "NNC1002", why: "unknown dtype" },
      { inputs: [f32(2)], attrs: {}, code: "NNC1002", why: "missing target" },
      {
        inputs: [f32(2)],
        attrs: { to: "int32", saturate: true },
        code: "NNC1002",
        why: "unknown attribute",
      },
      { inputs: [f32(2), f32(2)], attrs: { to: "int32" }, code: "NNC1003", why: "two operands" },
    ],
  },
};

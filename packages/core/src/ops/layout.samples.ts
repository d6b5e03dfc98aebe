import type { DType } from "../dtype.js";
import type { SampleFamily } from "../op-samples.js";
import type { Rng } from "../random.js";
import type { TensorType } from "../shape.js";
import type { LayoutOp } from "./layout.js";
import { randomShape } from "./reduce.samples.js";

const f32 = (...shape: number[]): TensorType => ({ dtype: "float32", shape });
const i32 = (...shape: number[]): TensorType => ({ dtype: "int32", shape });

/** A random dtype; layout ops move elements of any type. */
function anyDtype(rng: Rng): DType {
  return (["float32", "int32", "bool"] as const)[rng.int(3)]!;
}

function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Splits `n` into a random factorisation of `rank` extents (`n` itself when rank is 1). */
function factorise(rng: Rng, n: number, rank: number): number[] {
  const out: number[] = [];
  let rest = n;
  for (let i = 0; i < rank - 1; i++) {
    const divisors = Array.from({ length: rest }, (_, k) => k + 1).filter((d) => rest % d === 0);
    const d = divisors[rng.int(divisors.length)]!;
    out.push(d);
    rest /= d;
  }
  return rank === 0 ? [] : [...out, rest];
}

/** Generic test material for the layout ops. */
export const layoutSamples: SampleFamily<LayoutOp> = {
  reshape: {
    valid: (rng) => [
      ...[1, 2, 3, 4].map((rank) => {
        const shape = randomShape(rng, rank);
        const n = shape.reduce((a, b) => a * b, 1);
        const target = factorise(rng, n, 1 + rng.int(4));
        // An inferred extent half of the time.
        if (rng.next() < 0.5) target[rng.int(target.length)] = -1;
        return { inputs: [{ dtype: anyDtype(rng), shape }], attrs: { shape: target } };
      }),
      { inputs: [f32()], attrs: { shape: [1, 1] } },
      { inputs: [f32(1, 1, 1)], attrs: { shape: [] } },
    ],
    invalid: [
      { inputs: [f32(2, 3)], attrs: { shape: [4, 2] }, code: "NNC2005", why: "6 elements into 8" },
      {
        inputs: [f32(2, 3)],
        attrs: { shape: [4, -1] },
        code: "NNC2005",
        why: "6 is not a multiple of 4",
      },
      { inputs: [f32(2, 3)], attrs: { shape: [-1, -1] }, code: "NNC1002", why: "two -1" },
      { inputs: [f32(2, 3)], attrs: { shape: [-2, -3] }, code: "NNC1002", why: "negative extents" },
      { inputs: [f32(0, 3)], attrs: { shape: [0, -1] }, code: "NNC1002", why: "an ambiguous -1" },
      {
        inputs: [f32(6)],
        attrs: { shape: [6], order: "F" },
        code: "NNC1002",
        why: "an unknown attribute",
      },
    ],
  },
  transpose: {
    valid: (rng) =>
      [0, 1, 2, 3, 4].map((rank) => ({
        inputs: [{ dtype: anyDtype(rng), shape: randomShape(rng, rank, 5) }],
        attrs: {
          perm: shuffled(
            rng,
            Array.from({ length: rank }, (_, i) => i),
          ),
        },
      })),
    invalid: [
      { inputs: [f32(2, 3)], attrs: { perm: [0] }, code: "NNC1002", why: "too few axes" },
      { inputs: [f32(2, 3)], attrs: { perm: [0, 0] }, code: "NNC1002", why: "an axis twice" },
      { inputs: [f32(2, 3)], attrs: { perm: [1, 2] }, code: "NNC1002", why: "axis 2 of rank 2" },
      { inputs: [f32(2, 3)], attrs: { perm: [-1, 0] }, code: "NNC1002", why: "a negative axis" },
    ],
  },
  broadcast_to: {
    valid: (rng) => [
      ...[0, 1, 2, 3].map((rank) => {
        const target = randomShape(rng, rank + rng.int(2));
        // Keep the trailing extents, some replaced by 1.
        const shape = target.slice(target.length - rank).map((d) => (rng.next() < 0.4 ? 1 : d));
        return { inputs: [{ dtype: anyDtype(rng), shape }], attrs: { shape: target } };
      }),
      { inputs: [f32(3, 1)], attrs: { shape: [2, 3, 4] } },
      { inputs: [f32(1)], attrs: { shape: [0] } },
    ],
    invalid: [
      { inputs: [f32(2, 3)], attrs: { shape: [3] }, code: "NNC2001", why: "fewer target axes" },
      { inputs: [f32(2, 3)], attrs: { shape: [2, 4] }, code: "NNC2001", why: "3 into 4" },
      { inputs: [f32(2)], attrs: { shape: [-1] }, code: "NNC1002", why: "a negative extent" },
    ],
  },
  slice: {
    valid: (rng) => [
      ...[1, 2, 3, 4].map((rank) => {
        const shape = randomShape(rng, rank, 6);
        // Indices beyond the extent (clamped) and negative ones (from the end).
        const index = (d: number) => rng.int(2 * d + 3) - d - 1;
        return {
          inputs: [{ dtype: anyDtype(rng), shape }],
          attrs: {
            start: shape.map(index),
            end: shape.map(index),
            step: shape.map(() => 1 + rng.int(3)),
          },
        };
      }),
      { inputs: [f32(7, 5)], attrs: { start: [-6, 1], end: [7, -1], step: [2, 3] } },
      { inputs: [f32()], attrs: { start: [], end: [], step: [] } },
    ],
    invalid: [
      {
        inputs: [f32(4, 4)],
        attrs: { start: [0], end: [4, 4], step: [1, 1] },
        code: "NNC1002",
        why: "start has 1 entry for rank 2",
      },
      {
        inputs: [f32(4)],
        attrs: { start: [0], end: [4], step: [0] },
        code: "NNC1002",
        why: "step 0",
      },
      {
        inputs: [f32(4)],
        attrs: { start: [3], end: [0], step: [-1] },
        code: "NNC1002",
        why: "a negative step",
      },
      { inputs: [f32(4)], attrs: { start: [0], end: [4] }, code: "NNC1002", why: "step missing" },
    ],
  },
  pad: {
    valid: (rng) => [
      ...[0, 1, 3, 4].map((rank) => ({
        inputs: [f32(...randomShape(rng, rank))],
        attrs: {
          pads: Array.from({ length: rank }, () => [rng.int(3), rng.int(3)]),
          value: rng.next() < 0.5 ? 0 : -1.5,
        },
      })),
      {
        inputs: [i32(2, 0)],
        attrs: {
          pads: [
            [0, 1],
            [2, 0],
          ],
          value: 7,
        },
      },
      // −∞ padding, as a max over windows uses it.
      {
        inputs: [f32(2, 3)],
        attrs: {
          pads: [
            [1, 0],
            [0, 2],
          ],
          value: Number.NEGATIVE_INFINITY,
        },
      },
      // Interior padding (the transpose of a strided slice), also over an empty axis.
      {
        inputs: [f32(3, 2)],
        attrs: {
          pads: [
            [1, 0],
            [0, 2],
          ],
          value: 0,
          interior: [1, 2],
        },
      },
      {
        inputs: [f32(0, 3, 1)],
        attrs: {
          pads: [
            [1, 1],
            [0, 0],
            [2, 0],
          ],
          value: 0.5,
          interior: [2, 1, 3],
        },
      },
      // All-zero interior padding is the plain pad (and is dropped from the attributes).
      {
        inputs: [i32(2, 2)],
        attrs: {
          pads: [
            [0, 1],
            [1, 0],
          ],
          value: 3,
          interior: [0, 0],
        },
      },
    ],
    invalid: [
      {
        inputs: [f32(2, 2)],
        attrs: {
          pads: [
            [1, 1],
            [0, 0],
          ],
          value: 0,
          interior: [1],
        },
        code: "NNC1002",
        why: "one interior entry for rank 2",
      },
      {
        inputs: [f32(2)],
        attrs: { pads: [[1, 1]], value: 0, interior: [-1] },
        code: "NNC1002",
        why: "a negative interior",
      },
      {
        inputs: [f32(2, 2)],
        attrs: { pads: [[1, 1]], value: 0 },
        code: "NNC1002",
        why: "one pair for rank 2",
      },
      {
        inputs: [f32(2)],
        attrs: { pads: [[-1, 0]], value: 0 },
        code: "NNC1002",
        why: "a negative pad",
      },
      {
        inputs: [f32(2)],
        attrs: { pads: [[1, 0]], value: Number.NaN },
        code: "NNC1002",
        why: "a NaN value",
      },
      {
        inputs: [i32(2)],
        attrs: { pads: [[1, 0]], value: 0.5 },
        code: "NNC1002",
        why: "0.5 into int32",
      },
    ],
  },
  concat: {
    valid: (rng) => [
      ...[1, 2, 3, 4].map((rank) => {
        const axis = rng.int(rank);
        const shape = randomShape(rng, rank);
        const dtype = anyDtype(rng);
        const inputs = Array.from({ length: 1 + rng.int(3) }, () => ({
          dtype,
          shape: shape.map((d, i) => (i === axis ? rng.int(4) : d)),
        }));
        return { inputs, attrs: { axis: rng.next() < 0.5 ? axis - rank : axis } };
      }),
      { inputs: [f32(2, 1), f32(2, 3), f32(2, 2)], attrs: { axis: -1 } },
    ],
    invalid: [
      {
        inputs: [f32(2, 3), f32(3, 3)],
        attrs: { axis: 1 },
        code: "NNC2001",
        why: "extents differ off the axis",
      },
      { inputs: [f32(2, 3), f32(2)], attrs: { axis: 0 }, code: "NNC2008", why: "ranks differ" },
      { inputs: [f32(2), i32(2)], attrs: { axis: 0 }, code: "NNC2002", why: "dtypes differ" },
      { inputs: [f32(2), f32(2)], attrs: { axis: 1 }, code: "NNC2004", why: "axis 1 of rank 1" },
      { inputs: [f32(), f32()], attrs: { axis: 0 }, code: "NNC2004", why: "scalars have no axis" },
      { inputs: [], attrs: { axis: 0 }, code: "NNC1003", why: "no operands" },
    ],
  },
  flatten: {
    valid: (rng) => [
      ...[0, 1, 2, 3, 4].map((rank) => {
        const axis = rng.int(rank + 1);
        return {
          inputs: [{ dtype: anyDtype(rng), shape: randomShape(rng, rank) }],
          attrs: { axis: rng.next() < 0.5 && axis > 0 ? axis - rank : axis },
        };
      }),
      { inputs: [f32(2, 3, 4)], attrs: { axis: 3 } },
    ],
    invalid: [
      { inputs: [f32(2, 3)], attrs: { axis: 3 }, code: "NNC2004", why: "axis 3 of rank 2" },
      { inputs: [f32(2, 3)], attrs: { axis: -3 }, code: "NNC2004", why: "axis -3 of rank 2" },
      { inputs: [f32(2, 3)], attrs: {}, code: "NNC1002", why: "axis missing" },
    ],
  },
  squeeze: {
    valid: (rng) => [
      ...[1, 2, 3, 4].map((rank) => {
        const shape = randomShape(rng, rank).map((d) => (rng.next() < 0.5 ? 1 : d));
        const ones = shape.flatMap((d, i) => (d === 1 ? [i] : []));
        const axes = ones
          .filter(() => rng.next() < 0.7)
          .map((a) => (rng.next() < 0.5 ? a - rank : a));
        return { inputs: [{ dtype: anyDtype(rng), shape }], attrs: { axes } };
      }),
      { inputs: [f32(1, 1, 1)], attrs: { axes: [0, 1, 2] } },
    ],
    invalid: [
      { inputs: [f32(1, 3)], attrs: { axes: [1] }, code: "NNC2008", why: "extent 3" },
      { inputs: [f32(1, 3)], attrs: { axes: [2] }, code: "NNC2004", why: "axis 2 of rank 2" },
      { inputs: [f32(1, 3)], attrs: { axes: [0, -2] }, code: "NNC1002", why: "axis 0 twice" },
    ],
  },
  expand_dims: {
    valid: (rng) =>
      [0, 1, 2, 3].map((rank) => {
        const outRank = rank + 1 + rng.int(2);
        const positions = shuffled(
          rng,
          Array.from({ length: outRank }, (_, i) => i),
        ).slice(0, outRank - rank);
        return {
          inputs: [{ dtype: anyDtype(rng), shape: randomShape(rng, rank) }],
          attrs: { axes: positions.map((a) => (rng.next() < 0.5 ? a - outRank : a)) },
        };
      }),
    invalid: [
      {
        inputs: [f32(2, 3)],
        attrs: { axes: [3] },
        code: "NNC2004",
        why: "position 3 of output rank 3",
      },
      { inputs: [f32(2, 3)], attrs: { axes: [1, 1] }, code: "NNC1002", why: "position 1 twice" },
      { inputs: [f32(2, 3)], attrs: { axes: 1 }, code: "NNC1002", why: "a number, not a list" },
    ],
  },
  one_hot: {
    valid: (rng) =>
      [0, 1, 2, 3].map((rank) => {
        const depth = 1 + rng.int(6);
        return {
          inputs: [i32(...randomShape(rng, rank))],
          attrs: {
            depth,
            onValue: rng.next() < 0.5 ? 1 : 2.5,
            offValue: rng.next() < 0.5 ? 0 : -1,
          },
          // One past each end: those rows must come out all off.
          ranges: [[-1, depth + 1] as const],
        };
      }),
    invalid: [
      {
        inputs: [f32(3)],
        attrs: { depth: 4, onValue: 1, offValue: 0 },
        code: "NNC2002",
        why: "float indices",
      },
      {
        inputs: [i32(3)],
        attrs: { depth: 0, onValue: 1, offValue: 0 },
        code: "NNC1002",
        why: "depth 0",
      },
      {
        inputs: [i32(3)],
        attrs: { depth: 4, onValue: Number.POSITIVE_INFINITY, offValue: 0 },
        code: "NNC1002",
        why: "an infinite on value",
      },
      { inputs: [i32(3)], attrs: { depth: 4 }, code: "NNC1002", why: "values missing" },
    ],
  },
};

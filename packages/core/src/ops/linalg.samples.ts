import type { DType } from "../dtype.js";
import type { SampleFamily } from "../op-samples.js";
import type { Rng } from "../random.js";
import type { Shape, TensorType } from "../shape.js";
import type { LinalgOp } from "./linalg.js";

const f32 = (...shape: Shape): TensorType => ({ dtype: "float32", shape });
const typed = (dtype: DType, ...shape: Shape): TensorType => ({ dtype, shape });
/** A random extent in [1, max]. */
const dim = (rng: Rng, max = 5): number => 1 + rng.int(max);

/** Generic test material for matmul and dense. */
export const linalgSamples: SampleFamily<LinalgOp> = {
  matmul: {
    valid: (rng) => {
      const [m, k, n] = [dim(rng), dim(rng, 7), dim(rng)];
      const b = dim(rng, 3);
      return [
        { inputs: [f32(m, k), f32(k, n)], attrs: {} },
        // batch on one side only, and a size-1 batch axis broadcast against 5
        { inputs: [f32(b, m, k), f32(k, n)], attrs: {} },
        { inputs: [f32(2, 1, 3, 4), f32(5, 4, 2)], attrs: {} },
        { inputs: [f32(1, 1), f32(1, n)], attrs: {} },
        {
          inputs: [typed("int32", b, m, k), typed("int32", b, k, n)],
          attrs: {},
          ranges: [
            [-5, 5],
            [-5, 5],
          ],
        },
      ];
    },
    invalid: [
      { inputs: [f32(4), f32(4, 2)], attrs: {}, code: "NNC2008", why: "a vector operand" },
      { inputs: [f32(3, 4), f32(5, 2)], attrs: {}, code: "NNC2003", why: "contracting 4 vs 5" },
      {
        inputs: [f32(2, 3, 4), f32(3, 4, 5)],
        attrs: {},
        code: "NNC2001",
        why: "batch axes 2 vs 3",
      },
      {
        inputs: [f32(3, 4), typed("int32", 4, 2)],
        attrs: {},
        code: "NNC2002",
        why: "mixed dtypes",
      },
      {
        inputs: [typed("bool", 3, 4), typed("bool", 4, 2)],
        attrs: {},
        code: "NNC2002",
        why: "bool operands",
      },
      {
        inputs: [f32(3, 4), f32(4, 2)],
        attrs: { transposeA: true },
        code: "NNC1002",
        why: "unknown attribute",
      },
    ],
  },
  dense: {
    valid: (rng) => {
      const [batch, units, out] = [dim(rng, 4), dim(rng, 6), dim(rng, 4)];
      return [
        { inputs: [f32(batch, units), f32(units, out), f32(out)], attrs: {} },
        { inputs: [f32(batch, units), f32(units, out)], attrs: {} },
        { inputs: [f32(2, batch, units), f32(units, out), f32(out)], attrs: {} },
        { inputs: [f32(1, 1), f32(1, 1), f32(1)], attrs: {} },
        {
          inputs: [typed("int32", batch, units), typed("int32", units, out), typed("int32", out)],
          attrs: {},
          ranges: [
            [-4, 4],
            [-4, 4],
            [-4, 4],
          ],
        },
      ];
    },
    invalid: [
      { inputs: [f32(4), f32(4, 2)], attrs: {}, code: "NNC2008", why: "input of rank 1" },
      { inputs: [f32(3, 4), f32(4, 2, 1)], attrs: {}, code: "NNC2008", why: "weight of rank 3" },
      { inputs: [f32(3, 4), f32(5, 2)], attrs: {}, code: "NNC2003", why: "in 4 vs 5" },
      {
        inputs: [f32(3, 4), f32(4, 2), f32(1, 2)],
        attrs: {},
        code: "NNC2008",
        why: "bias of rank 2",
      },
      {
        inputs: [f32(3, 4), f32(4, 2), f32(3)],
        attrs: {},
        code: "NNC2001",
        why: "bias of 3 for 2 outputs",
      },
      {
        inputs: [f32(3, 4), f32(4, 2), typed("int32", 2)],
        attrs: {},
        code: "NNC2002",
        why: "int32 bias for float32 input",
      },
      { inputs: [f32(3, 4)], attrs: {}, code: "NNC1003", why: "no weight" },
    ],
  },
};

import type { OpAttrMap, OpName } from "./op-attrs.js";
import type { OpDef } from "./op-def.js";
import type { OpSamples } from "./op-samples.js";
import { convOps } from "./ops/conv.js";
import { convSamples } from "./ops/conv.samples.js";
import { elementwiseOps } from "./ops/elementwise.js";
import { elementwiseSamples } from "./ops/elementwise.samples.js";
import { gradientOps } from "./ops/gradient.js";
import { gradientSamples } from "./ops/gradient.samples.js";
import { layoutOps } from "./ops/layout.js";
import { layoutSamples } from "./ops/layout.samples.js";
import { linalgOps } from "./ops/linalg.js";
import { linalgSamples } from "./ops/linalg.samples.js";
import { lossOps } from "./ops/losses.js";
import { lossSamples } from "./ops/losses.samples.js";
import { nnOps } from "./ops/nn.js";
import { nnSamples } from "./ops/nn.samples.js";
import { poolOps } from "./ops/pool.js";
import { poolSamples } from "./ops/pool.samples.js";
import { reduceOps } from "./ops/reduce.js";
import { reduceSamples } from "./ops/reduce.samples.js";

/**
 * Every op's record, keyed by name. Typed as a mapped type over {@link OpAttrMap}, so an op
 * declared there without a record here (or the reverse) does not compile.
 */
export const OPS: { readonly [P in OpName]: OpDef<OpAttrMap[P]> } = {
  ...elementwiseOps,
  ...reduceOps,
  ...layoutOps,
  ...linalgOps,
  ...convOps,
  ...poolOps,
  ...nnOps,
  ...lossOps,
  ...gradientOps,
};

/** Generic test material for every op, exhaustive in the same way as {@link OPS}. */
export const OP_SAMPLES: { readonly [P in OpName]: OpSamples } = {
  ...elementwiseSamples,
  ...reduceSamples,
  ...layoutSamples,
  ...linalgSamples,
  ...convSamples,
  ...poolSamples,
  ...nnSamples,
  ...lossSamples,
  ...gradientSamples,
};

/** Every op name, in registry order. */
export const OP_NAMES = Object.keys(OPS) as OpName[];

/** True when `name` is a registered op. */
export function isOpName(name: string): name is OpName {
  return Object.hasOwn(OPS, name);
}

/** The record of a registered op, untyped in its attributes (for generic graph walkers). */
export function opDef(name: OpName): OpDef<Readonly<Record<string, unknown>>> {
  return OPS[name] as unknown as OpDef<Readonly<Record<string, unknown>>>;
}

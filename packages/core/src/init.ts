import { NncError } from "./errors.js";
import { createRng } from "./random.js";
import { type Shape, sizeOf } from "./shape.js";

/** Variance-scaling initialisers: the variance depends on the parameter's fan-in/fan-out. */
export type ScaledInitKind =
  | "glorot_uniform"
  | "glorot_normal"
  | "he_uniform"
  | "he_normal"
  | "lecun_normal";

/** How a parameter gets its initial values (canonical form, stored in the param node). */
export type InitSpec =
  | { readonly kind: "zeros" }
  | { readonly kind: "ones" }
  | { readonly kind: "constant"; readonly value: number }
  | { readonly kind: "uniform"; readonly low: number; readonly high: number; readonly seed: number }
  | { readonly kind: "normal"; readonly mean: number; readonly std: number; readonly seed: number }
  | {
      readonly kind: "truncated_normal";
      readonly mean: number;
      readonly std: number;
      readonly seed: number;
    }
  | { readonly kind: ScaledInitKind; readonly seed: number }
  | { readonly kind: "values"; readonly values: readonly number[] };

/** Every initialiser kind. */
export const INIT_KINDS = [
  "zeros",
  "ones",
  "constant",
  "uniform",
  "normal",
  "truncated_normal",
  "glorot_uniform",
  "glorot_normal",
  "he_uniform",
  "he_normal",
  "lecun_normal",
  "values",
] as const;

/**
 * Fan-in and fan-out of a parameter, by nnc's layouts: rank 2 is a dense weight `[in, out]`;
 * rank ≥ 3 is a kernel `[out, in, ...window]` (OIHW); rank ≤ 1 counts its length for both.
 */
export function fans(shape: Shape): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const receptive = sizeOf(shape.slice(2));
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/**
 * Materialises an initialiser for `shape`, deterministically: the same spec gives the same
 * values on every machine. Throws NNC1008 when explicit values have the wrong length.
 */
export function initialize(spec: InitSpec, shape: Shape, paramName = "parameter"): Float64Array {
  const n = sizeOf(shape);
  const out = new Float64Array(n);
  switch (spec.kind) {
    case "zeros":
      return out;
    case "ones":
      return out.fill(1);
    case "constant":
      return out.fill(spec.value);
    case "values":
      if (spec.values.length !== n) {
        throw new NncError(
          "NNC1008",
          `parameter "${paramName}" of shape [${shape.join(",")}] needs ${n} initial values, got ${spec.values.length}`,
        );
      }
      out.set(spec.values);
      return out;
    case "uniform": {
      const rng = createRng(spec.seed);
      for (let i = 0; i < n; i++) out[i] = rng.uniform(spec.low, spec.high);
      return out;
    }
    case "normal": {
      const rng = createRng(spec.seed);
      for (let i = 0; i < n; i++) out[i] = spec.mean + spec.std * rng.normal();
      return out;
    }
    case "truncated_normal":
      return truncatedNormal(out, spec.mean, spec.std, spec.seed);
    default: {
      const { fanIn, fanOut } = fans(shape);
      const rng = createRng(spec.seed);
      // Glorot: Var = 2/(fanIn+fanOut); He: Var = 2/fanIn; LeCun: Var = 1/fanIn.
      const variance =
        spec.kind === "glorot_uniform" || spec.kind === "glorot_normal"
          ? 2 / (fanIn + fanOut)
          : spec.kind === "lecun_normal"
            ? 1 / fanIn
            : 2 / fanIn;
      if (spec.kind === "glorot_uniform" || spec.kind === "he_uniform") {
        // U(-l, l) has variance l²/3.
        const limit = Math.sqrt(3 * variance);
        for (let i = 0; i < n; i++) out[i] = rng.uniform(-limit, limit);
        return out;
      }
      if (spec.kind === "glorot_normal") {
        const std = Math.sqrt(variance);
        for (let i = 0; i < n; i++) out[i] = std * rng.normal();
        return out;
      }
      // He and LeCun normal use a normal truncated at 2σ, rescaled so the variance is exact
      // (0.8796… is the std of a unit normal truncated to [-2, 2]), as Keras does.
      return truncatedNormal(out, 0, Math.sqrt(variance) / 0.8796256610342398, spec.seed);
    }
  }
}

function truncatedNormal(out: Float64Array, mean: number, std: number, seed: number): Float64Array {
  const rng = createRng(seed);
  for (let i = 0; i < out.length; i++) {
    let z = rng.normal();
    while (Math.abs(z) > 2) z = rng.normal();
    out[i] = mean + std * z;
  }
  return out;
}

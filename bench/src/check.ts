/**
 * The agreement check run before any timing: every library must compute what the reference
 * library computed, from the same weights on the same batches.
 */
import type { RunResult } from "./libraries/library.js";

/** What a library computed: the losses of the first training steps, or one inference's output. */
export type Observation =
  | { readonly kind: "losses"; readonly values: readonly number[] }
  | { readonly kind: "output"; readonly values: Float32Array };

/**
 * Training steps whose losses are compared: steps 2 and 3 run on the updated weights, so the
 * check covers the gradients and the SGD update, not only the forward pass.
 */
export const CHECK_STEPS = 3;

/**
 * Largest accepted deviation, relative to max(1, largest |reference value|): float32 results of
 * different summation orders differ by ~1e-6 relative; a wrong gradient or layout is off by far
 * more.
 */
export const TOLERANCE = 1e-4;

/** The outcome of comparing a library with the reference. */
export interface Agreement {
  readonly ok: boolean;
  /** Max |candidate − reference| over max(1, largest |reference value|). */
  readonly deviation: number;
}

/** Builds an observation from the check runs' results. */
export function observe(results: readonly RunResult[]): Observation {
  const first = results[0];
  if (typeof first === "number") return { kind: "losses", values: results as number[] };
  if (first instanceof Float32Array) return { kind: "output", values: first };
  throw new Error("no result to check");
}

/** Compares an observation with the reference's, accepting deviations up to `tolerance`. */
export function compare(
  reference: Observation,
  candidate: Observation,
  tolerance: number = TOLERANCE,
): Agreement {
  const r = reference.values;
  const c = candidate.values;
  if (reference.kind !== candidate.kind || r.length !== c.length) {
    return { ok: false, deviation: Infinity };
  }
  let scale = 1;
  for (let i = 0; i < r.length; i++) scale = Math.max(scale, Math.abs(r[i]!));
  let deviation = 0;
  for (let i = 0; i < r.length; i++) {
    const d = Math.abs(c[i]! - r[i]!) / scale;
    // NaN anywhere must fail the check.
    deviation = Number.isNaN(d) ? Infinity : Math.max(deviation, d);
  }
  return { ok: deviation <= tolerance, deviation };
}

/** Whether every value is finite (a reference with NaN or ±∞ cannot anchor the check). */
export function allFinite(observation: Observation): boolean {
  for (const v of observation.values) if (!Number.isFinite(v)) return false;
  return true;
}

/** A short description: the losses, or the output's sum and size. */
export function describeObservation(observation: Observation): string {
  if (observation.kind === "losses") {
    return `losses ${observation.values.map((v) => v.toFixed(5)).join(", ")}`;
  }
  let sum = 0;
  for (const v of observation.values) sum += v;
  return `output sum ${sum.toPrecision(7)} over ${observation.values.length} values`;
}

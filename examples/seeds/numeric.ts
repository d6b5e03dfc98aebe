/**
 * Small numerical helpers shared by the seed examples: seeded random data, central finite
 * differences in float64, and comparisons that report the worst element.
 */
import { createRng, type Rng } from "@nnc/core";

/** `n` values uniform in [low, high) from `rng`. */
export function uniformValues(rng: Rng, n: number, low = -1, high = 1): Float64Array {
  return Float64Array.from({ length: n }, () => rng.uniform(low, high));
}

/** `n` standard-normal values from `rng`. */
export function normalValues(rng: Rng, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal());
}

/** A seeded generator (re-exported so the examples read `seededRng(1)`). */
export function seededRng(seed: number): Rng {
  return createRng(seed);
}

/**
 * The gradient of a scalar function `f` at `at` by central differences,
 * (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h for every coordinate i. In float64 with h = 1e-6 the
 * truncation error is O(h²·f''') ≈ 1e-12 and the rounding error O(ε·|f|/h) ≈ 1e-10.
 */
export function centralDifferences(
  f: (x: Float64Array) => number,
  at: ArrayLike<number>,
  h = 1e-6,
): Float64Array {
  const x = Float64Array.from(at);
  const gradient = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i]!;
    x[i] = saved + h;
    const plus = f(x);
    x[i] = saved - h;
    const minus = f(x);
    x[i] = saved;
    gradient[i] = (plus - minus) / (2 * h);
  }
  return gradient;
}

/** The largest |a[i] − b[i]|; throws when the lengths differ (a silent mismatch would pass). */
export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
  }
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    // A NaN anywhere must fail the comparison, not vanish in Math.max.
    if (Number.isNaN(d)) return Number.POSITIVE_INFINITY;
    worst = Math.max(worst, d);
  }
  return worst;
}

/** The largest |a[i] − b[i]| / max(1, |b[i]|): absolute near zero, relative for large values. */
export function maxScaledDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
  }
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
    if (Number.isNaN(d)) return Number.POSITIVE_INFINITY;
    worst = Math.max(worst, d);
  }
  return worst;
}

/** The logistic function 1 / (1 + e⁻ᶻ), written out so tests do not lean on nnc's own. */
export function logistic(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

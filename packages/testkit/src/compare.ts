import type { DType } from "@nnc/core";

/** A mismatch between a backend and the reference, with the evidence in its message. */
export class ConformanceError extends Error {
  override readonly name = "ConformanceError";
}

/** Elements of a failing comparison listed in the message. */
const SHOWN = 5;

/**
 * Checks a backend's result against the reference: the typed array type and length of the
 * dtype (Float32Array, Int32Array, Uint8Array for bool), then every element. int32 and bool
 * elements, and float32 ones without `bounds`, must be equal (float32 after rounding the
 * reference to float32; ±0 and NaN compare equal to themselves); otherwise element i passes when
 * `|got − want| ≤ bounds[i]`, or both are the same infinity, or both NaN. Throws a
 * {@link ConformanceError} naming the worst elements.
 */
export function expectClose(
  what: string,
  dtype: DType,
  got: unknown,
  want: ArrayLike<number>,
  bounds?: ArrayLike<number>,
): void {
  const type = dtype === "float32" ? Float32Array : dtype === "int32" ? Int32Array : Uint8Array;
  if (!(got instanceof type)) {
    const actual =
      got === null || typeof got !== "object" ? String(got) : (got.constructor?.name ?? "object");
    throw new ConformanceError(`${what}: expected a ${type.name} for ${dtype}, got ${actual}`);
  }
  if (got.length !== want.length) {
    throw new ConformanceError(`${what}: expected ${want.length} elements, got ${got.length}`);
  }
  const failures: { index: number; excess: number; text: string }[] = [];
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = dtype === "float32" ? Math.fround(want[i]!) : want[i]!;
    if (g === w || (Number.isNaN(g) && Number.isNaN(w))) continue;
    const bound = dtype === "float32" && bounds ? bounds[i]! : 0;
    // An exact reference w (before rounding) is compared unrounded: the bound is relative to it.
    const diff = Math.abs(g - (bounds ? want[i]! : w));
    // Infinities and NaN pass only when equal (above); an overflow to ∞ must be matched.
    if (Number.isFinite(w) && diff <= bound) continue;
    failures.push({
      index: i,
      excess: Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff - bound,
      text: `[${i}] got ${g}, want ${want[i]}${bounds ? ` (|Δ| ${diff.toExponential(2)} > ${bound.toExponential(2)})` : ""}`,
    });
  }
  if (failures.length === 0) return;
  failures.sort((a, b) => b.excess - a.excess);
  const shown = failures.slice(0, SHOWN).map((f) => `  ${f.text}`);
  throw new ConformanceError(
    `${what}: ${failures.length} of ${want.length} elements differ from the reference${bounds ? "" : " (compared exactly)"}; worst:\n${shown.join("\n")}`,
  );
}

/** The Euclidean norm of `a − b` (or of `a` alone). */
export function distance(a: ArrayLike<number>, b?: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - (b ? b[i]! : 0);
    sum += d * d;
  }
  return Math.sqrt(sum);
}

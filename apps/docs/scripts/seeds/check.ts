/**
 * Checks of the figures the docs show against the values SEEDS.md gives. A failed check throws
 * {@link FigureMismatch}, which fails the site build: a page can never show a figure that nnc
 * and SEEDS.md disagree on.
 */

/** A figure computed by nnc that disagrees with the value SEEDS.md (or the identity) expects. */
export class FigureMismatch extends Error {
  override readonly name = "FigureMismatch";
}

/** Compact text of a value for a mismatch message. */
function show(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (ArrayBuffer.isView(value)) return show(Array.from(value as unknown as ArrayLike<number>));
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** Throws unless `actual` and `expected` are equal as JSON (exact numbers, same structure). */
export function checkEqual(what: string, actual: unknown, expected: unknown): void {
  const normal = (v: unknown) =>
    JSON.stringify(v, (_key, x) =>
      ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>) : x,
    );
  if (normal(actual) !== normal(expected)) {
    throw new FigureMismatch(`${what}: nnc computed ${show(actual)}, expected ${show(expected)}`);
  }
}

/**
 * Throws unless every |actual[i] − expected[i]| ≤ `tolerance` (a NaN fails). Returns the largest
 * difference, which pages show as the agreement they checked.
 */
export function checkClose(
  what: string,
  actual: ArrayLike<number> | number,
  expected: ArrayLike<number> | number,
  tolerance: number,
): number {
  const a = typeof actual === "number" ? [actual] : Array.from(actual);
  const e = typeof expected === "number" ? [expected] : Array.from(expected);
  if (a.length !== e.length) {
    throw new FigureMismatch(
      `${what}: nnc computed ${a.length} values, expected ${e.length} (${show(a)} vs ${show(e)})`,
    );
  }
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - e[i]!);
    // NaN must fail, not vanish in Math.max.
    worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(worst, d);
  }
  if (!(worst <= tolerance)) {
    throw new FigureMismatch(
      `${what}: nnc computed ${show(a)}, expected ${show(e)} (largest difference ${worst} > ${tolerance})`,
    );
  }
  return worst;
}

/** Throws unless `value` < `bound`. Returns `value`. */
export function checkBelow(what: string, value: number, bound: number): number {
  if (!(value < bound)) throw new FigureMismatch(`${what}: ${value} is not below ${bound}`);
  return value;
}

/** Throws unless `value` > `bound`. Returns `value`. */
export function checkAbove(what: string, value: number, bound: number): number {
  if (!(value > bound)) throw new FigureMismatch(`${what}: ${value} is not above ${bound}`);
  return value;
}

/** Throws unless `condition` holds; `what` says what was expected. */
export function checkThat(what: string, condition: boolean): void {
  if (!condition) throw new FigureMismatch(what);
}

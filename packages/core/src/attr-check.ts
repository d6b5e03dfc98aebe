import { type DType, isDType } from "./dtype.js";
import type { NoAttrs, Padding2d, Pair } from "./op-attrs.js";
import type { RuleContext } from "./op-def.js";

// Validators for canonical attributes. Each names the attribute and the value it got, so a
// hand-edited JSON graph gets as clear an error as a builder call.

type Raw = Readonly<Record<string, unknown>>;

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  // JSON.stringify turns Infinity and NaN into "null", which would misreport the value.
  if (typeof value === "number") return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** Fails on attributes the op does not know (a typo should never be silently ignored). */
export function checkKeys(raw: Raw, allowed: readonly string[], ctx: RuleContext): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      const known = allowed.length ? `; it takes ${allowed.join(", ")}` : "; it takes none";
      ctx.fail("NNC1002", `unknown attribute "${key}"${known}`);
    }
  }
}

/** `validateAttrs` for ops without attributes. */
export function noAttrs(raw: Raw, ctx: RuleContext): NoAttrs {
  checkKeys(raw, [], ctx);
  return {};
}

/** A finite number, optionally bounded (inclusive). */
export function attrNumber(
  raw: Raw,
  key: string,
  ctx: RuleContext,
  bounds: { min?: number; max?: number; minExclusive?: number; maxExclusive?: number } = {},
): number {
  const value = raw[key];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    ctx.fail("NNC1002", `attribute "${key}" must be a finite number, got ${show(value)}`);
  }
  const { min, max, minExclusive, maxExclusive } = bounds;
  if (
    (min !== undefined && value < min) ||
    (max !== undefined && value > max) ||
    (minExclusive !== undefined && value <= minExclusive) ||
    (maxExclusive !== undefined && value >= maxExclusive)
  ) {
    const range = [
      min !== undefined ? `≥ ${min}` : minExclusive !== undefined ? `> ${minExclusive}` : "",
      max !== undefined ? `≤ ${max}` : maxExclusive !== undefined ? `< ${maxExclusive}` : "",
    ]
      .filter(Boolean)
      .join(" and ");
    ctx.fail("NNC1002", `attribute "${key}" must be ${range}, got ${value}`);
  }
  return value;
}

/** An integer, optionally with a lower bound. */
export function attrInt(raw: Raw, key: string, ctx: RuleContext, min?: number): number {
  const value = raw[key];
  if (!Number.isSafeInteger(value)) {
    ctx.fail("NNC1002", `attribute "${key}" must be an integer, got ${show(value)}`);
  }
  if (min !== undefined && (value as number) < min) {
    ctx.fail("NNC1002", `attribute "${key}" must be ≥ ${min}, got ${value}`);
  }
  return value as number;
}

/** A boolean. */
export function attrBool(raw: Raw, key: string, ctx: RuleContext): boolean {
  const value = raw[key];
  if (typeof value !== "boolean") {
    ctx.fail("NNC1002", `attribute "${key}" must be true or false, got ${show(value)}`);
  }
  return value;
}

/** One of a fixed set of strings. */
export function attrEnum<T extends string>(
  raw: Raw,
  key: string,
  values: readonly T[],
  ctx: RuleContext,
): T {
  const value = raw[key];
  if (typeof value !== "string" || !values.includes(value as T)) {
    ctx.fail(
      "NNC1002",
      `attribute "${key}" must be one of ${values.map((v) => `"${v}"`).join(", ")}, got ${show(value)}`,
    );
  }
  return value as T;
}

/** A dtype name. */
export function attrDType(raw: Raw, key: string, ctx: RuleContext): DType {
  const value = raw[key];
  if (!isDType(value)) {
    ctx.fail(
      "NNC1002",
      `attribute "${key}" must be "float32", "int32" or "bool", got ${show(value)}`,
    );
  }
  return value;
}

/** A list of integers, each ≥ `min` when given. */
export function attrIntList(raw: Raw, key: string, ctx: RuleContext, min?: number): number[] {
  const value = raw[key];
  if (
    !Array.isArray(value) ||
    !value.every((v) => Number.isSafeInteger(v) && (min === undefined || v >= min))
  ) {
    const what = min === undefined ? "integers" : `integers ≥ ${min}`;
    ctx.fail("NNC1002", `attribute "${key}" must be a list of ${what}, got ${show(value)}`);
  }
  return [...(value as number[])];
}

/** A `[a, b]` pair of integers ≥ `min`. */
export function attrPair(raw: Raw, key: string, ctx: RuleContext, min: number): Pair {
  const list = attrIntList(raw, key, ctx, min);
  if (list.length !== 2) {
    ctx.fail("NNC1002", `attribute "${key}" must be a pair [a, b], got ${show(raw[key])}`);
  }
  return [list[0]!, list[1]!];
}

/** A list of `[before, after]` integer pairs, each ≥ `min`. */
export function attrPairList(raw: Raw, key: string, ctx: RuleContext, min: number): Pair[] {
  const value = raw[key];
  const ok =
    Array.isArray(value) &&
    value.every(
      (p) =>
        Array.isArray(p) &&
        p.length === 2 &&
        p.every((v: unknown) => Number.isSafeInteger(v) && (v as number) >= min),
    );
  if (!ok) {
    ctx.fail(
      "NNC1002",
      `attribute "${key}" must be a list of [before, after] integer pairs ≥ ${min}, got ${show(value)}`,
    );
  }
  return (value as number[][]).map((p) => [p[0]!, p[1]!] as const);
}

/** Explicit 2-D padding `[[top, bottom], [left, right]]`, all ≥ 0. */
export function attrPadding2d(raw: Raw, key: string, ctx: RuleContext): Padding2d {
  const pairs = attrPairList(raw, key, ctx, 0);
  if (pairs.length !== 2) {
    ctx.fail(
      "NNC1002",
      `attribute "${key}" must be [[top, bottom], [left, right]], got ${show(raw[key])}`,
    );
  }
  return [pairs[0]!, pairs[1]!];
}

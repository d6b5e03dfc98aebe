import type { GlslContext } from "../emit-context.js";
import { divBy, modBy } from "../index-math.js";

// Static index arithmetic for the window and contraction emitters (matmul, conv, pooling):
// every extent is known at emit time, so sums fold their constants and drop zero terms, and
// decoding a flat index skips the axes of extent 1.

/** A term `coefficient · expression` of an integer sum. */
export type Term = readonly [coefficient: number, expression: string];

/** `expression`, parenthesised unless it is a name or a literal. */
function atom(expression: string): string {
  return /^-?[\w.]+$/.test(expression) ? expression : `(${expression})`;
}

/**
 * The GLSL int expression `constant + Σ coefficient · expression`, with zero terms dropped and
 * numeric expressions folded into the constant.
 */
export function sum(constant: number, ...terms: readonly Term[]): string {
  let folded = constant;
  const parts: { negative: boolean; text: string }[] = [];
  for (const [coefficient, expression] of terms) {
    if (coefficient === 0) continue;
    if (/^-?\d+$/.test(expression)) {
      folded += coefficient * Number(expression);
      continue;
    }
    const magnitude = Math.abs(coefficient);
    const text = magnitude === 1 ? atom(expression) : `${atom(expression)} * ${magnitude}`;
    parts.push({ negative: coefficient < 0, text });
  }
  if (folded !== 0 || parts.length === 0) {
    parts.push({ negative: folded < 0, text: String(Math.abs(folded)) });
  }
  return parts
    .map(({ negative, text }, k) =>
      k === 0 ? (negative ? `-${text}` : text) : `${negative ? " - " : " + "}${text}`,
    )
    .join("");
}

/**
 * `expression` itself when it is a name or a literal, else a new int local holding it (its
 * declaration appended to `lines`).
 */
export function bind(
  ctx: GlslContext,
  lines: string[],
  prefix: string,
  expression: string,
): string {
  if (/^-?\w+$/.test(expression)) return expression;
  const name = ctx.local(prefix);
  lines.push(`int ${name} = ${expression};`);
  return name;
}

/** One spatial axis of a strided window: see {@link coveringWindows}. */
export interface WindowAxis {
  /** Static range of the target expression. */
  readonly range: readonly [number, number];
  readonly taps: number;
  readonly dilation: number;
  readonly stride: number;
  /** Number of window positions. */
  readonly extent: number;
}

/**
 * Visits the window positions o whose tap k (0 ≤ k < taps) lands on `target`: o·stride + k·dilation
 * = target, 0 ≤ o < extent — how a gather finds what a strided window scatter would have added
 * at one position. `body` receives k and o.
 */
export function coveringWindows(
  ctx: GlslContext,
  prefix: string,
  target: string,
  { range: [targetMin, targetMax], taps, dilation, stride, extent }: WindowAxis,
  body: (tap: string, position: string) => string[],
): string[] {
  return loop(ctx, prefix, taps, (tap) => {
    const lines: string[] = [];
    const offset = bind(ctx, lines, "d", sum(0, [1, target], [-dilation, tap]));
    const conditions: string[] = [];
    if (targetMin - (taps - 1) * dilation < 0) conditions.push(`${offset} >= 0`);
    if (stride > 1) conditions.push(`${offset} % ${stride} == 0`);
    const position = stride > 1 ? `${atom(offset)} / ${stride}` : offset;
    if (Math.floor(targetMax / stride) >= extent) conditions.push(`${position} < ${extent}`);
    const inner: string[] = [];
    const o = bind(ctx, inner, "o", position);
    inner.push(...body(tap, o));
    lines.push(...guarded(conditions.length === 0 ? "true" : conditions.join(" && "), inner));
    return lines;
  });
}

/** Row-major strides of `shape`. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!;
  return strides;
}

/**
 * Declares one int local per axis of `shape` holding the multi-index of the flat index `flat`;
 * returns the statements and, per axis, the local's name (or `"0"` for an axis of extent 1).
 */
export function decodeIndex(
  ctx: GlslContext,
  flat: string,
  shape: readonly number[],
  prefixes: readonly string[],
): { lines: string[]; axes: string[] } {
  const lines: string[] = [];
  const axes = shape.map(() => "0");
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    const extent = shape[d]!;
    const outer = shape.slice(0, d).reduce((a, b) => a * b, 1);
    if (extent === 1) continue;
    const name = ctx.local(prefixes[d] ?? "ax");
    // Once every outer axis has extent 1 the remaining quotient is this axis' index itself.
    if (outer === 1) {
      lines.push(`int ${name} = ${rest};`);
      axes[d] = name;
      break;
    }
    lines.push(`int ${name} = ${modBy(atom(rest), extent)};`);
    axes[d] = name;
    const quotient = ctx.local("q");
    lines.push(`int ${quotient} = ${divBy(atom(rest), extent)};`);
    rest = quotient;
  }
  return { lines, axes };
}

/**
 * Statements adding `term(v, k)` to `acc` for every step v + k of `0 ≤ · < extent`: straight
 * line up to seven steps, otherwise a loop unrolled by four plus the remainder unrolled.
 * `term` receives the loop variable (or `"0"`) and a constant offset to add to it.
 */
export function accumulate(
  ctx: GlslContext,
  prefix: string,
  extent: number,
  acc: string,
  term: (variable: string, offset: number) => string,
): string[] {
  // Below 8 steps a loop would run at most once: write the steps out.
  if (extent < 8) {
    return Array.from({ length: extent }, (_, k) => `${acc} += ${term("0", k)};`);
  }
  const v = ctx.local(prefix);
  const whole = extent - (extent % 4);
  const lines = [
    `for (int ${v} = 0; ${v} < ${whole}; ${v} += 4) {`,
    ...[0, 1, 2, 3].map((k) => `  ${acc} += ${term(v, k)};`),
    "}",
  ];
  for (let k = whole; k < extent; k++) lines.push(`${acc} += ${term("0", k)};`);
  return lines;
}

/**
 * A loop `for (int v = 0; v < extent; v++) { body(v) }`; an extent of 1 emits the body once
 * with v = `"0"` inside a block (bodies therefore never use `continue`).
 */
export function loop(
  ctx: GlslContext,
  prefix: string,
  extent: number,
  body: (variable: string) => string[],
): string[] {
  if (extent === 0) return [];
  if (extent === 1) return ["{", ...indent(body("0")), "}"];
  const v = ctx.local(prefix);
  return [`for (int ${v} = 0; ${v} < ${extent}; ${v}++) {`, ...indent(body(v)), "}"];
}

/** `lines` indented by two spaces. */
export function indent(lines: readonly string[]): string[] {
  return lines.map((line) => `  ${line}`);
}

/**
 * The GLSL condition that `expression` (whose values lie in [min, max]) is in [0, size), with
 * the comparisons the static range already guarantees left out; `"true"` if none remain.
 */
export function inRange(expression: string, min: number, max: number, size: number): string {
  const checks: string[] = [];
  if (min < 0) checks.push(`${expression} >= 0`);
  if (max >= size) checks.push(`${expression} < ${size}`);
  return checks.length === 0 ? "true" : checks.join(" && ");
}

/** `body` guarded by `condition` (unguarded when the condition is `"true"`). */
export function guarded(condition: string, body: readonly string[]): string[] {
  return condition === "true" ? [...body] : [`if (${condition}) {`, ...indent(body), "}"];
}

/** The static shape of node `id`. */
export function shapeOf(ctx: GlslContext, id: number): readonly number[] {
  return ctx.program.graph.node(id).type.shape;
}

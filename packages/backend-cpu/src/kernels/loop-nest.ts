import { type Shape, stridesOf } from "@nnc/core";
import type { EmitContext, ValueRef } from "../emit-context.js";

// Building blocks for loops specialised to static shapes: number literals, index expressions,
// axis collapsing and a loop nest that walks an iteration space with one running offset per
// access pattern (no division or modulo per element).

/** A JavaScript expression for `value`, safe as an operand of any operator. */
export function literal(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "(-Infinity)";
  if (Object.is(value, -0)) return "(-0)";
  return value < 0 ? `(${value})` : String(value);
}

/** `base + offset`, folding the zeros (`offset` is "0" or an expression). */
export function plus(base: number, offset: string): string {
  if (offset === "0") return String(base);
  return base === 0 ? offset : `${base} + ${offset}`;
}

/** The element of `ref` at `offset` elements past its start, as an expression (`F[12 + i0]`). */
export function element(ref: ValueRef, offset: string): string {
  return `${ref.view}[${plus(ref.base, offset)}]`;
}

/**
 * Strides (in elements) with which an operand of `shape` is read over the iteration space
 * `space` under NumPy broadcasting: aligned at the trailing axis, 0 along broadcast axes.
 */
export function broadcastStrides(shape: Shape, space: Shape): number[] {
  const own = stridesOf(shape);
  const lead = space.length - shape.length;
  return space.map((_, k) => {
    const j = k - lead;
    return j < 0 || shape[j] === 1 ? 0 : own[j]!;
  });
}

/** An iteration space with its access patterns, after {@link collapseAxes}. */
export interface Collapsed {
  readonly shape: number[];
  /** One stride vector per access pattern, one entry per remaining axis. */
  readonly patterns: number[][];
}

/**
 * Simplifies an iteration space without changing the elements any pattern visits, in order:
 * drops extent-1 axes and merges neighbouring axes that every pattern walks as one (stride of
 * the outer = stride of the inner × its extent). `[64, 1, 256]` read contiguously becomes one
 * loop of 16,384; a bias `[256]` broadcast over it keeps two.
 */
export function collapseAxes(shape: Shape, patterns: readonly (readonly number[])[]): Collapsed {
  const out: number[] = [];
  const strides: number[][] = patterns.map(() => []);
  for (let k = 0; k < shape.length; k++) {
    const extent = shape[k]!;
    if (extent === 1) continue;
    const last = out.length - 1;
    if (last >= 0 && patterns.every((p, q) => strides[q]![last] === p[k]! * extent)) {
      out[last]! *= extent;
      patterns.forEach((p, q) => {
        strides[q]![last] = p[k]!;
      });
    } else {
      out.push(extent);
      patterns.forEach((p, q) => {
        strides[q]!.push(p[k]!);
      });
    }
  }
  return { shape: out, patterns: strides };
}

interface OffsetVar {
  readonly name: string;
  readonly level: number;
  readonly init: string;
  readonly step: number;
}

/**
 * A nest of `for` loops over a (collapsed) iteration space, one level per axis. Code is placed
 * at a level: `head(k)` runs at the start of loop k's body (before loop k + 1), `tail(k)` after
 * loop k + 1 in the same body; level −1 is outside every loop. `offset(p, k)` is pattern p's
 * element offset given the indices of levels ≤ k: outer levels keep a running offset variable
 * advanced in the loop header, the innermost level uses its index directly (`o3 + i2`).
 */
export class LoopNest {
  readonly shape: readonly number[];
  readonly patterns: readonly (readonly number[])[];
  /** The innermost level (−1 when there are no loops). */
  readonly inner: number;
  readonly #ctx: EmitContext;
  readonly #index: string[];
  readonly #heads: string[][];
  readonly #tails: string[][];
  readonly #vars = new Map<string, OffsetVar>();

  constructor(ctx: EmitContext, collapsed: Collapsed) {
    this.#ctx = ctx;
    this.shape = collapsed.shape;
    this.patterns = collapsed.patterns;
    this.inner = this.shape.length - 1;
    this.#index = this.shape.map(() => ctx.local("i"));
    this.#heads = [[], ...this.shape.map(() => [])];
    this.#tails = [[], ...this.shape.map(() => [])];
  }

  /** Statements at the start of level `level`'s body (−1: before the loops). */
  head(level: number): string[] {
    return this.#heads[level + 1]!;
  }

  /** Statements after the inner loop in level `level`'s body (−1: after the loops). */
  tail(level: number): string[] {
    return this.#tails[level + 1]!;
  }

  /** The loop index of `level`. */
  index(level: number): string {
    return this.#index[level]!;
  }

  /** The deepest level along which pattern `p` moves (−1: it is constant over the space). */
  levelOf(p: number): number {
    const strides = this.patterns[p]!;
    for (let k = strides.length - 1; k >= 0; k--) if (strides[k] !== 0) return k;
    return -1;
  }

  /** Pattern `p`'s element offset with the indices of levels ≤ `level` ("0" or an expression). */
  offset(p: number, level: number): string {
    if (level < 0) return "0";
    const stride = this.patterns[p]![level]!;
    const parent = this.offset(p, level - 1);
    if (stride === 0) return parent;
    if (level === this.inner) {
      const term = stride === 1 ? this.#index[level]! : `${this.#index[level]} * ${stride}`;
      return parent === "0" ? term : `${parent} + ${term}`;
    }
    // A unit stride from the start is the loop index itself.
    if (parent === "0" && stride === 1) return this.#index[level]!;
    // The offset depends only on the strides up to this level: patterns agreeing there share it.
    const key = this.patterns[p]!.slice(0, level + 1).join(",");
    let v = this.#vars.get(key);
    if (!v) {
      v = { name: this.#ctx.local("o"), level, init: parent, step: stride };
      this.#vars.set(key, v);
    }
    return v.name;
  }

  /** The loops with their statements, as source lines. */
  render(): string {
    return [...this.head(-1), ...this.#renderLevel(0), ...this.tail(-1)].join("\n");
  }

  #renderLevel(level: number): string[] {
    if (level > this.inner) return [];
    const i = this.#index[level]!;
    const vars = [...this.#vars.values()].filter((v) => v.level === level);
    const init = [`let ${i} = 0`, ...vars.map((v) => `${v.name} = ${v.init}`)].join(", ");
    const step = [`${i}++`, ...vars.map((v) => `${v.name} += ${v.step}`)].join(", ");
    const body = [...this.head(level), ...this.#renderLevel(level + 1), ...this.tail(level)];
    return [`for (${init}; ${i} < ${this.shape[level]}; ${step}) {`, ...indent(body), "}"];
  }
}

/** Indents every line of every statement by two spaces. */
export function indent(statements: readonly string[]): string[] {
  return statements.flatMap((s) => s.split("\n").map((line) => (line ? `  ${line}` : line)));
}

/** Fresh local names, one per prefix, as a tuple. */
export function locals<const T extends readonly string[]>(
  ctx: EmitContext,
  ...prefixes: T
): { [K in keyof T]: string } {
  return prefixes.map((p) => ctx.local(p)) as { [K in keyof T]: string };
}

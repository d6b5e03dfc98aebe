// Shared helpers for the autodiff tests (not part of the package's public API).
import {
  createRng,
  evaluate,
  type Graph,
  GraphBuilder,
  type OpName,
  type OpSample,
  type Rng,
  randomData,
  sizeOf,
} from "@nnc/core";

/** A graph applying `op` to inputs `in0`, `in1`, ... with output "out". */
export function sampleGraph(op: OpName, sample: OpSample): Graph {
  const g = new GraphBuilder(`sample-${op}`);
  const inputs = sample.inputs.map((t, i) => g.input(`in${i}`, t.shape, t.dtype));
  g.output("out", g.apply(op, inputs, sample.attrs));
  return g.build();
}

/** Random feeds for a sample's inputs. */
export function sampleFeeds(sample: OpSample, rng: Rng): Record<string, Float64Array> {
  return Object.fromEntries(
    sample.inputs.map((t, i) => [
      `in${i}`,
      randomData(t.dtype, sizeOf(t.shape), rng, sample.ranges?.[i] ?? [-2, 2]),
    ]),
  );
}

/** ⟨a, b⟩ */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Random normal data. */
export function randn(n: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: n }, () => rng.normal());
}

/** `x + s·t` elementwise. */
export function axpy(x: ArrayLike<number>, s: number, t: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v, i) => v + s * t[i]!);
}

/**
 * Central finite difference of output `out` of `graph` along direction `tangents` (by input
 * name), in float64: (f(x + εt) − f(x − εt)) / 2ε.
 */
export function finiteDifference(
  graph: Graph,
  feeds: Record<string, Float64Array>,
  tangents: Record<string, Float64Array>,
  out: string,
  epsilon = 1e-6,
): Float64Array {
  const shifted = (s: number) =>
    Object.fromEntries(
      Object.entries(feeds).map(([k, v]) => [k, tangents[k] ? axpy(v, s, tangents[k]!) : v]),
    );
  const plus = evaluate(graph, shifted(epsilon))[out]!;
  const minus = evaluate(graph, shifted(-epsilon))[out]!;
  return Float64Array.from(plus, (p, i) => (p - minus[i]!) / (2 * epsilon));
}

/** Largest |a − b| / (1 + |b|), treating NaN = NaN and equal infinities as agreeing. */
export function maxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
    worst = Math.max(worst, Math.abs(x - y) / (1 + Math.abs(y)));
  }
  return worst;
}

export { createRng };

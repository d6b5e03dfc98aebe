// Shared helpers for the autodiff tests (not part of the package's public API).
import {
  createRng,
  evaluate,
  type Graph,
  GraphBuilder,
  type OpName,
  type OpSample,
  opDef,
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
  feeds: Readonly<Record<string, ArrayLike<number>>>,
  tangents: Readonly<Record<string, ArrayLike<number>>>,
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

/** One adjoint-identity check: ⟨A x, y⟩ (lhs) against Σ ⟨xᵢ, Aᵢᵀ y⟩ (rhs). */
export interface AdjointCheck {
  readonly operands: readonly number[];
  readonly lhs: number;
  readonly rhs: number;
}

/**
 * Checks an op's transpose rule on one sample with random data: for each group of linear
 * operands (all of them when the op is jointly linear, each alone when it is multilinear), the
 * other operands fixed as residuals. Ops affine in their operands (pad with a constant) are
 * checked on A(x) − A(0).
 */
export function adjointChecks(op: OpName, sample: OpSample, rng: Rng): AdjointCheck[] {
  const def = opDef(op);
  const declared = def.linearity!.operands;
  const operands = declared === "all" ? sample.inputs.map((_, i) => i) : declared;
  const groups = def.linearity!.kind === "joint" ? [operands] : operands.map((i) => [i]);
  const forward = sampleGraph(op, sample);
  const node = forward.node(forward.outputs[0]!.node);
  const checks: AdjointCheck[] = [];
  if (node.type.dtype !== "float32") return checks;
  for (const linearSet of groups) {
    if (linearSet.some((i) => sample.inputs[i]!.dtype !== "float32")) continue;
    const isLinear = (name: string) => linearSet.includes(Number(name.slice(2)));
    const feeds = sampleFeeds(sample, rng);
    const zeroed = Object.fromEntries(
      Object.entries(feeds).map(([name, v]) => [
        name,
        isLinear(name) ? new Float64Array(v.length) : v,
      ]),
    );
    const a0 = evaluate(forward, zeroed).out!;
    // Positions holding an infinite constant do not depend on x; they pair with y = 0.
    const finite = (i: number) => Number.isFinite(a0[i]!);
    const ax = Float64Array.from(evaluate(forward, feeds).out!, (v, i) =>
      finite(i) ? v - a0[i]! : 0,
    );
    const y = randn(ax.length, rng).map((v, i) => (finite(i) ? v : 0));

    const g = new GraphBuilder("transpose");
    const ct = g.input("ct", node.type.shape);
    const residuals = sample.inputs.map((t, i) =>
      linearSet.includes(i) ? undefined : g.input(`in${i}`, t.shape, t.dtype),
    );
    const results = def.transpose!({
      g,
      ct,
      attrs: node.attrs,
      types: sample.inputs,
      residuals,
      linear: sample.inputs.map((_, i) => linearSet.includes(i)),
      outType: node.type,
    });
    for (const i of linearSet)
      g.output(`ct${i}`, results[i] ?? g.broadcastTo(g.constant(0), sample.inputs[i]!.shape));
    const residualFeeds = Object.fromEntries(
      Object.entries(feeds).filter(([name]) => !isLinear(name)),
    );
    const transposed = evaluate(g.build(), { ...residualFeeds, ct: y });
    checks.push({
      operands: linearSet,
      lhs: dot(ax, y),
      rhs: linearSet.reduce((s, i) => s + dot(feeds[`in${i}`]!, transposed[`ct${i}`]!), 0),
    });
  }
  return checks;
}

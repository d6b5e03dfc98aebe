import { compile, type Executable } from "@nnc/compiler";
import {
  createRng,
  type DType,
  evaluate,
  type Graph,
  GraphBuilder,
  OP_SAMPLES,
  type OpName,
  type OpSample,
  type Rng,
  randomData,
  sizeOf,
} from "@nnc/core";
import { instantiatePlan } from "./driver/instance.js";
import { emitPlan } from "./emit/emit-plan.js";
import { KERNEL_TABLE, VEC4_TABLE } from "./glsl/kernel-table.js";
import { webgl } from "./index.js";
import type { WebglPlan } from "./plan.js";

// Test helpers: one-op graphs from core's op samples, compiled for WebGL and compared with
// core's float64 reference evaluator.

/** A one-op graph from an op sample: inputs x0, x1, ... and the output y. */
export function sampleGraph(op: string, sample: OpSample): Graph {
  const g = new GraphBuilder(op);
  const inputs = sample.inputs.map((t, i) => g.input(`x${i}`, t.shape, t.dtype));
  g.output("y", g.apply(op as Parameters<GraphBuilder["apply"]>[0], inputs, sample.attrs));
  return g.build();
}

/** Random data for a value; float32 data already rounded to float32, so both sides see it. */
export function randomFeed(
  dtype: DType,
  shape: readonly number[],
  rng: Rng,
  range?: readonly [number, number],
): number[] {
  const data = Array.from(randomData(dtype, sizeOf(shape), rng, range));
  return dtype === "float32" ? data.map(Math.fround) : data;
}

/** Random feeds for a sample's inputs. */
export function sampleFeeds(sample: OpSample, rng: Rng): Record<string, number[]> {
  return Object.fromEntries(
    sample.inputs.map((t, i) => [`x${i}`, randomFeed(t.dtype, t.shape, rng, sample.ranges?.[i])]),
  );
}

/**
 * The first element where `actual` and `expected` differ by more than atol + rtol·|expected|
 * (NaN matches NaN, infinities match exactly), as a message; undefined when they agree.
 */
export function mismatch(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
): string | undefined {
  if (actual.length !== expected.length) {
    return `length ${actual.length} instead of ${expected.length}`;
  }
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (
      Number.isNaN(e) ? Number.isNaN(a) : a === e || Math.abs(a - e) <= atol + rtol * Math.abs(e)
    ) {
      continue;
    }
    return `element ${i}: ${a} instead of ${e}`;
  }
  return undefined;
}

/** Tolerances per op: one float32 rounding, more for GPU transcendentals. */
export interface OpTolerance {
  readonly rtol: number;
  readonly atol: number;
}

/**
 * Runs every valid op sample of `op` over `seeds` on WebGL and returns the mismatches (empty
 * when all agree) and how many samples ran.
 */
export async function checkOpSamples(
  op: OpName,
  tolerance: OpTolerance,
  seeds: readonly number[] = [1, 2, 3],
): Promise<{ failures: string[]; checked: number }> {
  const failures: string[] = [];
  let checked = 0;
  for (const seed of seeds) {
    const rng = createRng(seed);
    for (const [index, sample] of OP_SAMPLES[op].valid(rng).entries()) {
      const graph = sampleGraph(op, sample);
      const feeds = sampleFeeds(sample, rng);
      const expected = evaluate(graph, feeds).y!;
      const exe = await compile(graph, { backend: webgl() });
      const actual = exe.run(feeds).y!;
      const what = `${op} seed ${seed} sample ${index}: ${JSON.stringify(sample.inputs)} ${JSON.stringify(sample.attrs)}`;
      const problem = mismatch(
        actual as ArrayLike<number>,
        expected,
        tolerance.rtol,
        tolerance.atol,
      );
      if (problem) failures.push(`${what}: ${problem}`);
      checked++;
    }
  }
  return { failures, checked };
}

/**
 * Runs a compiled program through `plan` instead of the backend's default plan (e.g. one built
 * without the multi-target paths, to test the paths the default would not take) and returns
 * output `output`.
 */
export async function runPlan(
  exe: Executable,
  plan: WebglPlan,
  feeds: Readonly<Record<string, ArrayLike<number>>>,
  output: string,
): Promise<ArrayLike<number>> {
  const { graph } = exe.program;
  const instance = await instantiatePlan(plan, exe.program);
  for (const [name, data] of Object.entries(feeds)) instance.write(graph.findNode(name)!.id, data);
  instance.run();
  return instance.read(graph.outputs.find((o) => o.name === output)!.node);
}

/** The plan of a program with the 4-wide paths but no multi-target ones. */
export function planWithoutSplits(exe: Executable): WebglPlan {
  return emitPlan(exe.program, KERNEL_TABLE, VEC4_TABLE, {});
}

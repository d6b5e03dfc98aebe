/**
 * Running graphs the way the pages describe: compiled for the CPU backend (float32, the code a
 * user would run) and on the float64 reference evaluator (the oracle), with results as plain
 * number arrays ready for JSON.
 */
import { cpu } from "@nnc/backend-cpu";
import { compile } from "@nnc/compiler";
import { evaluate, type Feeds, type Graph } from "@nnc/core";

/** Named results as plain arrays. */
export type Results = Record<string, number[]>;

function plain(outputs: Readonly<Record<string, ArrayLike<number>>>): Results {
  return Object.fromEntries(Object.entries(outputs).map(([name, v]) => [name, Array.from(v)]));
}

/**
 * Compiles `graph` for inference on the CPU backend, sets `params` (when given) and runs it on
 * `inputs`: every output, as float32 values widened to numbers.
 */
export async function runOnCpu(graph: Graph, inputs: Feeds, params: Feeds = {}): Promise<Results> {
  const exe = await compile(graph, { backend: cpu() });
  if (Object.keys(params).length > 0) exe.setParams(params);
  return plain(exe.run(inputs));
}

/** Evaluates `graph` with the float64 reference evaluator: every output as numbers. */
export function runReference(graph: Graph, feeds: Feeds = {}): Results {
  return plain(evaluate(graph, feeds));
}

/** The rows of a row-major `rows × cols` array. */
export function toMatrix(values: ArrayLike<number>, rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => values[i * cols + j]!),
  );
}

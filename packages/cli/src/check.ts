import type { Executable } from "@nnc/compiler";
import { createRng, evaluate, type Graph, randomData, sizeOf } from "@nnc/core";

/** How one output of the compiled program compared with the reference evaluator. */
export interface CheckResult {
  readonly output: string;
  /** Largest |compiled − reference|. */
  readonly maxAbsError: number;
  /** Whether every element is within `atol + rtol·|reference|`. */
  readonly ok: boolean;
}

const RTOL = 1e-3;
const ATOL = 1e-4;

/**
 * Runs the compiled program once on seeded random inputs and compares it with the float64
 * reference evaluator on the original graph, with the executable's current parameters (so
 * `--weights` are checked too). Inference compares every output; training compares the loss
 * `step` returns (computed before the update); the step updates the executable's parameters,
 * so call it after the files are written.
 */
export function checkExecutable(
  graph: Graph,
  exe: Executable,
  loss: string | undefined,
): CheckResult[] {
  const rng = createRng(0x5eed);
  const feeds: Record<string, Float64Array> = {};
  for (const input of graph.inputs) {
    // Integer inputs are usually class labels: keep them small and non-negative.
    const range: [number, number] = input.type.dtype === "float32" ? [-1, 1] : [0, 2];
    feeds[input.name] = randomData(input.type.dtype, sizeOf(input.type.shape), rng, range);
  }
  // The executable's parameters may differ from the initialisers (--weights): feed them.
  const params = exe.getParams();
  const paramFeeds = Object.fromEntries(
    graph.params.filter((p) => p.name in params).map((p) => [p.name, params[p.name]!]),
  );
  const reference = evaluate(graph, { ...paramFeeds, ...feeds });
  const compiled: Record<string, ArrayLike<number>> = exe.program.mode === "train"
    ? { [loss!]: [exe.step(feeds)] }
    : exe.run(feeds);
  return Object.entries(compiled).map(([output, values]) => {
    const expected = reference[output]!;
    let maxAbsError = 0;
    let ok = values.length === expected.length;
    for (let i = 0; i < Math.min(values.length, expected.length); i++) {
      const error = Math.abs(values[i]! - expected[i]!);
      if (!(error <= ATOL + RTOL * Math.abs(expected[i]!))) ok = false;
      if (!(error <= maxAbsError)) maxAbsError = error;
    }
    return { output, maxAbsError, ok };
  });
}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { evaluate, type Graph, readSafetensors, sizeOf } from "@nnc/core";
import { randomValues } from "./standalone/test-support.js";

/** The graph a model file's default export builds (called with no options, as the CLI does). */
export async function buildModel(file: string): Promise<Graph> {
  const exported = ((await import(pathToFileURL(file).href)) as { default: unknown }).default;
  return (typeof exported === "function" ? await exported() : exported) as Graph;
}

/** Seeded inputs: float32-representable values in [-1, 1), integers (labels) in {0, 1}. */
export function randomFeeds(graph: Graph, seed: number): Record<string, number[]> {
  const feeds: Record<string, number[]> = {};
  for (const [k, input] of graph.inputs.entries()) {
    const values = randomValues(sizeOf(input.type.shape), seed + k);
    feeds[input.name] =
      input.type.dtype === "float32" ? values.map(Math.fround) : values.map((v) => (v < 0 ? 0 : 1));
  }
  return feeds;
}

/** Core's reference evaluator on `feeds` with the parameters of `<dir>/model.safetensors`. */
export function referenceOutputs(
  graph: Graph,
  dir: string,
  feeds: Readonly<Record<string, readonly number[]>>,
): Record<string, ArrayLike<number>> {
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(dir, "model.safetensors"))));
  const params = Object.fromEntries([...tensors].map(([name, t]) => [name, t.data]));
  return evaluate(graph, { ...params, ...feeds });
}

/** Names of the outputs where `actual` is not within 1e-4 + 1e-3·|expected| of `expected`. */
export function mismatches(
  actual: Readonly<Record<string, ArrayLike<number>>>,
  expected: Readonly<Record<string, ArrayLike<number>>>,
): string[] {
  const bad: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name];
    let ok = got !== undefined && got.length === want.length;
    for (let i = 0; ok && i < want.length; i++) {
      const error = Math.abs(got![i]! - want[i]!);
      if (!(error <= 1e-4 + 1e-3 * Math.abs(want[i]!))) ok = false;
    }
    if (!ok) bad.push(name);
  }
  if (Object.keys(actual).length !== Object.keys(expected).length) bad.push("<output names>");
  return bad;
}

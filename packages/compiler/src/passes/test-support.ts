// Helpers for pass tests (not part of the package's public API).
import {
  createRng,
  evaluate,
  type Feeds,
  type Graph,
  printGraph,
  randomData,
  sizeOf,
  verify,
} from "@nnc/core";
import { expect } from "vitest";
import type { CompileMode, Pass, PassNote } from "./pass.js";

/** Runs one pass the way the PassManager does (then verifies the result) and returns its notes. */
export function runPass(pass: Pass, graph: Graph, mode: CompileMode = "infer") {
  const notes: PassNote[] = [];
  const artifacts: Record<string, unknown> = {};
  const result = pass.run(graph, {
    mode,
    note: (n) => notes.push(n),
    provide: (k, v) => {
      artifacts[k] = v;
    },
  });
  verify(result);
  return { graph: result, notes, artifacts, text: printGraph(result) };
}

/**
 * Random feeds for every input and parameter of `graph`: normal floats, int32 in [0, 4), and
 * strictly positive values for parameters whose name says they are variances.
 */
export function randomFeeds(
  graph: Graph,
  seed: number,
  overrides: Feeds = {},
): Record<string, ArrayLike<number>> {
  const rng = createRng(seed);
  const feeds: Record<string, ArrayLike<number>> = {};
  for (const node of [...graph.inputs, ...graph.params]) {
    const n = sizeOf(node.type.shape);
    feeds[node.name] = /var/.test(node.name)
      ? randomData("float32", n, rng, [0.5, 2])
      : randomData(node.type.dtype, n, rng, node.type.dtype === "int32" ? [0, 4] : [-2, 2]);
  }
  return { ...feeds, ...overrides };
}

/**
 * Asserts that two graphs compute the same outputs on the same feeds (those of `before`; feeds
 * `after` no longer has are dropped), to a relative tolerance.
 */
export function expectSameOutputs(before: Graph, after: Graph, feeds: Feeds, rtol = 1e-12): void {
  const names = new Set([...after.inputs, ...after.params].map((n) => n.name));
  const a = evaluate(before, feeds);
  const b = evaluate(
    after,
    Object.fromEntries(Object.entries(feeds).filter(([k]) => names.has(k))),
  );
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  for (const [name, want] of Object.entries(a)) {
    const got = b[name]!;
    expect(got.length, name).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
      const x = want[i]!;
      const y = got[i]!;
      if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
      expect(Math.abs(x - y), `${name}[${i}]: ${x} vs ${y}`).toBeLessThanOrEqual(
        rtol * Math.max(1, Math.abs(x)),
      );
    }
  }
}

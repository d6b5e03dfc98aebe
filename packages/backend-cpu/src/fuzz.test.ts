import { createRng, evaluateAll, expandComposites, type Graph } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { randomGraph } from "../../compiler/src/memory/random-graphs.js";
import { groupKernels } from "../../compiler/src/passes/fuse-elementwise.js";
import {
  load,
  mismatch,
  naiveMatmul,
  OWN_KERNELS,
  programFor,
  randomFeed,
} from "./test-support.js";

// Random graphs (the compiler's planner fuzzer: broadcasting elementwise chains, comparisons,
// selects, casts, reductions, layout ops, matmul, state updates) grouped into kernels by the
// real fusion pass and placed by the real planner (in-place writes, memory reuse), run through
// the backend and compared with the reference: every fused kernel must either be safe to run as
// one loop or fall back to node-by-node execution.

const GRAPHS = 300;
const TABLE = { ...OWN_KERNELS, matmul: naiveMatmul };

function feedsOf(graph: Graph, seed: number): Record<string, number[]> {
  const rng = createRng(seed);
  return Object.fromEntries(
    [...graph.inputs, ...graph.params].map((n) => [
      n.name,
      randomFeed(n.type.dtype, n.type.shape, rng, n.type.dtype === "int32" ? [-4, 5] : [-2, 2]),
    ]),
  );
}

describe("random fused programs agree with the reference", () => {
  it(`${GRAPHS} graphs`, async () => {
    let fused = 0;
    for (let seed = 1; seed <= GRAPHS; seed++) {
      const graph = expandComposites(randomGraph(seed));
      const kernels = groupKernels(graph);
      fused += kernels.filter((k) => k.kind !== "single").length;
      const program = programFor(graph, kernels);
      const feeds = feedsOf(graph, seed);
      const expected = evaluateAll(graph, feeds);
      const { instance } = await load(program, TABLE);
      for (const [name, data] of Object.entries(feeds))
        instance.write(graph.findNode(name)!.id, data);
      instance.run();
      for (const output of graph.outputs) {
        const problem = mismatch(
          instance.read(output.node),
          expected.outputs[output.name]!,
          1e-4,
          1e-5,
        );
        expect(problem, `seed ${seed} output ${output.name}`).toBeUndefined();
      }
      for (const update of graph.updates) {
        const param = graph.findNode(update.param)!;
        const problem = mismatch(
          instance.read(param.id),
          expected.updates[update.param]!,
          1e-4,
          1e-5,
        );
        expect(problem, `seed ${seed} update ${update.param}`).toBeUndefined();
      }
    }
    expect(fused).toBeGreaterThan(GRAPHS / 2);
  });
});

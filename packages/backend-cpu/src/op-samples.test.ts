import { createRng, isOpName, OP_NAMES, OP_SAMPLES, opDef } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { SCALAR } from "./kernels/elementwise.js";
import {
  kernelSection,
  mismatch,
  OWN_KERNELS,
  programFor,
  reference,
  runProgram,
  sampleFeeds,
  sampleGraph,
} from "./test-support.js";

// Every valid op sample of every op this part of the backend implements, over several seeds:
// emitted, loaded with new Function, run, and compared with core's float64 reference.

const SEEDS = [1, 2, 3, 4];
const OPS = Object.keys(OWN_KERNELS).filter(isOpName);

describe("op samples agree with the reference", () => {
  for (const op of OPS) {
    it(op, async () => {
      let checked = 0;
      for (const seed of SEEDS) {
        const rng = createRng(seed);
        for (const [index, sample] of OP_SAMPLES[op].valid(rng).entries()) {
          const graph = sampleGraph(op, sample);
          const feeds = sampleFeeds(sample, rng);
          const expected = reference(graph, feeds).y!;
          const { source, outputs } = await runProgram(programFor(graph), feeds);
          const what = `${op} seed ${seed} sample ${index}: ${JSON.stringify(sample.inputs)} ${JSON.stringify(graph.node(graph.outputs[0]!.node).attrs)}`;
          // One float32 rounding of a float64 result (sums accumulate in float64).
          expect(mismatch(outputs.y!, expected, 1e-6, 1e-7), what).toBeUndefined();
          expect(kernelSection(source), what).not.toMatch(/\bnew /);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    });
  }

  it("covers every elementwise primitive of the registry", () => {
    const elementwise = OP_NAMES.filter(
      (op) => opDef(op).category === "elementwise" && opDef(op).kind === "primitive",
    );
    expect(Object.keys(SCALAR).sort()).toEqual([...elementwise].sort());
  });
});

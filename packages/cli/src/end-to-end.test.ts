import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildModel, mismatches, randomFeeds, referenceOutputs } from "./e2e-support.js";
import {
  EXAMPLES,
  nnc,
  pluginScratchDir,
  removeScratchDirs,
  runModelInFreshNode,
  scratchDir,
} from "./test-support.js";

afterAll(removeScratchDirs);

/**
 * Every model file in examples/ whose default export the CLI can call without options (the
 * seeds' networks through their model files in seeds/models/; s10's builder is a test fixture,
 * not a model file). AlexNet runs separately below (cpu only).
 */
const MODELS = [
  "seed-002-table/model.ts",
  "lenet/model.ts",
  "w3-bn-convnet/model.ts",
  "seeds/s9-network.ts",
  "seeds/models/s2-three-layer.ts",
  "seeds/models/s5-mixture.ts",
];

/** The backends that run in Node: the built-in cpu one and the example plugin package. */
const BACKENDS = ["cpu", "nnc-backend-float64"];

/** Compiles `file` with the CLI for `backend`, runs model.js in a fresh Node process, compares. */
async function compileAndCompare(file: string, backend: string): Promise<void> {
  // cpu: the output lives outside the repository with nothing to resolve (no dependencies);
  // the plugin's model.js needs its package and @nnc/core installed.
  const cpu = backend === "cpu";
  const cwd = cpu ? scratchDir() : pluginScratchDir();
  const out = join(cwd, "out");
  const run = await nnc(["compile", join(EXAMPLES, file), "--backend", backend, "--out", out], cwd);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  const graph = await buildModel(join(EXAMPLES, file));
  const feeds = randomFeeds(graph, 11);
  const outputs = await runModelInFreshNode(out, feeds, { typescript: !cpu });
  expect(Object.keys(outputs).sort()).toEqual(graph.outputs.map((o) => o.name).sort());
  expect(mismatches(outputs, referenceOutputs(graph, out, feeds))).toEqual([]);
}

describe("end to end: examples × Node backends, model.js in a fresh Node process", () => {
  for (const file of MODELS) {
    for (const backend of BACKENDS) {
      it.concurrent(`${file} on ${backend}`, () => compileAndCompare(file, backend));
    }
  }

  // AlexNet (61 M parameters, a 240 MB arena) on the cpu backend only: the float64 example
  // backend interprets every op in plain float64 loops and would take minutes.
  it.concurrent(
    "alexnet/model.ts on cpu",
    () => compileAndCompare("alexnet/model.ts", "cpu"),
    180_000,
  );

  it.concurrent("alexnet/model.ts: the summary", async () => {
    const run = await nnc(["compile", "alexnet/model.ts", "--summary"], EXAMPLES);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^total params: 61,100,840 /m);
  });
});

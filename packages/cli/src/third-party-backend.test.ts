import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildModel, mismatches, randomFeeds, referenceOutputs } from "./e2e-support.js";
import {
  EXAMPLES,
  nnc,
  pluginScratchDir,
  removeScratchDirs,
  runModelInFreshNode,
} from "./test-support.js";

afterAll(removeScratchDirs);

describe("nnc compile --backend <third-party package>", () => {
  it("compiles through nnc-backend-float64 into a model.js that loads it by package name", async () => {
    // A user's project: the plugin and @nnc/core are installed, the model sits beside them.
    const cwd = pluginScratchDir();
    const modelFile = join(cwd, "model.ts");
    const source = readFileSync(join(EXAMPLES, "seed-002-table/model.ts"), "utf8");
    writeFileSync(modelFile, source);
    const run = await nnc(
      ["compile", "model.ts", "--backend", "nnc-backend-float64", "--out", "out", "--check"],
      cwd,
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/compiled "seed-002" for float64 \(infer\)/);
    expect(run.stdout).toMatch(/check "out": ok/);
    const out = join(cwd, "out");
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(report.backend).toBe("float64");

    const code = readFileSync(join(out, "model.js"), "utf8");
    const imports = [...code.matchAll(/^import .* from (".*");$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['"nnc-backend-float64"', '"@nnc/core"']);
    expect(code).toMatch(/^\/\/ "seed-002": a model emitted by nnc for the "float64" backend/);

    // model.js in a fresh Node process, against core's reference evaluator.
    const graph = await buildModel(modelFile);
    const feeds = randomFeeds(graph, 7);
    const outputs = await runModelInFreshNode(out, feeds, { typescript: true });
    expect(Object.keys(outputs)).toEqual(["out"]);
    expect(mismatches(outputs, referenceOutputs(graph, out, feeds))).toEqual([]);
  });
});

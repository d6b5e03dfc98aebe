import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpu } from "@nnc/backend-cpu";
import { compile, sgd } from "@nnc/compiler";
import { type Graph, GraphBuilder } from "@nnc/core";
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, writeOutsideRepo } from "./test-support.js";
import { writeStandaloneFiles } from "./write-standalone-files.js";

const TSC = fileURLToPath(new URL("../../../../node_modules/typescript/bin/tsc", import.meta.url));

function buildModel(): Graph {
  const g = new GraphBuilder("classifier");
  const x = g.input("x", [2, 4]);
  const label = g.input("label", [2], "int32");
  const logits = g.layers.dense(x, 3, { name: "fc", seed: 1 });
  g.output("logits", logits);
  g.output("loss", g.softmaxCrossEntropy(logits, label));
  g.output("__proto__", g.relu(logits));
  return g.build();
}

/** Type-checks `usage` (usage.ts beside the files) with strict tsc; returns its diagnostics. */
function typecheck(dir: string, usage: string): string {
  writeFileSync(join(dir, "usage.ts"), usage);
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }');
  try {
    execFileSync(
      process.execPath,
      [
        TSC,
        "--noEmit",
        "--strict",
        "--target",
        "es2022",
        "--module",
        "nodenext",
        "--lib",
        "es2022,dom",
        "usage.ts",
      ],
      { cwd: dir, encoding: "utf8" },
    );
    return "";
  } catch (error) {
    return String((error as { stdout?: string }).stdout);
  }
}

afterAll(removeTempDirs);

describe("model.d.ts", () => {
  it("types an inference model's inputs, outputs and run, with shapes in JSDoc", async () => {
    const exe = await compile(buildModel(), { backend: cpu() });
    const files = writeStandaloneFiles(exe, { name: "classifier" });
    expect(files["model.d.ts"]).toContain('readonly "x": Float32Array | readonly number[];');
    expect(files["model.d.ts"]).toContain('Input "label": int32[2] (row-major, 2 values).');
    expect(files["model.d.ts"]).toContain("run(inputs: Inputs): Outputs;");
    expect(files["model.d.ts"]).not.toContain("step(");
    const dir = writeOutsideRepo(files);
    const ok = `import { load, inputs, type Outputs } from "./model.js";
const m = await load(undefined, { wasm: false });
const out: Outputs = m.run({ x: new Float32Array(8), label: new Int32Array(2) });
const logits: Float32Array = out.logits;
const proto: Float32Array = out["__proto__"];
const labels: Int32Array = out.loss as unknown as Int32Array;
m.setParams({ "fc.weight": new Float32Array(12) });
const w: Float32Array = m.getParams()["fc.bias"];
console.log(inputs[0]?.shape, logits, proto, labels, w);
`;
    expect(typecheck(dir, ok)).toBe("");
    const wrong = `import { load } from "./model.js";
const m = await load();
m.run({ x: new Float32Array(8), label: new Float32Array(2) });
m.run({ x: new Float32Array(8) });
m.step({ x: new Float32Array(8), label: new Int32Array(2) });
m.setParams({ nope: new Float32Array(1) });
const y: Int32Array = m.run({ x: [1], label: [0] }).logits;
`;
    const diagnostics = typecheck(dir, wrong);
    expect(diagnostics.match(/usage\.ts\(\d+/g)).toEqual([
      "usage.ts(3",
      "usage.ts(4",
      "usage.ts(5",
      "usage.ts(6",
      "usage.ts(7",
    ]);
  });

  it("gives training models step and no run", async () => {
    const exe = await compile(buildModel(), {
      backend: cpu(),
      mode: "train",
      loss: "loss",
      optimizer: sgd({ lr: 0.1 }),
    });
    const dir = writeOutsideRepo(writeStandaloneFiles(exe, { name: "classifier" }));
    expect(
      typecheck(
        dir,
        `import { load } from "./model.js";
const m = await load();
const loss: number = m.step({ x: [1, 2, 3, 4, 5, 6, 7, 8], label: new Int32Array(2) });
// @ts-expect-error: a training model has no run
m.run({ x: new Float32Array(8), label: new Int32Array(2) });
console.log(loss);
`,
      ),
    ).toBe("");
  });
});

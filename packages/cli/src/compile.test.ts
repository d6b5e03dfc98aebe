import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readSafetensors, writeSafetensors } from "@nnc/core";
import { afterAll, describe, expect, it } from "vitest";
import { EXAMPLES, nnc, removeScratchDirs, scratchDir } from "./test-support.js";

afterAll(removeScratchDirs);

const SEED_TABLE = `layer  op          output (H×W×C)  params  receptive field
-----  ----------  --------------  ------  ---------------
conv1  conv2d      31×31×5             85  4×4
pool1  max_pool2d  10×10×5              0  8×8
conv2  conv2d      8×8×5              230  20×20
pool2  max_pool2d  4×4×5                0  26×26
fc     dense       5                  405  62×62

total params: 720 (trainable 720, non-trainable 0)`;

const seedModel = () => readFileSync(join(EXAMPLES, "seed-002-table/model.ts"), "utf8");

describe("nnc compile", () => {
  it("--summary prints the S4 table and writes nothing", async () => {
    const run = await nnc(["compile", "seed-002-table/model.ts", "--summary"], EXAMPLES);
    expect(run).toEqual({ code: 0, stdout: `${SEED_TABLE}\n`, stderr: "" });
    expect(existsSync(join(EXAMPLES, "nnc-out"))).toBe(false);
  });

  it("compiles a model outside any package into ./nnc-out/<graph name>/", async () => {
    const cwd = scratchDir({ "model.ts": seedModel() });
    const run = await nnc(["compile", "model.ts", "--check"], cwd);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(SEED_TABLE);
    expect(run.stdout).toMatch(/check "out": ok/);
    const out = join(cwd, "nnc-out", "seed-002");
    expect(readdirSync(out).sort()).toEqual([
      "model.d.ts",
      "model.js",
      "model.safetensors",
      "report.json",
      "report.md",
    ]);
    // No staging directory is left next to the output.
    expect(readdirSync(join(cwd, "nnc-out"))).toEqual(["seed-002"]);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(report).toMatchObject({
      model: "seed-002",
      source: "model.ts",
      backend: "cpu",
      mode: "infer",
    });
    expect(
      report.summary.rows.map((r: { name: string; params: number }) => [r.name, r.params]),
    ).toEqual([
      ["conv1", 85],
      ["pool1", 0],
      ["conv2", 230],
      ["pool2", 0],
      ["fc", 405],
    ]);
    expect(report.passes.map((p: { name: string }) => p.name)).toContain("fuse-elementwise");
    expect(report.opCounts).toEqual({ add: 3, conv2d: 2, matmul: 1, max_pool2d: 2, reshape: 3 });
    expect(report.memory.paramBytes).toBe(720 * 4);
    expect(report.check).toEqual([{ output: "out", maxAbsError: expect.any(Number), ok: true }]);
    const md = readFileSync(join(out, "report.md"), "utf8");
    expect(md).toContain(SEED_TABLE);
    for (const heading of ["## Passes", "## Memory", "## Op counts"]) expect(md).toContain(heading);
    expect(md).toContain("fuse-elementwise                 18 → 18 nodes");
    expect(md).toMatch(/parameters {9}2\.8 KiB/);
  });

  it("calls a default-export function (LeNet) and compiles it for training", async () => {
    const out = scratchDir();
    const run = await nnc(
      [
        "compile",
        "lenet/model.ts",
        "--mode",
        "train",
        "--optimizer",
        "adam",
        "--lr",
        "0.001",
        "--out",
        out,
        "--check",
      ],
      EXAMPLES,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/compiled "lenet5" for cpu \(train\)/);
    // The memory report is printed: planned against naive, and what is kept for the backward pass.
    expect(run.stdout).toMatch(/peak activations +[\d.]+ KiB \(naive [\d.]+ KiB, [\d.]+ %\)/);
    expect(run.stdout).toContain("kept for the backward pass:");
    expect(run.stdout).toMatch(/check "loss": ok/);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(report.mode).toBe("train");
    expect(report.memory.optimizerStateBytes).toBeGreaterThan(0);
    expect(report.opCounts.conv2d).toBeGreaterThan(0);
  });

  it("passes --batch to a model function as { batch }", async () => {
    const cwd = scratchDir({
      "batched.ts": `import { GraphBuilder } from "@nnc/core";
export default async ({ batch = 1 }: { batch?: number } = {}) => {
  const g = new GraphBuilder("batched");
  g.output("y", g.relu(g.input("x", [batch, 3])));
  return g.build();
};
`,
    });
    const run = await nnc(["compile", "batched.ts", "--batch", "7", "--summary"], cwd);
    expect(run.code).toBe(0);
    const compiled = await nnc(["compile", "batched.ts", "--batch", "7"], cwd);
    expect(compiled.code).toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, "nnc-out/batched/report.json"), "utf8"));
    expect(report.summary.rows[0].outputShape).toEqual([7, 3]);
  });

  it("writes pictures and dumps on request", async () => {
    const out = scratchDir();
    const run = await nnc(
      [
        "compile",
        "seed-002-table/model.ts",
        "--out",
        out,
        "--emit",
        "svg",
        "--emit",
        "dot",
        "--emit",
        "json",
        "--dump-after",
        "decompose-composites",
      ],
      EXAMPLES,
    );
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^\/\/ after decompose-composites\ngraph "seed-002" \{/);
    expect(readFileSync(join(out, "graph.svg"), "utf8")).toMatch(/<svg/);
    expect(readFileSync(join(out, "graph.dot"), "utf8")).toMatch(/digraph/);
    expect(JSON.parse(readFileSync(join(out, "graph.json"), "utf8")).name).toBe("seed-002");
    expect(readFileSync(join(out, "dumps/decompose-composites.txt"), "utf8")).toMatch(
      /^graph "seed-002"/,
    );
  });

  it("starts from --weights and writes them to model.safetensors", async () => {
    const cwd = scratchDir({ "model.ts": seedModel() });
    const fcWeight = new Float32Array(80 * 5).fill(0.25);
    writeFileSync(
      join(cwd, "w.safetensors"),
      writeSafetensors({ "fc.weight": { dtype: "F32", shape: [80, 5], data: fcWeight } }),
    );
    const run = await nnc(["compile", "model.ts", "--weights", "w.safetensors", "--check"], cwd);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const written = readSafetensors(
      new Uint8Array(readFileSync(join(cwd, "nnc-out/seed-002/model.safetensors"))),
    );
    expect([...written.tensors.get("fc.weight")!.data]).toEqual([...fcWeight]);

    writeFileSync(
      join(cwd, "bad.safetensors"),
      writeSafetensors({ "fc.weight": { dtype: "F32", shape: [5, 80], data: fcWeight } }),
    );
    const bad = await nnc(
      ["compile", "model.ts", "--weights", "bad.safetensors", "--out", "again"],
      cwd,
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatchInlineSnapshot(`
      "nnc: error: --weights bad.safetensors: tensor "fc.weight" has shape [5,80], the parameter has [80,5]
      "
    `);
    expect(existsSync(join(cwd, "again"))).toBe(false);
  });

  it("leaves the previous output untouched when a compile fails", async () => {
    const cwd = scratchDir({
      "model.ts": seedModel(),
      "broken.ts": "export default () => { throw new Error('boom'); };\n",
    });
    expect((await nnc(["compile", "model.ts", "--out", "out"], cwd)).code).toBe(0);
    const before = readFileSync(join(cwd, "out/model.js"), "utf8");
    const failed = await nnc(["compile", "broken.ts", "--out", "out"], cwd);
    expect(failed.code).toBe(1);
    expect(readFileSync(join(cwd, "out/model.js"), "utf8")).toBe(before);
    expect(readdirSync(cwd).sort()).toEqual(["broken.ts", "model.ts", "out"]);
  });

  it("refuses to replace a directory it did not write", async () => {
    const cwd = scratchDir({ "model.ts": seedModel(), "notes.txt": "mine" });
    const run = await nnc(["compile", "model.ts", "--out", "."], cwd);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatchInlineSnapshot(`
      "nnc: error: --out . is a non-empty directory nnc did not write (it has no report.json); nnc replaces its output directory as a whole, so choose a new or empty one
      "
    `);
    expect(readFileSync(join(cwd, "notes.txt"), "utf8")).toBe("mine");
  });
});

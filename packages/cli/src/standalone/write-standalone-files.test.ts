import { cpu } from "@nnc/backend-cpu";
import { adam, compile, type Executable, type Optimizer, sgd } from "@nnc/compiler";
import { evaluate, type Graph, GraphBuilder, readSafetensors } from "@nnc/core";
import { afterAll, describe, expect, it } from "vitest";
import { buildLeNet } from "../../../../examples/lenet/model.js";
// Test-only reach into the backend for its Wasm GEMM bytes (not part of its public API).
import { wasmGemmModule } from "../../../backend-cpu/src/wasm/gemm-wasm.js";
import {
  maxRelativeError,
  randomValues,
  removeTempDirs,
  runInFreshNode,
  writeOutsideRepo,
} from "./test-support.js";
import { writeStandaloneFiles } from "./write-standalone-files.js";

function buildMlp(batch: number): Graph {
  const g = new GraphBuilder("mlp");
  const x = g.input("x", [batch, 8]);
  const label = g.input("label", [batch], "int32");
  const h = g.layers.dense(x, 16, { name: "fc1", activation: "relu", seed: 3 });
  const logits = g.layers.dense(h, 3, { name: "fc2", seed: 4 });
  g.output("logits", logits);
  g.output("loss", g.softmaxCrossEntropy(logits, label));
  return g.build();
}

/** Random feeds for every input of `exe` (labels in [0, classes)). */
function randomFeeds(exe: Executable, seed: number, classes = 3): Record<string, number[]> {
  const feeds: Record<string, number[]> = {};
  exe.inputs.forEach((spec, i) => {
    const n = spec.shape.reduce((a, d) => a * d, 1);
    const values = randomValues(n, seed + i);
    feeds[spec.name] =
      spec.dtype === "float32" ? values : values.map((v) => Math.floor(((v + 1) / 2) * classes));
  });
  return feeds;
}

const RUN_BOTH_GEMMS = `
const results = {};
for (const wasm of [true, false]) {
  const m = await model.load(undefined, { wasm });
  results[m.gemm] = m.run(data.feeds);
}
// An engine without WebAssembly falls back to a plain ArrayBuffer and the JavaScript GEMM.
delete globalThis.WebAssembly;
const m = await model.load();
results["no WebAssembly: " + m.gemm] = m.run(data.feeds);
print(results);
`;

afterAll(removeTempDirs);

describe("writeStandaloneFiles: inference in a fresh Node process", () => {
  const cases: [string, () => Graph][] = [
    ["mlp", () => buildMlp(4)],
    ["lenet", () => buildLeNet({ batch: 2 })],
  ];
  it.each(cases)(
    "%s matches the reference evaluator with the Wasm and the JS GEMM",
    async (name, build) => {
      const graph = build();
      const exe = await compile(graph, { backend: cpu() });
      const files = writeStandaloneFiles(exe, { name, wasmGemm: wasmGemmModule() });
      expect(files["model.js"]).not.toMatch(/^\s*import\s|@nnc\//m);
      const dir = writeOutsideRepo(files);
      const feeds = randomFeeds(exe, 11);
      const results = runInFreshNode(dir, RUN_BOTH_GEMMS, { feeds }) as Record<
        string,
        Record<string, number[]>
      >;
      expect(Object.keys(results).sort()).toEqual(["js", "no WebAssembly: js", "wasm"]);
      const reference = evaluate(graph, { ...feeds, ...exe.getParams() });
      for (const outputs of Object.values(results)) {
        expect(Object.keys(outputs).sort()).toEqual(Object.keys(reference).sort());
        for (const [output, values] of Object.entries(outputs)) {
          expect(maxRelativeError(values, reference[output]!)).toBeLessThan(1e-4);
        }
      }
    },
  );
});

describe("writeStandaloneFiles: training", () => {
  const optimizers: [string, Optimizer][] = [
    ["sgd", sgd({ lr: 0.1 })],
    ["adam (with optimizer state)", adam({ lr: 0.01 })],
  ];
  it.each(optimizers)(
    "%s steps like exe.step and exports the updated parameters and state",
    async (_name, optimizer) => {
      const graph = buildMlp(4);
      const exe = await compile(graph, {
        backend: cpu(),
        mode: "train",
        loss: "loss",
        optimizer,
      });
      const files = writeStandaloneFiles(exe, { name: "mlp", wasmGemm: wasmGemmModule() });
      expect(files["model.d.ts"]).toContain("step(batch: Inputs): number;");
      expect(files["model.d.ts"]).not.toContain("run(");
      const batches = [1, 2, 3].map((seed) => randomFeeds(exe, 100 * seed));
      const dir = writeOutsideRepo(files);
      const results = runInFreshNode(
        dir,
        `const results = {};
      for (const wasm of [true, false]) {
        const m = await model.load(undefined, { wasm });
        let refused = "";
        try { m.run(data.batches[0]); } catch (e) { refused = e.message; }
        const losses = data.batches.map((b) => m.step(b));
        results[m.gemm] = { losses, params: m.getParams(), refused };
      }
      print(results);`,
        { batches },
      ) as Record<string, { losses: number[]; params: Record<string, number[]>; refused: string }>;
      const losses = batches.map((b) => exe.step(b));
      expect(losses[2]).not.toBe(losses[0]);
      const params = exe.getParams();
      expect(Object.keys(params).length).toBeGreaterThanOrEqual(4);
      expect(Object.keys(results).sort()).toEqual(["js", "wasm"]);
      for (const result of Object.values(results)) {
        expect(result.refused).toMatch(/compiled for training: call step\(batch\)/);
        expect(maxRelativeError(result.losses, losses)).toBeLessThan(1e-5);
        expect(Object.keys(result.params).sort()).toEqual(Object.keys(params).sort());
        for (const [name, values] of Object.entries(params)) {
          expect(maxRelativeError(result.params[name]!, values)).toBeLessThan(1e-5);
        }
      }
    },
  );
});

describe("writeStandaloneFiles: weights and validation", () => {
  it("writes the executable's parameters, or the given weights, as safetensors", async () => {
    const exe = await compile(buildMlp(2), { backend: cpu() });
    const params = exe.getParams();
    const fc1 = new Float32Array(params["fc1.weight"]!.length).fill(0.5);
    const files = writeStandaloneFiles(exe, { name: "mlp", weights: { "fc1.weight": fc1 } });
    const { tensors, metadata } = readSafetensors(files["model.safetensors"]);
    expect([...tensors.keys()].sort()).toEqual(Object.keys(params).sort());
    expect(tensors.get("fc1.weight")!.data).toEqual(fc1);
    expect(tensors.get("fc2.weight")!.data).toEqual(params["fc2.weight"]);
    expect(tensors.get("fc1.weight")!.shape).toEqual([8, 16]);
    expect(metadata.model).toBe("mlp");
    expect(() =>
      writeStandaloneFiles(exe, { name: "mlp", weights: { nope: new Float32Array(1) } }),
    ).toThrowError(/"nope" is not a parameter of "mlp"/);
  });

  it("loads the weights file beside the module and rejects bad feeds with errors naming the input", async () => {
    const exe = await compile(buildMlp(2), { backend: cpu() });
    const dir = writeOutsideRepo(writeStandaloneFiles(exe, { name: "mlp" }));
    const errors = runInFreshNode(
      dir,
      `const m = await model.load();
      const x = new Float32Array(16);
      const attempts = [
        {},
        { x, label: [0, 1], extra: [1] },
        { x: [1, 2], label: [0, 1] },
        { x, label: [0, 1.5] },
        { x, label: [0, 1], "fc1.weight": [1] },
      ];
      const out = attempts.map((feeds) => { try { m.run(feeds); return "no error"; } catch (e) { return e.message; } });
      try { await model.load(new Uint8Array(3)); } catch (e) { out.push(e.message); }
      try { m.setParams({ "fc1.weight": [1] }); } catch (e) { out.push(e.message); }
      print(out);`,
    );
    expect(errors).toMatchInlineSnapshot(`
      [
        "run: input "x" (float32[2,8]) was not given",
        "run: "extra" is not an input of "mlp" (inputs: "x", "label")",
        "run: "x" has shape float32[2,8] (16 values) but 2 values were given",
        "run: "label" is int32 but element 1 is 1.5",
        "run: "fc1.weight" is not an input of "mlp" (inputs: "x", "label"); it is a parameter: use setParams",
        "safetensors: file of 3 bytes is too short for the 8-byte header length",
        "setParams: "fc1.weight" has shape float32[8,16] (128 values) but 1 values were given",
      ]
    `);
  });
});

import {
  BACKEND_API_VERSION,
  type Backend,
  evaluateAll,
  GraphBuilder,
  type Program,
  type ReferenceArray,
  sizeOf,
} from "@nnc/core";
import { describe, expect, it } from "vitest";
import { compile, compileProgram, loadProgram } from "./compile.js";
import { sgd } from "./optimizers/sgd.js";
import { trainingGraph } from "./optimizers/training-graph.js";
import { ReferenceTrainer } from "./reference-trainer.js";

/**
 * A backend that runs programs with core's float64 reference evaluator: it keeps values by node
 * instead of in an arena, which is enough to test compile() and the Executable.
 */
function evaluatorBackend(): Backend {
  return {
    name: "evaluator",
    apiVersion: BACKEND_API_VERSION,
    supports: () => true,
    emit: (program: Program) => ({
      backend: "evaluator",
      apiVersion: BACKEND_API_VERSION,
      source: `// ${program.graph.nodes.length} nodes`,
      metadata: {},
    }),
    async instantiate(_module, program) {
      const { graph } = program;
      const stored = new Map<number, Float64Array>();
      const byName = (id: number) => graph.node(id).name;
      return {
        write: (node, data) => {
          stored.set(node, Float64Array.from(data));
        },
        read: (node) => {
          const type = graph.node(node).type;
          const data = stored.get(node) ?? new Float64Array(sizeOf(type.shape));
          return type.dtype === "int32"
            ? Int32Array.from(data)
            : type.dtype === "bool"
              ? Uint8Array.from(data)
              : Float32Array.from(data);
        },
        run: () => {
          const feeds = Object.fromEntries(
            [...stored]
              .filter(([id]) => ["input", "param"].includes(graph.node(id).op))
              .map(([id, v]) => [byName(id), v]),
          );
          const { values, updates } = evaluateAll(graph, feeds);
          for (const output of graph.outputs) stored.set(output.node, values[output.node]!.data);
          for (const [param, value] of Object.entries(updates) as [string, ReferenceArray][]) {
            stored.set(graph.findNode(param)!.id, Float64Array.from(value));
          }
        },
      };
    },
  };
}

function mlp() {
  const g = new GraphBuilder("mlp");
  const x = g.input("x", [4, 3]);
  const y = g.input("y", [4], "int32");
  const h = g.layers.dense(x, 5, { name: "fc1", activation: "relu", seed: 1 });
  const logits = g.layers.dense(h, 2, { name: "fc2", seed: 2 });
  g.output("logits", logits);
  g.output("loss", g.softmaxCrossEntropy(logits, y));
  return g.build();
}

const batch = { x: [0.5, -1, 2, 1, 0, -0.5, 0.25, 0.75, -2, 1.5, 1, 0], y: [0, 1, 1, 0] };

describe("compileProgram and loadProgram", () => {
  it("emit without instantiating, and load later with the initial parameters", async () => {
    const backend = evaluatorBackend();
    let instantiated = 0;
    const counting: Backend = {
      ...backend,
      instantiate: (module, program) => {
        instantiated++;
        return backend.instantiate(module, program);
      },
    };
    const compiled = await compileProgram(mlp(), { backend: counting });
    expect(instantiated).toBe(0);
    expect(compiled.module.source).toMatch(/^\/\/ \d+ nodes$/);
    expect(Object.keys(compiled.initialParams).sort()).toEqual([
      "fc1.bias",
      "fc1.weight",
      "fc2.bias",
      "fc2.weight",
    ]);
    const exe = await loadProgram(compiled, counting);
    expect(instantiated).toBe(1);
    expect(exe.getParams()["fc1.weight"]).toEqual(
      Float32Array.from(compiled.initialParams["fc1.weight"]!),
    );
    const direct = await compile(mlp(), { backend });
    expect(exe.run(batch).logits).toEqual(direct.run(batch).logits);
  });
});

describe("compile", () => {
  it("runs inference and reports passes, memory, kernels and op counts", async () => {
    const exe = await compile(mlp(), { backend: evaluatorBackend() });
    const out = exe.run(batch);
    const reference = evaluateAll(mlp(), batch).outputs;
    expect(Array.from(out.logits!)).toEqual(Array.from(Float32Array.from(reference.logits!)));
    expect(exe.inputs.map((i) => i.name)).toEqual(["x", "y"]);
    expect(exe.report.passes.map((p) => p.name)).toContain("fold-batch-norm");
    expect(exe.report.memory.keptActivations).toEqual([]);
    expect(exe.report.opCounts.matmul).toBe(2);
    expect(exe.report.backend).toBe("evaluator");
  });

  it("trains: step returns the loss and updates parameters in place, like the reference trainer", async () => {
    const model = mlp();
    const exe = await compile(model, {
      backend: evaluatorBackend(),
      mode: "train",
      loss: "loss",
      optimizer: sgd({ lr: 0.5 }),
    });
    const trainer = new ReferenceTrainer(
      trainingGraph(model, { loss: "loss", optimizer: sgd({ lr: 0.5 }) }),
    );
    for (let i = 0; i < 3; i++) {
      const loss = exe.step(batch);
      const want = trainer.step(batch).loss![0]!;
      expect(loss).toBeCloseTo(want, 5);
    }
    const params = exe.getParams();
    expect(params["fc1.weight"]![0]).toBeCloseTo(trainer.params["fc1.weight"]![0]!, 5);
    expect(params["opt/step"]![0]).toBe(3);
    expect(exe.report.memory.keptActivations.map((k) => k.name)).toContain("fc1/relu");
  });

  it("sets parameters by name", async () => {
    const exe = await compile(mlp(), { backend: evaluatorBackend() });
    exe.setParams({ "fc2.bias": [10, -10] });
    expect(Array.from(exe.getParams()["fc2.bias"]!)).toEqual([10, -10]);
    expect(() => exe.setParams({ nope: [1] })).toThrowError(
      /NNC4003: setParams: "nope" is not a parameter/,
    );
    expect(() => exe.setParams({ "fc2.bias": [1, 2, 3] })).toThrowError(/NNC4002/);
  });

  it("validates inputs: names, sizes, dtypes, and the mode", async () => {
    const exe = await compile(mlp(), { backend: evaluatorBackend() });
    expect(() => exe.run({ x: batch.x })).toThrowErrorMatchingInlineSnapshot(
      `[NncError: error NNC4001: run: input "y" (int32[4]) was not given]`,
    );
    expect(() => exe.run({ ...batch, z: [1] })).toThrowError(/NNC4003: run: "z" is not an input/);
    expect(() => exe.run({ ...batch, "fc1.weight": [1] })).toThrowError(
      /it is a parameter: use setParams/,
    );
    expect(() => exe.run({ ...batch, x: [1, 2] })).toThrowErrorMatchingInlineSnapshot(
      `[NncError: error NNC4002: run: "x" has shape [4,3] (12 values) but 2 values were given]`,
    );
    expect(() => exe.run({ ...batch, y: [0, 1.5, 1, 0] })).toThrowErrorMatchingInlineSnapshot(
      `[NncError: error NNC4004: run: input "y" is int32 but element 1 is 1.5]`,
    );
    expect(() => exe.step(batch)).toThrowError(
      /NNC4005: this executable was compiled for inference/,
    );
  });

  it("reads an output of the last step: the logits of the batch the step saw", async () => {
    const model = mlp();
    const before = evaluateAll(model, batch).outputs.logits!;
    const exe = await compile(model, {
      backend: evaluatorBackend(),
      mode: "train",
      loss: "loss",
      optimizer: sgd({ lr: 0.5 }),
    });
    exe.step(batch);
    // The step's forward pass ran on the parameters before the update.
    const logits = exe.readOutput("logits");
    for (let i = 0; i < before.length; i++) expect(logits[i]).toBeCloseTo(before[i]!, 5);
    expect(() => exe.readOutput("nope")).toThrowError(
      /NNC1005: readOutput: "nope" is not an output of "mlp" \(outputs: "logits", "loss"\)/,
    );
  });

  it("checks the options and the backend", async () => {
    await expect(
      compile(mlp(), { backend: evaluatorBackend(), mode: "train" }),
    ).rejects.toThrowError(/training needs a loss/);
    await expect(
      compile(mlp(), {
        backend: evaluatorBackend(),
        mode: "train",
        loss: "nope",
        optimizer: sgd({ lr: 1 }),
      }),
    ).rejects.toThrowError(/loss "nope" is not an output/);
    await expect(
      compile(mlp(), { backend: evaluatorBackend(), memory: { alignment: 2 } }),
    ).rejects.toThrowError(/memory.alignment must be a positive multiple of 4 bytes, got 2/);
    await expect(
      compile(mlp(), { backend: { ...evaluatorBackend(), apiVersion: 99 as 1 } }),
    ).rejects.toThrowError(/plugin API version 99/);
    await expect(
      compile(mlp(), { backend: { ...evaluatorBackend(), supports: (op) => op !== "matmul" } }),
    ).rejects.toThrowError(
      /NNC4006: matmul: backend "evaluator" does not support matmul producing float32/,
    );
  });
});

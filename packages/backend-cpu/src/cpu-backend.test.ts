import {
  BACKEND_API_VERSION,
  createRng,
  evaluateAll,
  GraphBuilder,
  initialParams,
  OP_NAMES,
  opDef,
  type Program,
} from "@nnc/core";
import { describe, expect, it } from "vitest";
import { planMemory } from "../../compiler/src/memory/plan-memory.js";
import { sgd } from "../../compiler/src/optimizers/sgd.js";
import { PassManager } from "../../compiler/src/passes/pass-manager.js";
import { trainingPipeline } from "../../compiler/src/passes/pipelines.js";
import { cpu } from "./index.js";
import { mismatch, randomFeed } from "./test-support.js";

describe("cpu()", () => {
  it("is a plain backend object for the current API", () => {
    const backend = cpu();
    expect(backend.name).toBe("cpu");
    expect(backend.apiVersion).toBe(BACKEND_API_VERSION);
  });

  it("supports every primitive and no composite", () => {
    const backend = cpu();
    for (const op of OP_NAMES) {
      expect(backend.supports(op, "float32"), op).toBe(opDef(op).kind === "primitive");
    }
  });

  it("runs one MLP training step (784-256-128-10, softmax cross-entropy, SGD) like the reference", async () => {
    const g = new GraphBuilder("mlp");
    const x = g.input("x", [16, 784]);
    const y = g.input("y", [16], "int32");
    let h = x;
    for (const [i, [fanIn, fanOut]] of [
      [784, 256],
      [256, 128],
      [128, 10],
    ].entries()) {
      const w = g.param(`fc${i}.w`, [fanIn!, fanOut!], { init: "he_normal", seed: i + 1 });
      const b = g.param(`fc${i}.b`, [fanOut!], { init: "zeros" });
      h = g.add(g.matmul(h, w), b);
      if (i < 2) h = g.relu(h);
    }
    g.output("loss", g.softmaxCrossEntropy(h, y));
    const pipeline = trainingPipeline({ loss: "loss", optimizer: sgd({ lr: 0.1 }) });
    const { graph } = new PassManager({}).run(g.build(), pipeline, "train");
    const plan = planMemory(graph);
    const program: Program = {
      apiVersion: BACKEND_API_VERSION,
      mode: "train",
      graph: plan.graph,
      kernels: plan.kernels,
      buffers: plan.buffers.buffers,
      arenaBytes: plan.buffers.arenaBytes,
      alignment: plan.buffers.alignment,
    };
    expect(program.kernels.some((k) => k.kind === "epilogue")).toBe(true);
    const backend = cpu();
    const instance = await backend.instantiate(backend.emit(program), program);
    const params = initialParams(plan.graph);
    for (const p of plan.graph.params) instance.write(p.id, params[p.name]!);
    const rng = createRng(3);
    const feeds = {
      x: randomFeed("float32", [16, 784], rng, [0, 1]),
      y: randomFeed("int32", [16], rng, [0, 10]),
    };
    for (const [name, data] of Object.entries(feeds)) {
      instance.write(plan.graph.findNode(name)!.id, data);
    }
    instance.run();
    const expected = evaluateAll(plan.graph, { ...feeds, ...params });
    const loss = plan.graph.outputs.find((o) => o.name === "loss")!.node;
    expect(mismatch(instance.read(loss), expected.outputs.loss!, 1e-5, 0)).toBeUndefined();
    for (const update of plan.graph.updates) {
      const param = plan.graph.findNode(update.param)!;
      const problem = mismatch(
        instance.read(param.id),
        expected.updates[update.param]!,
        1e-4,
        1e-5,
      );
      expect(problem, update.param).toBeUndefined();
    }
  });
});

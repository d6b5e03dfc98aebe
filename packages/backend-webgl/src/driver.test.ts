import { compile, planBuffers } from "@nnc/compiler";
import {
  BACKEND_API_VERSION,
  type Backend,
  evaluate,
  type Graph,
  GraphBuilder,
  isNncError,
  type Program,
  type ProgramBuffer,
} from "@nnc/core";
import { describe, expect, it } from "vitest";
import { emitPlan, parsePlanSource, planSource } from "./emit/emit-plan.js";
import { type WebglInstance, webgl } from "./index.js";
import type { WebglPlan } from "./plan.js";

// The driver: shader errors, context loss, texture reuse, exact int32, no compilation after
// instantiate (KHR_parallel_shader_compile polled when present), and the emitted module.

/** A Program for `graph` with one kernel per node, planned like the compiler does. */
function programFor(graph: Graph, options: { reuse?: boolean; inPlace?: boolean } = {}): Program {
  const order = graph.nodes
    .filter((n) => n.op !== "input" && n.op !== "param" && n.op !== "constant")
    .map((n) => n.id);
  const plan = planBuffers(graph, order, options);
  return {
    apiVersion: BACKEND_API_VERSION,
    mode: "infer",
    graph,
    kernels: order.map((id) => ({ kind: "single", nodes: [id] })),
    buffers: plan.buffers.map(
      ({ node, region, offset, bytes, inPlaceOf }): ProgramBuffer => ({
        node,
        region,
        offset,
        bytes,
        ...(inPlaceOf !== undefined && { inPlaceOf }),
      }),
    ),
    arenaBytes: plan.arenaBytes,
    alignment: plan.alignment,
  };
}

/** x → exp → neg → exp → neg → … (n ops), all [64, 64]. */
function chain(n: number): Graph {
  const g = new GraphBuilder("chain");
  let v = g.input("x", [64, 64]);
  for (let k = 0; k < n; k++) v = k % 2 === 0 ? g.exp(v) : g.neg(v);
  g.output("y", v);
  return g.build();
}

/** A context whose compile and link calls are counted. */
function countingCanvas(): { canvas: OffscreenCanvas; counts: { link: number; compile: number } } {
  const canvas = new OffscreenCanvas(1, 1);
  const gl = canvas.getContext("webgl2")!;
  const counts = { link: 0, compile: 0 };
  const link = gl.linkProgram.bind(gl);
  const compileShader = gl.compileShader.bind(gl);
  gl.linkProgram = (p) => {
    counts.link++;
    link(p);
  };
  gl.compileShader = (s) => {
    counts.compile++;
    compileShader(s);
  };
  return { canvas, counts };
}

const feedsOf = (n: number) => Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i) * 0.5));

describe("webgl driver", () => {
  it("turns a shader compile error into NNC4007 naming the kernel and the GLSL line", async () => {
    const inner = webgl();
    const broken: Backend = {
      ...inner,
      emit: (program) => {
        const module = inner.emit(program);
        const plan = parsePlanSource(module.source);
        const kernels = plan.kernels.map((k) => ({
          ...k,
          fragment: k.fragment.replace(
            "void main() {",
            "void main() {\n  float oops = undefined_thing;",
          ),
        }));
        return { ...module, source: planSource({ ...plan, kernels }) };
      },
    };
    const g = new GraphBuilder("broken");
    const x = g.input("x", [3]);
    g.output(
      "y",
      g.scope("my", () => g.exp(x)),
    );
    const error = await compile(g.build(), { backend: broken }).catch((e: unknown) => e);
    expect(isNncError(error)).toBe(true);
    const nnc = error as { code: string; message: string };
    expect(nnc.code).toBe("NNC4007");
    expect(nnc.message).toMatch(/kernel "my\/exp[^"]*"/);
    expect(nnc.message).toMatch(/GLSL line \d+: float oops = undefined_thing;/);
  });

  it("reports context loss as NNC4008, and a new instantiate works", async () => {
    const canvas = new OffscreenCanvas(1, 1);
    const g = new GraphBuilder("lose");
    g.output("y", g.neg(g.input("x", [4])));
    const graph = g.build();
    const exe = await compile(graph, { backend: webgl({ canvas }) });
    expect(Array.from(exe.run({ x: [1, 2, 3, 4] }).y as Float32Array)).toEqual([-1, -2, -3, -4]);
    const gl = canvas.getContext("webgl2")!;
    gl.getExtension("WEBGL_lose_context")!.loseContext();
    const error = (() => {
      try {
        exe.run({ x: [1, 2, 3, 4] });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isNncError(error) && error.code).toBe("NNC4008");
    expect(String((error as Error).message)).toMatch(/compile or instantiate the program again/);
    const again = await compile(graph, { backend: webgl() });
    expect(Array.from(again.run({ x: [1, 2, 3, 4] }).y as Float32Array)).toEqual([-1, -2, -3, -4]);
  });

  it("shares textures where the memory plan reuses bytes, and never a kernel's input and output", async () => {
    const graph = chain(8);
    const reused = emitPlan(programFor(graph));
    const naive = emitPlan(programFor(graph, { reuse: false }));
    // Naive: input + 8 results. With reuse every op runs in place: a texture cannot be read and
    // written by one draw, so the chain ping-pongs between two textures.
    expect(naive.textures.length).toBe(9);
    expect(reused.textures.length).toBe(3);
    const textureOf = new Map(reused.buffers.map((b) => [b.node, b.texture]));
    for (const k of reused.kernels) {
      for (const i of k.inputs) expect(textureOf.get(i)).not.toBe(textureOf.get(k.output));
    }
    // Without in-place writes, the plan alternates between two buffers: two textures.
    const noInPlace = emitPlan(programFor(graph, { inPlace: false }));
    expect(noInPlace.textures.length).toBe(3);
    // And the values are right.
    for (const program of [programFor(graph), programFor(graph, { inPlace: false })]) {
      const backend = webgl();
      const instance = await backend.instantiate(backend.emit(program), program);
      const x = feedsOf(64 * 64);
      instance.write(graph.findNode("x")!.id, x);
      instance.run();
      const got = instance.read(graph.outputs[0]!.node);
      const want = evaluate(graph, { x }).y!;
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
    }
  });

  it("leaves no GL error behind after instantiate and a run with multi-target kernels", async () => {
    const g = new GraphBuilder("mlp");
    const x = g.input("x", [8, 12]);
    const h = g.layers.dense(x, 16, { name: "fc", activation: "relu" });
    g.output("y", g.sum(h));
    const graph = g.build();
    const exe = await compile(graph, { backend: webgl() });
    const backend = webgl();
    const instance = (await backend.instantiate(
      backend.emit(exe.program),
      exe.program,
    )) as WebglInstance;
    expect(emitPlan(exe.program).kernels.some((k) => k.split)).toBe(true);
    expect(instance.gl.getError()).toBe(instance.gl.NO_ERROR);
    const compiled = exe.program.graph;
    instance.write(compiled.findNode("x")!.id, feedsOf(96));
    instance.run();
    instance.read(compiled.outputs[0]!.node);
    expect(instance.gl.getError()).toBe(instance.gl.NO_ERROR);
  });

  it("draws kernels that read only parameters (BatchNorm folding) after a parameter write, not every run", async () => {
    const g = new GraphBuilder("folded");
    const x = g.input("x", [1, 4, 8, 8]);
    const conv = g.layers.conv2d(x, { name: "conv", filters: 8, kernel: 3, padding: "same" });
    g.output("y", g.relu(g.layers.batchNorm(conv, { name: "bn", training: false })));
    const graph = g.build();
    const exe = await compile(graph, { backend: webgl() });
    const plan = emitPlan(exe.program);
    const hoisted = plan.kernels.filter((k) => k.hoisted);
    expect(hoisted.map((k) => k.name)).toEqual(
      expect.arrayContaining(["conv/fold/weight", "conv/fold/bias"]),
    );
    // Hoisted results keep their own textures: nothing else is drawn into them.
    const texture = new Map(plan.buffers.map((b) => [b.node, b.texture]));
    for (const k of hoisted) {
      const others = plan.kernels.filter(
        (o) => o !== k && texture.get(o.output) === texture.get(k.output),
      );
      expect(others).toEqual([]);
    }
    const feeds = { x: feedsOf(4 * 64) };
    const params = exe.getParams();
    const check = (got: ArrayLike<number>, values: Record<string, ArrayLike<number>>) => {
      const want = evaluate(graph, { ...feeds, ...values }).y!;
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 4);
    };
    check(exe.run(feeds).y!, params);
    check(exe.run(feeds).y!, params);
    // New BatchNorm statistics: the folded weights are drawn again on the next run.
    const scaled = { ...params, "bn.running_var": params["bn.running_var"]!.map((v) => v * 4 + 1) };
    exe.setParams({ "bn.running_var": scaled["bn.running_var"] });
    check(exe.run(feeds).y!, scaled);
    check(exe.run(feeds).y!, scaled);
  });

  it("round-trips int32 values beyond 2^24 exactly", async () => {
    const g = new GraphBuilder("ints");
    const x = g.input("x", [6], "int32");
    g.output("y", g.add(x, g.constant([0, 1, 0, 0, 0, 0], [6], "int32")));
    g.output("z", g.mul(x, g.constant([1, 1, 1, 1, 2, 1], [6], "int32")));
    const graph = g.build();
    const exe = await compile(graph, { backend: webgl() });
    const values = [16777217, 2147483647 - 1, -2147483648, 123456789, 1073741825, -16777219];
    const out = exe.run({ x: values });
    const want = evaluate(graph, { x: values });
    expect(Array.from(out.y as Int32Array)).toEqual(Array.from(want.y!));
    expect(Array.from(out.z as Int32Array)).toEqual(Array.from(want.z!));
  });

  it("compiles and links every program at instantiate, none at run", async () => {
    const { canvas, counts } = countingCanvas();
    const graph = chain(6);
    const exe = await compile(graph, { backend: webgl({ canvas }), passes: { disable: [] } });
    const linked = counts.link;
    expect(linked).toBeGreaterThan(0);
    const x = feedsOf(64 * 64);
    const t0 = performance.now();
    exe.run({ x });
    const t1 = performance.now();
    exe.run({ x });
    const t2 = performance.now();
    expect(counts.link).toBe(linked);
    expect(counts.compile).toBe(linked + 1);
    console.log(`first run ${(t1 - t0).toFixed(2)} ms, second ${(t2 - t1).toFixed(2)} ms`);
  });

  it("polls KHR_parallel_shader_compile when the extension is present", async () => {
    const canvas = new OffscreenCanvas(1, 1);
    const gl = canvas.getContext("webgl2")!;
    const getExtension = gl.getExtension.bind(gl);
    const getProgramParameter = gl.getProgramParameter.bind(gl);
    let polls = 0;
    (gl as { getExtension: (name: string) => unknown }).getExtension = (name: string) =>
      name === "KHR_parallel_shader_compile"
        ? { COMPLETION_STATUS_KHR: 0x91b1 }
        : getExtension(name);
    gl.getProgramParameter = (program, pname) => {
      if (pname === 0x91b1) return ++polls > 3;
      return getProgramParameter(program, pname);
    };
    const g = new GraphBuilder("khr");
    g.output("y", g.square(g.input("x", [5])));
    const exe = await compile(g.build(), { backend: webgl({ canvas }) });
    expect(polls).toBeGreaterThan(3);
    expect(Array.from(exe.run({ x: [1, 2, 3, 4, 5] }).y as Float32Array)).toEqual([
      1, 4, 9, 16, 25,
    ]);
  });

  it("emits `export default <JSON>` that parses back, non-finite constants included", () => {
    const g = new GraphBuilder("consts");
    const x = g.input("x", [3]);
    g.output("y", g.add(x, g.constant([Number.NaN, Number.POSITIVE_INFINITY, -1.5], [3])));
    const program = programFor(g.build());
    const module = webgl().emit(program);
    expect(module.backend).toBe("webgl");
    expect(module.source.startsWith("export default {")).toBe(true);
    const plan: WebglPlan = parsePlanSource(module.source);
    const constant = plan.buffers.find((b) => b.constant)!.constant!;
    expect(constant).toEqual([Number.NaN, Number.POSITIVE_INFINITY, -1.5]);
    expect(plan.kernels[0]!.fragment).toContain("#version 300 es");
  });
  it("draws a fresh dropout mask each run from the salt's current value", async () => {
    const g = new GraphBuilder("salted");
    const x = g.input("x", [300]);
    g.output("y", g.apply("dropout", [x, g.input("salt", [])], { rate: 0.5, seed: 42 }));
    const graph = g.build();
    const exe = await compile(graph, { backend: webgl() });
    const data = Array.from({ length: 300 }, (_, i) => i + 1);
    const masks = [];
    for (const salt of [1, 2, 1]) {
      const got = Array.from(exe.run({ x: data, salt: [salt] }).y as Float32Array);
      expect(got).toEqual(Array.from(evaluate(graph, { x: data, salt: [salt] }).y!));
      masks.push(got.map((v) => v !== 0));
    }
    expect(masks[0]).not.toEqual(masks[1]);
    expect(masks[0]).toEqual(masks[2]);
  });

  it("refuses half-float-only devices unless allowHalfFloat, and oversized textures", async () => {
    const halfOnly = new OffscreenCanvas(1, 1);
    const gl = halfOnly.getContext("webgl2")!;
    const getExtension = gl.getExtension.bind(gl);
    (gl as { getExtension: (name: string) => unknown }).getExtension = (name: string) =>
      name === "EXT_color_buffer_float"
        ? null
        : name === "EXT_color_buffer_half_float"
          ? {}
          : getExtension(name);
    const g = new GraphBuilder("half");
    // 20 values: 5 RGBA texels, a 4×2 texture (the smallest power-of-two width whose square
    // holds them).
    g.output("y", g.neg(g.input("x", [20])));
    const graph = g.build();
    const refused = await compile(graph, { backend: webgl({ canvas: halfOnly }) }).catch(
      (e: unknown) => e,
    );
    expect(isNncError(refused) && refused.code).toBe("NNC4006");
    expect((refused as Error).message).toMatch(/allowHalfFloat: true/);

    const small = new OffscreenCanvas(1, 1);
    const gl2 = small.getContext("webgl2")!;
    const getParameter = gl2.getParameter.bind(gl2);
    gl2.getParameter = (pname: GLenum) =>
      pname === gl2.MAX_TEXTURE_SIZE ? 2 : getParameter(pname);
    const tooBig = await compile(graph, { backend: webgl({ canvas: small }) }).catch(
      (e: unknown) => e,
    );
    expect(isNncError(tooBig) && tooBig.code).toBe("NNC4006");
    expect((tooBig as Error).message).toMatch(
      /input "x" needs a 4×2 texture, beyond this device's MAX_TEXTURE_SIZE 2/,
    );
  });
  it("updates state by swapping textures, or by copying when the new value is also an output", async () => {
    for (const exposed of [false, true]) {
      const g = new GraphBuilder("counter");
      const count = g.param("count", [3], { init: "zeros" });
      const step = g.input("step", [3]);
      const next = g.add(count, step);
      g.update(count, next);
      g.output("total", g.sum(next));
      if (exposed) g.output("next", next);
      const exe = await compile(g.build(), { backend: webgl() });
      for (let run = 1; run <= 3; run++) {
        const outputs = exe.run({ step: [1, 2, 3] });
        expect(outputs.total).toEqual(new Float32Array([6 * run]));
        if (exposed) expect(Array.from(outputs.next!)).toEqual([run, 2 * run, 3 * run]);
        expect(Array.from(exe.getParams().count!)).toEqual([run, 2 * run, 3 * run]);
      }
    }
  });

  it("runs several executables on one shared canvas", async () => {
    const canvas = new OffscreenCanvas(1, 1);
    const g = new GraphBuilder("a");
    g.output("y", g.neg(g.input("x", [3])));
    const h = new GraphBuilder("b");
    h.output("y", h.exp(h.input("x", [2])));
    const a = await compile(g.build(), { backend: webgl({ canvas }) });
    const b = await compile(h.build(), { backend: webgl({ canvas }) });
    expect(Array.from(a.run({ x: [1, 2, 3] }).y as Float32Array)).toEqual([-1, -2, -3]);
    expect(Array.from(b.run({ x: [0, 0] }).y as Float32Array)).toEqual([1, 1]);
    expect(Array.from(a.run({ x: [4, 5, 6] }).y as Float32Array)).toEqual([-4, -5, -6]);
  });
});

import { compile } from "@nnc/compiler";
import { GraphBuilder, type Program } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { describeBackendConformance } from "./conformance.js";
import { referenceBackend } from "./reference-backend.js";

// The reference backend must pass the whole suite with no skips.
describeBackendConformance(() => referenceBackend());

describe("referenceBackend", () => {
  it("supports exactly the primitive ops", () => {
    const backend = referenceBackend();
    expect(backend.supports("matmul", "float32")).toBe(true);
    expect(backend.supports("scatter_add_spatial", "float32")).toBe(true);
    expect(backend.supports("softmax", "float32")).toBe(false);
  });

  it("stores results as float32 (rounded) and int32 (wrapped)", async () => {
    const g = new GraphBuilder("rounding");
    const x = g.input("x", [2]);
    const n = g.input("n", [2], "int32");
    g.output("third", g.div(x, 3));
    g.output("next", g.add(n, 1));
    const exe = await compile(g.build(), { backend: referenceBackend() });
    const out = exe.run({ x: [1, 2], n: [5, 2147483647] });
    expect(out.third).toEqual(Float32Array.of(Math.fround(1 / 3), Math.fround(2 / 3)));
    expect(out.next).toEqual(Int32Array.of(6, -2147483648));
  });

  it("keeps every value at its planned offset: a plan sharing live bytes gives wrong results", async () => {
    const g = new GraphBuilder("overlap");
    const x = g.input("x", [4]);
    const a = g.exp(x);
    const b = g.neg(x);
    g.output("out", g.mul(a, b));
    const exe = await compile(g.build(), { backend: referenceBackend() });
    const feeds = { x: [0.5, -1, 2, 0] };
    const right = exe.run(feeds).out!;
    expect(right).toEqual(Float32Array.from(feeds.x, (v) => -v * Math.exp(v)));

    // Place b over a while both are live: b overwrites a before mul reads it.
    const program = exe.program;
    const buffers = [...program.buffers];
    buffers[b.id] = { ...buffers[b.id]!, offset: buffers[a.id]!.offset };
    const broken: Program = { ...program, buffers };
    const backend = referenceBackend();
    const instance = await backend.instantiate(backend.emit(broken), broken);
    instance.write(x.id, feeds.x);
    instance.run();
    const out = instance.read(program.graph.outputs[0]!.node);
    expect(out).toEqual(Float32Array.from(feeds.x, (v) => v * v));
  });

  it("emits a listing of the arena layout and the kernels", async () => {
    const g = new GraphBuilder("listing");
    const x = g.input("x", [2, 3]);
    const b = g.param("b", [3], { init: "zeros" });
    g.output("y", g.relu(g.add(x, b)));
    const exe = await compile(g.build(), { backend: referenceBackend() });
    expect(exe.module.source).toMatchInlineSnapshot(`
      "// nnc reference backend, plugin API 1: graph "listing", mode infer
      // arena 192 bytes, alignment 64
      %0 input "x": f32[2,3] @64+24
      %1 param "b": f32[3] @0+12
      kernel 0 (elementwise)
        %2 = add(%0, %1): f32[2,3] @128+24
        %3 = relu(%2): f32[2,3] @128+24 in place of %2
      "
    `);
    expect(exe.module.metadata).toEqual({
      arenaBytes: exe.program.arenaBytes,
      kernels: 1,
      nodes: 4,
    });
  });

  it("rejects misaligned buffers, foreign modules and writes of the wrong size", async () => {
    const g = new GraphBuilder("aligned");
    const flag = g.input("flag", [3], "bool");
    const x = g.input("x", [3]);
    g.output("y", g.select(flag, x, 0));
    const backend = referenceBackend();
    // compile() refuses alignments typed-array views cannot address...
    await expect(compile(g.build(), { backend, memory: { alignment: 1 } })).rejects.toThrowError(
      /NNC1002: compile: memory.alignment must be a positive multiple of 4 bytes, got 1/,
    );
    const exe = await compile(g.build(), { backend });
    // ...and the backend still checks the program it is given.
    const misaligned = {
      ...exe.program,
      buffers: exe.program.buffers.map((b) => (b.node === x.id ? { ...b, offset: 3 } : b)),
    };
    await expect(backend.instantiate(exe.module, misaligned)).rejects.toThrowError(
      /NNC4006: reference backend: buffer of %1 "x" at offset 3 is not 4-byte aligned/,
    );
    await expect(
      backend.instantiate({ ...exe.module, backend: "cpu" }, exe.program),
    ).rejects.toThrowError(/NNC4006: reference backend: cannot load a module emitted by "cpu"/);
    const instance = await backend.instantiate(exe.module, exe.program);
    expect(() => instance.write(x.id, [1, 2])).toThrowError(
      /NNC4002: reference backend: write: %1 "x" holds 3 values but 2 were given/,
    );
    expect(() => instance.read(99)).toThrowError(
      /NNC4003: reference backend: read: graph has no node %99/,
    );
  });
});

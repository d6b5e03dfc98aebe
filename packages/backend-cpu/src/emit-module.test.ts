import { evaluateAll, GraphBuilder, NncError } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { groupKernels } from "../../compiler/src/passes/fuse-elementwise.js";
import { emitModule } from "./emit-module.js";
import { instantiateModule, loadModule } from "./instantiate.js";
import { kernelSection, load, mismatch, OWN_KERNELS, programFor } from "./test-support.js";

/** relu(x + b) as an elementwise kernel, then Σ exp over rows as a prologue. */
function tinyGraph() {
  const g = new GraphBuilder("tiny");
  const x = g.input("x", [2, 3]);
  const b = g.param("b", [3]);
  const h = g.relu(g.add(x, b));
  g.output("h", h);
  g.output("s", g.sum(g.exp(h), [1]));
  return g.build();
}

describe("emitModule", () => {
  it("emits the golden module for a tiny program", () => {
    const graph = tinyGraph();
    const program = programFor(graph, groupKernels(graph));
    expect(program.kernels.map((k) => k.kind)).toEqual(["elementwise", "prologue"]);
    expect(emitModule(program, OWN_KERNELS).source).toMatchInlineSnapshot(`
      "export default function createProgram(arena, nncWasm) {
        const arenaF = new Float32Array(arena), arenaI = new Int32Array(arena), arenaU = new Uint8Array(arena);
        const F = arenaF, I = arenaI, U = arenaU;
        // %2 = add "add"
        // %3 = relu "relu" (elementwise)
        function kernel0() {
          const F = arenaF;
          for (let i0 = 0, o0 = 0; i0 < 2; i0++, o0 += 3) {
            for (let i1 = 0; i1 < 3; i1++) {
              const x0 = F[16 + o0 + i1];
              const x1 = F[i1];
              const v0 = x0 + x1;
              const v1 = (v0 !== -Infinity ? (v0 + Math.abs(v0)) * 0.5 : 0);
              F[32 + o0 + i1] = v1;
            }
          }
        }
        // %4 = exp "exp"
        // %5 = sum "sum" (prologue)
        function kernel1() {
          const F = arenaF;
          for (let i2 = 0, o1 = 0; i2 < 2; i2++, o1 += 3) {
            let acc0 = 0;
            for (let i3 = 0; i3 < 3; i3++) {
              const x2 = F[32 + o1 + i3];
              const v2 = Math.exp(x2);
              acc0 = acc0 + v2;
            }
            F[64 + i2] = acc0;
          }
        }
        function run() {
          kernel0();
          kernel1();
        }
        return { run };
      }
      "
    `);
  });

  it("is pure: the same program gives the same source", () => {
    const graph = tinyGraph();
    const a = emitModule(programFor(graph, groupKernels(graph)), OWN_KERNELS);
    const b = emitModule(programFor(graph, groupKernels(graph)), OWN_KERNELS);
    expect(a).toEqual(b);
    expect(a.backend).toBe("cpu");
  });

  it("uses no Node API and allocates nothing after the helpers", () => {
    const g = new GraphBuilder("apis");
    const x = g.input("x", [16, 40]);
    const y = g.dropout(g.relu(x), { rate: 0.25, seed: 5 });
    g.output("y", g.sum(y, [0]));
    g.output("t", g.transpose(x, [1, 0]));
    const { source } = emitModule(programFor(g.build()), OWN_KERNELS);
    expect(source).not.toMatch(
      /\brequire\(|\bprocess\b|\bimport\(|\bBuffer\b|globalThis|\bawait\b/,
    );
    expect(source).toMatch(/new Uint8Array\(count\)/);
    expect(kernelSection(source)).not.toMatch(/\bnew\b/);
  });

  it("names an op without a kernel", () => {
    const g = new GraphBuilder("missing");
    g.output("y", g.matmul(g.input("a", [2, 3]), g.input("b", [3, 4])));
    expect(() =>
      emitModule(programFor(g.build()), OWN_KERNELS),
    ).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC4006: matmul: the cpu backend has no kernel for this op
        node: matmul]
    `);
  });
});

describe("instantiateModule", () => {
  it("reads, writes and runs; constants are written once", async () => {
    const g = new GraphBuilder("consts");
    const x = g.input("x", [3]);
    const k = g.input("k", [3], "int32");
    const m = g.input("m", [3], "bool");
    g.output("y", g.add(g.mul(x, g.constant([1, 2, 3], [3])), 0.5));
    g.output("k2", g.mul(k, 2));
    g.output("m2", g.ne(m, g.constant([1, 0, 1], [3], "bool")));
    const graph = g.build();
    const program = programFor(graph);
    const { instance } = await load(program);
    instance.write(x.id, [1, 1, 1]);
    instance.write(k.id, [1.9, -2.9, 3]);
    instance.write(m.id, [2, 0, Number.NaN]);
    instance.run();
    const read = (name: string) =>
      Array.from(instance.read(graph.outputs.find((o) => o.name === name)!.node));
    expect(read("y")).toEqual([1.5, 2.5, 3.5]);
    expect(read("k2")).toEqual([2, -4, 6]);
    expect(read("m2")).toEqual([0, 0, 1]);
    expect(instance.read(k.id)).toBeInstanceOf(Int32Array);
    expect(() => instance.write(x.id, [1, 2])).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC4002: input "x" has shape [3] (3 values) but 2 were given
        node: x]
    `);
  });

  it("refuses a module emitted by another backend", async () => {
    const graph = tinyGraph();
    const program = programFor(graph);
    const module = { ...emitModule(program, OWN_KERNELS), backend: "webgl" };
    await expect(instantiateModule(module, program)).rejects.toThrow(NncError);
  });

  it("loads the module with new Function", () => {
    const create = loadModule(
      "export default function createProgram(arena) { return { run() { new Int32Array(arena)[0] = 7; } }; }\n",
    );
    const arena = new ArrayBuffer(8);
    create(arena).run();
    expect(new Int32Array(arena)[0]).toBe(7);
  });
});

describe("state updates", () => {
  it("writes each update into its parameter after the kernels", async () => {
    const g = new GraphBuilder("state");
    const x = g.input("x", [4]);
    const count = g.param("count", [4], { init: "zeros", trainable: false });
    const next = g.add(count, x);
    g.update(count, next);
    g.output("y", g.mul(next, 2));
    const graph = g.build();
    const { instance } = await load(programFor(graph));
    const feeds = { x: [1, 2, 3, 4], count: [10, 20, 30, 40] };
    const expected = evaluateAll(graph, feeds);
    instance.write(count.id, feeds.count);
    instance.write(x.id, feeds.x);
    instance.run();
    expect(mismatch(instance.read(count.id), expected.updates.count!, 0, 0)).toBeUndefined();
    instance.run();
    expect(Array.from(instance.read(count.id))).toEqual([12, 24, 36, 48]);
  });

  it("applies updates at once, even when one parameter's new value is another parameter", async () => {
    const g = new GraphBuilder("swap");
    const p = g.param("p", [3], { init: "zeros", trainable: false });
    const q = g.param("q", [3], { init: "zeros", trainable: false });
    g.update(p, q);
    g.update(q, p);
    g.output("sum", g.add(p, q));
    const graph = g.build();
    const program = programFor(graph);
    const { source, instance } = await load(program);
    instance.write(p.id, [1, 2, 3]);
    instance.write(q.id, [4, 5, 6]);
    instance.run();
    expect(Array.from(instance.read(p.id))).toEqual([4, 5, 6]);
    expect(Array.from(instance.read(q.id))).toEqual([1, 2, 3]);
    expect(source).toMatch(/nncStage/);
  });
});

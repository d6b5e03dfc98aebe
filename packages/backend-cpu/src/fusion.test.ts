import {
  createRng,
  type Graph,
  GraphBuilder,
  type Program,
  type ProgramKernel,
  type Value,
} from "@nnc/core";
import { describe, expect, it } from "vitest";
import {
  mismatch,
  naiveMatmul,
  OWN_KERNELS,
  programFor,
  randomFeed,
  reference,
  runProgram,
} from "./test-support.js";

// Fused kernels ("elementwise", "epilogue", "prologue") over broadcasting operands, against the
// reference, and what the fusion saves: intermediates read only inside the kernel are never
// stored.

/** A kernel of `kind` over the given values, in order. */
const kernel = (kind: ProgramKernel["kind"], ...values: Value[]): ProgramKernel => ({
  kind,
  nodes: values.map((v) => v.id),
});

/** The remaining compute nodes as single kernels, keeping graph order around `kernels`. */
function withSingles(graph: Graph, kernels: readonly ProgramKernel[]): ProgramKernel[] {
  const grouped = new Map(kernels.map((k) => [k.nodes.at(-1)!, k]));
  const inGroup = new Set(kernels.flatMap((k) => k.nodes));
  const out: ProgramKernel[] = [];
  for (const node of graph.nodes) {
    if (node.op === "input" || node.op === "param" || node.op === "constant") continue;
    const group = grouped.get(node.id);
    if (group) out.push(group);
    else if (!inGroup.has(node.id)) out.push({ kind: "single", nodes: [node.id] });
  }
  return out;
}

/** Feeds for every input and parameter of `graph`. */
function feedsFor(graph: Graph, seed: number): Record<string, number[]> {
  const rng = createRng(seed);
  return Object.fromEntries(
    graph.nodes
      .filter((n) => n.op === "input" || n.op === "param")
      .map((n) => [
        n.name,
        randomFeed(n.type.dtype, n.type.shape, rng, n.type.dtype === "int32" ? [-9, 9] : undefined),
      ]),
  );
}

async function expectAgrees(program: Program, table = OWN_KERNELS): Promise<string> {
  const feeds = feedsFor(program.graph, 7);
  const expected = reference(program.graph, feeds);
  const { source, outputs } = await runProgram(program, feeds, table);
  for (const name of Object.keys(expected)) {
    expect(mismatch(outputs[name]!, expected[name]!, 1e-5, 1e-6), name).toBeUndefined();
  }
  return source;
}

/** The body of the kernel function whose comment names `name`. */
function kernelOf(source: string, name: string): string {
  const lines = source.split("\n");
  const at = lines.findIndex((l) => l.includes(`"${name}"`) && l.trim().startsWith("// %"));
  const start = lines.findIndex((l, i) => i > at && l.trim().startsWith("function kernel"));
  const end = lines.findIndex((l, i) => i > start && l === "  }");
  return lines.slice(start, end + 1).join("\n");
}

const stores = (code: string) => code.match(/\b[FIU]\[[^\]]+\] =/g)?.length ?? 0;

describe("elementwise kernels", () => {
  it("computes a broadcasting chain in one loop, storing only its result", async () => {
    const g = new GraphBuilder("chain");
    const x = g.input("x", [4, 5, 6]);
    const s = g.input("s", [5, 1]);
    const b = g.param("b", [6]);
    const m = g.mul(x, s);
    const a = g.add(m, b);
    const r = g.relu(a);
    const y = g.sub(r, 0.5);
    g.output("y", y);
    const graph = g.build();
    const source = await expectAgrees(
      programFor(graph, withSingles(graph, [kernel("elementwise", m, a, r, y)])),
    );
    const body = kernelOf(source, "sub");
    expect(stores(body)).toBe(1);
    // s is constant along the innermost axis: loaded once per row, not per element.
    expect(body).toMatch(/const x\d+ = F\[\d+ \+ [io]\d+\];\n\s+for/);
    expect(body).not.toMatch(/[%]|Math\.floor/);
  });

  it("stores an intermediate that is also read outside the kernel", async () => {
    const g = new GraphBuilder("shared");
    const x = g.input("x", [3, 7]);
    const b = g.input("b", [7]);
    const a = g.add(x, b);
    const r = g.relu(a);
    g.output("r", r);
    g.output("z", g.mul(a, 2));
    const graph = g.build();
    const source = await expectAgrees(
      programFor(graph, withSingles(graph, [kernel("elementwise", a, r)])),
    );
    expect(stores(kernelOf(source, "relu"))).toBe(2);
  });

  it("mixes int32, bool and float32 values in one chain", async () => {
    const g = new GraphBuilder("dtypes");
    const x = g.input("x", [4, 6]);
    const k = g.input("k", [6], "int32");
    const q = g.div(g.add(g.mul(k, 3), k), 2);
    const positive = g.gt(x, 0);
    const magnitude = g.select(positive, x, g.neg(x));
    const y = g.add(magnitude, g.cast(q, "float32"));
    g.output("y", y);
    const graph = g.build();
    const chain = graph.nodes.filter((n) => n.id > k.id && n.op !== "constant").map((n) => n.id);
    await expectAgrees(
      programFor(graph, [
        { kind: "single", nodes: chain.slice(0, 3) },
        ...chain.slice(3).map((id) => ({ kind: "single" as const, nodes: [id] })),
      ]),
    );
    // The int32 part has shape [6], the rest [4, 6]: as one kernel the [6] nodes run first.
    await expectAgrees(programFor(graph, [{ kind: "elementwise", nodes: chain }]));
  });

  it("computes odd-shaped members first, then fuses the rest", async () => {
    const g = new GraphBuilder("side");
    const x = g.input("x", [4, 5, 6]);
    const b = g.param("b", [6]);
    const b2 = g.relu(b);
    const a = g.add(x, b2);
    const e = g.exp(a);
    g.output("e", e);
    const graph = g.build();
    const source = await expectAgrees(
      programFor(graph, withSingles(graph, [kernel("elementwise", b2, a, e)])),
    );
    expect(stores(kernelOf(source, "exp"))).toBe(2);
  });

  it("fuses over an operand written in place", async () => {
    const g = new GraphBuilder("in-place");
    const x = g.input("x", [8, 16]);
    const b = g.param("b", [16]);
    const e = g.exp(x);
    const a = g.add(e, b);
    const r = g.relu(a);
    g.output("r", r);
    const graph = g.build();
    const program = programFor(graph, withSingles(graph, [kernel("elementwise", a, r)]));
    expect(program.buffers[r.id]!.offset).toBe(program.buffers[e.id]!.offset);
    const source = await expectAgrees(program);
    expect(stores(kernelOf(source, "relu"))).toBe(1);
  });

  it("falls back to one loop per node when the result overlaps an operand it reads later", async () => {
    const g = new GraphBuilder("hazard");
    const x = g.input("x", [4, 8]);
    const c = g.input("c", [8]);
    const bias = g.exp(c);
    const a = g.add(x, bias);
    const r = g.relu(a);
    g.output("r", r);
    const graph = g.build();
    const planned = programFor(graph, withSingles(graph, [kernel("elementwise", a, r)]), {
      reuse: false,
    });
    // The result starts over `bias` (dead after `a`): fine node by node, wrong in one loop.
    const top = planned.arenaBytes;
    const buffers = planned.buffers.map((buf) =>
      buf.node === bias.id
        ? { ...buf, offset: top }
        : buf.node === r.id
          ? { ...buf, offset: top }
          : buf,
    );
    const program: Program = { ...planned, buffers, arenaBytes: top + 4 * 32 };
    const source = await expectAgrees(program);
    expect(stores(kernelOf(source, "relu"))).toBe(2);
  });
});

describe("prologue kernels", () => {
  const cases: [string, number[]][] = [
    ["sum", [2]],
    ["sum", [0]],
    ["sum", [0, 2]],
    ["sum", [1]],
    ["sum", [0, 1, 2]],
    ["sum", []],
    ["max", [0, 2]],
    ["max", [2]],
    ["min", [0]],
    ["min", [1, 2]],
  ];
  for (const [op, axes] of cases) {
    it(`${op} over ${JSON.stringify(axes)} of exp(x − m)`, async () => {
      const g = new GraphBuilder("prologue");
      const x = g.input("x", [3, 4, 5]);
      const m = g.input("m", [3, 4, 1]);
      const d = g.sub(x, m);
      const e = g.exp(d);
      const reduced = g.apply(op as "sum", [e], { axes, keepDims: axes.length % 2 === 0 });
      g.output("y", reduced);
      const graph = g.build();
      const source = await expectAgrees(
        programFor(graph, withSingles(graph, [kernel("prologue", d, e, reduced)])),
      );
      const body = kernelOf(source, graph.node(reduced.id).name);
      // Only the reduction's output is stored (directly, or from the scratch accumulators).
      expect(stores(body)).toBe(1);
    });
  }

  it("counts positives of an int32 chain (int32 sum)", async () => {
    const g = new GraphBuilder("count");
    const x = g.input("x", [6, 9]);
    const p = g.cast(g.gt(x, 0), "int32");
    const s = g.sum(p, [0]);
    g.output("s", s);
    const graph = g.build();
    const chain = graph.nodes.filter((n) => n.id > x.id && n.op !== "constant").map((n) => n.id);
    await expectAgrees(programFor(graph, [{ kind: "prologue", nodes: chain }]));
  });
});

describe("epilogue kernels", () => {
  it("runs the producer's kernel, then the chain over its output", async () => {
    const g = new GraphBuilder("dense");
    const x = g.input("x", [5, 7]);
    const w = g.param("w", [7, 3]);
    const b = g.param("b", [3]);
    const mm = g.matmul(x, w);
    const a = g.add(mm, b);
    const r = g.relu(a);
    g.output("r", r);
    const graph = g.build();
    const source = await expectAgrees(programFor(graph, [kernel("epilogue", mm, a, r)]), {
      ...OWN_KERNELS,
      matmul: naiveMatmul,
    });
    const body = kernelOf(source, "matmul");
    expect(stores(body)).toBe(2);
  });
});

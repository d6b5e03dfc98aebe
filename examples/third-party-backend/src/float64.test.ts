import { readdirSync, readFileSync } from "node:fs";
import { compile } from "@nnc/compiler";
import { BACKEND_API_VERSION, GraphBuilder } from "@nnc/core";
import { referenceBackend } from "@nnc/testkit";
import { describe, expect, it } from "vitest";
import { float64, loadProgram, PROGRAM_FORMAT } from "./index.js";

/** (a + b) + c: in float32 arithmetic 1e8 + 1 rounds back to 1e8, in float64 it does not. */
function cancellation() {
  const g = new GraphBuilder("cancellation");
  const a = g.input("a", [1]);
  const b = g.input("b", [1]);
  const c = g.input("c", [1]);
  g.output("y", g.add(g.add(a, b), c));
  return g.build();
}

const FEEDS = {
  a: Float32Array.of(1e8),
  b: Float32Array.of(1),
  c: Float32Array.of(-1e8),
};

describe("float64 backend", () => {
  it("keeps intermediate values in float64", async () => {
    const graph = cancellation();
    const exact = await compile(graph, { backend: float64() });
    expect(exact.run(FEEDS).y).toEqual(Float32Array.of(1));
    // A float32 backend loses the 1 (the reference backend rounds every stored value).
    const rounded = await compile(graph, { backend: referenceBackend() });
    expect(rounded.run(FEEDS).y).toEqual(Float32Array.of(0));
  });

  it("emits a JSON description that loads without the compiler", async () => {
    const exe = await compile(cancellation(), { backend: float64() });
    expect(exe.module.backend).toBe("float64");
    expect(exe.module.apiVersion).toBe(BACKEND_API_VERSION);
    const doc = JSON.parse(exe.module.source);
    expect(doc.format).toBe(PROGRAM_FORMAT);
    expect(doc.graph.format).toBe("nnc-graph");
    // The saved text alone is enough: write the inputs, run, read the output.
    const instance = loadProgram(exe.module.source);
    const ids = Object.fromEntries(
      doc.graph.nodes.map((n: { name: string; id: number }) => [n.name, n.id]),
    );
    for (const [name, data] of Object.entries(FEEDS)) instance.write(ids[name], data);
    instance.run();
    const output = doc.graph.outputs.find((o: { name: string }) => o.name === "y");
    expect(instance.read(output.node)).toEqual(Float32Array.of(1));
  });

  it("wraps int32 results and stores bools as 0/1", async () => {
    const g = new GraphBuilder("ints");
    const x = g.input("x", [3], "int32");
    g.output("twice", g.add(x, x));
    g.output("positive", g.gt(x, 0));
    const exe = await compile(g.build(), { backend: float64() });
    const out = exe.run({ x: Int32Array.of(2 ** 31 - 1, -3, 0) });
    expect(out.twice).toEqual(Int32Array.of(-2, -6, 0));
    expect(out.positive).toEqual(Uint8Array.of(1, 0, 0));
  });

  it("rejects modules it did not emit and malformed sources with NNC4006", async () => {
    const backend = float64();
    const exe = await compile(cancellation(), { backend: referenceBackend() });
    await expect(backend.instantiate(exe.module, exe.program)).rejects.toThrow(
      /NNC4006: float64 backend: cannot load a module emitted by "reference"/,
    );
    expect(() => loadProgram("{")).toThrow(
      /NNC4006: float64 backend: the module source is not JSON/,
    );
    expect(() => loadProgram('{"format":"other"}')).toThrow(/not an "nnc-float64-program"/);
  });

  it("checks writes and reads like any backend", async () => {
    const exe = await compile(cancellation(), { backend: float64() });
    const instance = await float64().instantiate(exe.module, exe.program);
    expect(() => instance.write(0, [1, 2])).toThrow(/NNC4002: .* holds 1 values but 2 were given/);
    expect(() => instance.read(999)).toThrow(/NNC4003: .*graph has no node %999/);
  });

  it("imports nothing but @nnc/core (the public plugin API) outside its tests", () => {
    const dir = new URL(".", import.meta.url);
    for (const file of readdirSync(dir).filter(
      (f) => f.endsWith(".ts") && !f.endsWith(".test.ts"),
    )) {
      const text = readFileSync(new URL(file, dir), "utf8");
      const imports = [
        // Module statements only: the JSDoc example mentions @nnc/compiler on purpose.
        ...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom "([^"]+)";/gm),
      ].map((m) => m[1]);
      expect(imports.length, file).toBeGreaterThan(0);
      for (const specifier of imports) expect(specifier, file).toMatch(/^(@nnc\/core|\.\/.*\.js)$/);
    }
    const manifest = JSON.parse(readFileSync(new URL("../package.json", dir), "utf8"));
    expect(Object.keys(manifest.dependencies ?? {})).toEqual([]);
    expect(Object.keys(manifest.peerDependencies)).toEqual(["@nnc/core"]);
  });
});

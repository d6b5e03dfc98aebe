import { compile } from "@nnc/compiler";
import { evaluate, GraphBuilder } from "@nnc/core";
import { expect, it } from "vitest";
import { commentText } from "./glsl/shader-builder.js";
import { webgl } from "./index.js";

// Node names reach shaders only inside comments; names with quotes, backslashes, comment
// terminators and non-ASCII line separators must not change what the shader computes.
const HOSTILE = ['a"b', "c\\", "*/ x = 1.0; /*", "line\u2028sep", "层", "__proto__"];

it("escapes node names in shader comments to printable ASCII", () => {
  for (const name of HOSTILE) {
    const text = commentText(name);
    expect(text).toMatch(/^"[\x20-\x7e]*"$/);
    // Still the same name: the escapes are JSON's own.
    expect(JSON.parse(text)).toBe(name);
  }
});

it("compiles and runs a model whose layer names are hostile", async () => {
  const g = new GraphBuilder("hostile");
  const x = g.input("x", [2, 4]);
  let h = x;
  for (const [i, name] of HOSTILE.entries()) {
    h = g.scope(name, () => g.relu(g.add(g.mul(h, 1.5), i * 0.25 - 0.5)));
  }
  g.output("y", h);
  const graph = g.build();
  const feeds = { x: [0.5, -1, 2, 0.25, -0.75, 1, -2, 3] };
  const exe = await compile(graph, { backend: webgl() });
  const got = exe.run(feeds).y!;
  const want = evaluate(graph, feeds).y!;
  for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
  expect(exe.module.source).not.toContain("\u2028");
});

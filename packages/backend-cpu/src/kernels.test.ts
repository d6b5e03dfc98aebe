import { createRng, type DType, type Graph, GraphBuilder, type Value } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { mismatch, programFor, randomFeed, reference, runProgram } from "./test-support.js";

// Kernels on shapes large enough to take the fast paths (tiled transpose, memmove, fill,
// row and column reductions), and on the values where semantics are easy to get wrong (NaN,
// ±0, int32 overflow, division by zero, saturating casts).

type Build = (g: GraphBuilder, x: Value) => Value;

/** Runs y = build(x) for x of `shape` (random, or `data`) and compares with the reference. */
async function check(
  shape: number[],
  build: Build,
  options: { dtype?: DType; data?: number[]; range?: [number, number] } = {},
): Promise<string> {
  const g = new GraphBuilder("kernel");
  const x = g.input("x", shape, options.dtype ?? "float32");
  g.output("y", build(g, x));
  const graph: Graph = g.build();
  const data =
    options.data ?? randomFeed(options.dtype ?? "float32", shape, createRng(11), options.range);
  const expected = reference(graph, { x: data }).y!;
  const { source, outputs } = await runProgram(programFor(graph), { x: data });
  expect(mismatch(outputs.y!, expected, 1e-6, 1e-7)).toBeUndefined();
  return source;
}

describe("layout fast paths", () => {
  it("tiles a large 2-D transpose", async () => {
    const source = await check([70, 45], (g, x) => g.transpose(x, [1, 0]));
    expect(source).toMatch(/b\d+ \+= 32/);
  });

  it("tiles a batched transpose of the last two axes and a general permutation", async () => {
    await check([3, 40, 33], (g, x) => g.transpose(x, [0, 2, 1]));
    await check([2, 3, 20, 17], (g, x) => g.transpose(x, [3, 1, 0, 2]));
    await check([5, 4, 3, 2], (g, x) => g.transpose(x, [2, 0, 3, 1]), { dtype: "int32" });
  });

  it("copies contiguous runs with copyWithin", async () => {
    const source = await check([4, 100], (g, x) => g.concat([x, g.neg(x), x], 1));
    expect(source).toMatch(/copyWithin/);
    await check([1, 100], (g, x) => g.broadcastTo(x, [5, 100]));
    await check([6, 70], (g, x) => g.slice(x, [1, 0], [5, 70], [2, 1]));
  });

  it("fills a broadcast scalar", async () => {
    const source = await check([1], (g, x) => g.broadcastTo(x, [3, 50]));
    expect(source).toMatch(/F\.fill\(F\[/);
  });

  it("pads with interior padding and infinities", async () => {
    await check([9, 7], (g, x) =>
      g.pad(
        x,
        [
          [2, 1],
          [0, 3],
        ],
        Number.NEGATIVE_INFINITY,
        { interior: [1, 2] },
      ),
    );
    await check(
      [3, 4],
      (g, x) =>
        g.pad(
          x,
          [
            [0, 0],
            [1, 1],
          ],
          1,
        ),
      { dtype: "bool" },
    );
  });

  it("reshapes by copying, or not at all when placed in place", async () => {
    await check([4, 6], (g, x) => g.reshape(g.exp(x), [3, 8]));
  });

  it("one-hot encodes with out-of-range indices left off", async () => {
    await check([5, 3], (g, x) => g.oneHot(x, 4, { onValue: 2, offValue: -1 }), {
      dtype: "int32",
      range: [-2, 6],
    });
  });
});

describe("reductions on larger shapes", () => {
  const axesCases = [[0], [1], [2], [3], [0, 1], [1, 3], [0, 2, 3], [0, 1, 2, 3]];
  for (const axes of axesCases) {
    it(`sum, max and min over ${JSON.stringify(axes)} of [8, 9, 10, 11]`, async () => {
      await check([8, 9, 10, 11], (g, x) => g.sum(x, axes));
      await check([8, 9, 10, 11], (g, x) => g.max(x, axes));
      await check([8, 9, 10, 11], (g, x) => g.min(x, axes), {
        dtype: "int32",
        range: [-1000, 1000],
      });
    });
  }

  it("sums 5,000 float32 terms in float64", async () => {
    await check([5000], (g, x) => g.sum(x, [0]), { range: [0, 1] });
  });

  it("argmax over a middle axis and with ties", async () => {
    await check([6, 50, 7], (g, x) => g.argmax(x, 1));
    await check([40, 30], (g, x) => g.argmax(x, 1), { dtype: "int32", range: [0, 3] });
  });
});

describe("special values", () => {
  const specials = [
    Number.NaN,
    0,
    -0,
    1,
    -1,
    2.5,
    -2.5,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    3e9,
    -3e9,
    1e-30,
  ];
  for (const op of ["relu", "sign", "abs", "neg", "sigmoid", "softplus", "tanh", "erf"] as const) {
    it(`${op} of NaN, ±0, ±∞`, async () => {
      await check([specials.length], (g, x) => g[op](x), { data: specials.map(Math.fround) });
    });
  }

  it("leaky_relu, elu and softplus of NaN, ±0, ±∞ (branch-free forms)", async () => {
    const data = specials.map(Math.fround);
    for (const alpha of [0.01, 0, -0.5]) {
      await check([data.length], (g, x) => g.leakyRelu(x, alpha), { data });
    }
    await check([data.length], (g, x) => g.elu(x, 1.5), { data });
    await check([data.length], (g, x) => g.softplus(x), { data });
  });

  it("selects NaN and ±∞ branches exactly", async () => {
    const data = specials.map(Math.fround);
    await check([data.length], (g, x) => g.select(g.gt(x, 0), x, 0), { data });
    await check([data.length], (g, x) => g.select(g.le(x, 0), g.neg(x), x), { data });
    await check([6], (g, x) => g.select(g.ne(x, 0), x, g.neg(x)), {
      dtype: "int32",
      data: [0, 5, -5, 2147483647, -2147483648, 1],
    });
  });

  it("relu of int32 extremes", async () => {
    const data = [0, 5, -5, 2147483647, -2147483648, 1, -1];
    await check([data.length], (g, x) => g.relu(x), { dtype: "int32", data });
  });

  it("casts NaN, huge and fractional floats to int32 and bool", async () => {
    const data = specials.map(Math.fround);
    await check([data.length], (g, x) => g.cast(x, "int32"), { data });
    await check([data.length], (g, x) => g.cast(x, "bool"), { data });
  });

  it("propagates NaN through max, min, maximum and argmax", async () => {
    const data = [1, Number.NaN, 3, -1, 5, 2, Number.NaN, 0];
    await check([2, 4], (g, x) => g.max(x, [1]), { data });
    await check([2, 4], (g, x) => g.min(x, [0]), { data });
    await check([2, 4], (g, x) => g.maximum(x, 0), { data });
    await check([2, 4], (g, x) => g.argmax(x, 1), { data });
    await check([2, 4], (g, x) => g.argmax(x, 0), { data });
  });

  it("wraps int32 arithmetic and maps division by zero to 0", async () => {
    const data = [2147483647, -2147483648, 65536, -7, 0, 3, -1, 46341];
    await check([8], (g, x) => g.add(x, x), { dtype: "int32", data });
    await check([8], (g, x) => g.mul(x, x), { dtype: "int32", data });
    await check([8], (g, x) => g.square(x), { dtype: "int32", data });
    await check([8], (g, x) => g.div(x, g.slice(x, [0], [8], [1])), { dtype: "int32", data });
    await check([8], (g, x) => g.div(x, 0), { dtype: "int32", data });
    await check([8], (g, x) => g.div(-7, g.add(g.abs(x), 2)), { dtype: "int32", data });
    await check([8], (g, x) => g.pow(x, 3), { dtype: "int32", data });
    await check([8], (g, x) => g.pow(2, g.sub(x, x)), { dtype: "int32", data });
    await check([8], (g, x) => g.neg(x), { dtype: "int32", data });
    await check([8], (g, x) => g.sum(x, [0]), { dtype: "int32", data });
  });

  it("drops out with core's mask on a large tensor", async () => {
    await check([37, 53], (g, x) => g.dropout(x, { rate: 0.3, seed: 12345 }));
    await check([37, 53], (g, x) => g.dropout(x, { rate: 0.3, seed: 12346 }));
  });
});

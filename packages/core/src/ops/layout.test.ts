import { describe, expect, it } from "vitest";
import type { DType } from "../dtype.js";
import { NncError } from "../errors.js";
import { evaluate } from "../evaluate.js";
import { expandComposites } from "../expand-composites.js";
import { GraphBuilder } from "../graph-builder.js";
import type { Shape } from "../shape.js";
import type { Value } from "../value.js";

/** Builds `body(x)` over one input of `shape`, evaluates it on `data`; also returns the node's attrs. */
function run(
  shape: Shape,
  data: readonly number[],
  body: (g: GraphBuilder, x: Value) => Value,
  dtype: DType = "float32",
) {
  const g = new GraphBuilder("layout-test");
  const y = body(g, g.input("x", shape, dtype));
  g.output("y", y);
  const graph = g.build();
  return {
    shape: y.shape,
    values: Array.from(evaluate(graph, { x: data }).y!),
    attrs: graph.node(y.id).attrs,
  };
}

const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("reshape", () => {
  it("keeps row-major order and resolves one -1 into the canonical shape", () => {
    const r = run([2, 3], iota(6), (g, x) => g.reshape(x, [-1, 2]));
    expect(r).toEqual({ shape: [3, 2], values: iota(6), attrs: { shape: [3, 2] } });
    expect(run([1, 1], [7], (g, x) => g.reshape(x, [])).shape).toEqual([]);
    expect(run([0, 3], [], (g, x) => g.reshape(x, [3, -1, 2])).shape).toEqual([3, 0, 2]);
  });
});

describe("transpose", () => {
  it("permutes a 2×3×4 iota with perm [2, 0, 1]", () => {
    // out[k, i, j] = x[i, j, k] = 12i + 4j + k.
    expect(run([2, 3, 4], iota(24), (g, x) => g.transpose(x, [2, 0, 1]))).toMatchObject({
      shape: [4, 2, 3],
      values: [
        ...[0, 4, 8, 12, 16, 20],
        ...[1, 5, 9, 13, 17, 21],
        ...[2, 6, 10, 14, 18, 22],
        ...[3, 7, 11, 15, 19, 23],
      ],
    });
  });

  it("reverses the axes by default", () => {
    expect(run([2, 3], [1, 2, 3, 4, 5, 6], (g, x) => g.transpose(x))).toMatchObject({
      shape: [3, 2],
      values: [1, 4, 2, 5, 3, 6],
    });
  });
});

describe("broadcast_to", () => {
  it("repeats size-1 axes and prepends new ones", () => {
    expect(run([3, 1], [1, 2, 3], (g, x) => g.broadcastTo(x, [2, 3, 2]))).toMatchObject({
      shape: [2, 3, 2],
      values: [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3],
    });
    expect(run([], [5], (g, x) => g.broadcastTo(x, [2])).values).toEqual([5, 5]);
  });
});

describe("slice", () => {
  it("follows NumPy for negative starts and ends, steps and clamping", () => {
    // x[-8:-1:3] of 0..9 is x[2:9:3].
    expect(run([10], iota(10), (g, x) => g.slice(x, [-8], [-1], [3]))).toEqual({
      shape: [3],
      values: [2, 5, 8],
      attrs: { start: [2], end: [9], step: [3] },
    });
    // x[i, j] = 5i + j; x[-1:, -4::2] is row 3, columns 1 and 3.
    expect(run([4, 5], iota(20), (g, x) => g.slice(x, [-1, -4], undefined, [1, 2]))).toMatchObject({
      shape: [1, 2],
      values: [16, 18],
    });
    // x[-100:100:2] clamps to the whole axis.
    expect(run([5], iota(5), (g, x) => g.slice(x, [-100], [100], [2])).values).toEqual([0, 2, 4]);
  });

  it("gives an empty slice when the end comes before the start", () => {
    // Axis 1: start 4, end −6 + 5 = −1 → clamped to 0 < 4: empty, stored as end = start.
    expect(run([4, 5], iota(20), (g, x) => g.slice(x, [-3, 4], [100, -6], [2, 1]))).toEqual({
      shape: [2, 0],
      values: [],
      attrs: { start: [1, 4], end: [4, 4], step: [2, 1] },
    });
  });
});

describe("pad", () => {
  it("pads a 2×2 with a constant, per side", () => {
    expect(
      run([2, 2], [1, 2, 3, 4], (g, x) =>
        g.pad(
          x,
          [
            [1, 0],
            [0, 2],
          ],
          9,
        ),
      ),
    ).toMatchObject({
      shape: [3, 4],
      values: [9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9],
    });
    expect(run([2, 2], [1, 2, 3, 4], (g, x) => g.pad(x, 1))).toMatchObject({
      shape: [4, 4],
      values: [0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0],
    });
    expect(run([1], [2], (g, x) => g.pad(x, [[0, 1]], -Infinity)).values).toEqual([2, -Infinity]);
  });
});

describe("concat", () => {
  it("joins three operands on the last axis and on the first", () => {
    const g = new GraphBuilder();
    const a = g.input("a", [2, 1]);
    const b = g.input("b", [2, 2]);
    const c = g.input("c", [2, 3]);
    g.output("last", g.concat([a, b, c], -1));
    g.output("first", g.concat([g.reshape(a, [2]), g.reshape(b, [4]), g.reshape(c, [6])]));
    const graph = g.build();
    const feeds = { a: [1, 2], b: [3, 4, 5, 6], c: [7, 8, 9, 10, 11, 12] };
    const out = evaluate(graph, feeds);
    expect(Array.from(out.last!)).toEqual([1, 3, 4, 7, 8, 9, 2, 5, 6, 10, 11, 12]);
    expect(graph.node(graph.outputs[0]!.node).type.shape).toEqual([2, 6]);
    expect(Array.from(out.first!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it("passes a single operand through", () => {
    expect(run([2], [1, 2], (g, x) => g.concat([x])).values).toEqual([1, 2]);
  });
});

describe("flatten, squeeze and expand_dims", () => {
  it("compute their shapes", () => {
    const shapeOf = (shape: Shape, body: (g: GraphBuilder, x: Value) => Value) =>
      run(shape, new Array(shape.reduce((a, b) => a * b, 1)).fill(0), body).shape;
    expect(shapeOf([2, 3, 4], (g, x) => g.flatten(x))).toEqual([2, 12]);
    expect(shapeOf([2, 3, 4], (g, x) => g.flatten(x, 0))).toEqual([1, 24]);
    expect(shapeOf([2, 3, 4], (g, x) => g.flatten(x, 3))).toEqual([24, 1]);
    expect(shapeOf([2, 3, 4], (g, x) => g.flatten(x, -1))).toEqual([6, 4]);
    expect(shapeOf([1, 3, 1], (g, x) => g.squeeze(x))).toEqual([3]);
    expect(shapeOf([1, 3, 1], (g, x) => g.squeeze(x, -1))).toEqual([1, 3]);
    // Positions index the output (rank 4): −1 is position 3.
    expect(shapeOf([2, 3], (g, x) => g.expandDims(x, [0, -1]))).toEqual([1, 2, 3, 1]);
    expect(shapeOf([2, 3], (g, x) => g.expandDims(x, 1))).toEqual([2, 1, 3]);
  });

  it("decompose into a single reshape and keep the values", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [1, 2, 3]);
    g.output("f", g.flatten(x, 2));
    g.output("s", g.squeeze(x, 0));
    g.output("e", g.expandDims(x, -2));
    const graph = g.build();
    const expanded = expandComposites(graph);
    const ops = expanded.nodes.filter((n) => n.op !== "input").map((n) => n.op);
    expect(ops).toEqual(["reshape", "reshape", "reshape"]);
    expect(expanded.nodes.map((n) => n.type.shape)).toEqual(graph.nodes.map((n) => n.type.shape));
    const feeds = { x: iota(6) };
    expect(evaluate(expanded, feeds)).toEqual(evaluate(graph, feeds));
  });
});

describe("one_hot", () => {
  it("encodes indices into float32 rows; out-of-range indices give all-off rows", () => {
    const r = run(
      [2, 2],
      [3, -1, 0, 4],
      (g, x) => g.oneHot(x, 4, { onValue: 5, offValue: -1 }),
      "int32",
    );
    expect(r.shape).toEqual([2, 2, 4]);
    expect(r.values).toEqual([
      ...[-1, -1, -1, 5],
      ...[-1, -1, -1, -1],
      ...[5, -1, -1, -1],
      ...[-1, -1, -1, -1],
    ]);
    const g = new GraphBuilder();
    expect(g.oneHot(g.input("i", [3], "int32"), 2).dtype).toBe("float32");
  });
});

describe("split (slices built by the builder)", () => {
  it("splits into equal sections or given sizes", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [5, 2]);
    const y = g.input("y", [2, 6]);
    const [p, q] = g.split(x, [2, 3]);
    const thirds = g.split(y, 3, -1);
    g.output("p", p!);
    g.output("q", q!);
    for (const [i, t] of thirds.entries()) g.output(`t${i}`, t);
    expect([p!.shape, q!.shape]).toEqual([
      [2, 2],
      [3, 2],
    ]);
    expect(thirds.map((t) => t.shape)).toEqual([
      [2, 2],
      [2, 2],
      [2, 2],
    ]);
    const out = evaluate(g.build(), { x: iota(10), y: iota(12) });
    expect(Array.from(out.p!)).toEqual([0, 1, 2, 3]);
    expect(Array.from(out.q!)).toEqual([4, 5, 6, 7, 8, 9]);
    // y[i, j] = 6i + j; the middle third is columns 2 and 3.
    expect(Array.from(out.t1!)).toEqual([2, 3, 8, 9]);
  });

  it("fails for sections that do not divide the axis", () => {
    const g = new GraphBuilder();
    // Today the error comes from the slice the builder makes (a fractional end).
    expect(() => g.split(g.input("x", [5, 2]), 2)).toThrowError(NncError);
  });
});

describe("layout errors", () => {
  it("reshape names both element counts and shapes", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [2, 3]);
    expect(() => g.reshape(x, [4, 2])).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2005: reshape: element counts differ: [2,3] has 6 elements, [4,2] has 8
        x: f32[2,3]  input "x"
        node: reshape
        at src/ops/layout.test.ts:232:20]
    `);
    expect(() => g.reshape(x, [4, -1])).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2005: reshape: element counts differ: [2,3] has 6 elements, but [4,-1] holds a multiple of 4
        x: f32[2,3]  input "x"
        node: reshape
        at src/ops/layout.test.ts:238:20]
    `);
    expect(() => g.reshape(x, [-1, -1])).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC1002: reshape: attribute "shape" may contain one -1, got [-1,-1]
        x: f32[2,3]  input "x"
        node: reshape
        at src/ops/layout.test.ts:244:20]
    `);
  });

  it("transpose needs a permutation", () => {
    const g = new GraphBuilder();
    expect(() =>
      g.transpose(g.input("x", [2, 3, 4]), [0, 2, 2]),
    ).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC1002: transpose: attribute "perm" must be a permutation of [0,1,2], got [0,2,2]
        x: f32[2,3,4]  input "x"
        node: transpose
        at src/ops/layout.test.ts:255:9]
    `);
  });

  it("broadcast_to follows NumPy rules", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [2, 3]);
    expect(() => g.broadcastTo(x, [4, 2, 4])).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2001: broadcast_to: cannot broadcast [2,3] to [4,2,4]: axis 1 has extent 3, which is neither 1 nor 4
        x: f32[2,3]  input "x"
        node: broadcast_to
        at src/ops/layout.test.ts:267:20]
    `);
    expect(() => g.broadcastTo(x, [3])).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2001: broadcast_to: cannot broadcast [2,3] to [3]: the target has fewer axes (1 < 2)
        x: f32[2,3]  input "x"
        node: broadcast_to
        at src/ops/layout.test.ts:273:20]
    `);
  });

  it("slice and pad need one entry per axis", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [2, 3]);
    expect(() =>
      g.apply("slice", [x], { start: [0], end: [2], step: [1] }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC1002: slice: attribute "start" needs one entry per axis (2), got 1: [0]
        x: f32[2,3]  input "x"
        node: slice
        at src/ops/layout.test.ts:285:9]
    `);
    expect(() => g.pad(x, [[1, 1]])).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC1002: pad: attribute "pads" needs one entry per axis (2), got 1: [[1,1]]
        x: f32[2,3]  input "x"
        node: pad
        at src/ops/layout.test.ts:292:20]
    `);
  });

  it("concat names the axis and the differing extents", () => {
    const g = new GraphBuilder();
    const a = g.input("a", [2, 3]);
    const b = g.input("b", [4, 3]);
    expect(() => g.concat([a, a, b], 1)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2001: concat: extents must match except on the concat axis 1: axis 0 is 2 in values but 4 in values[2]
        values: f32[2,3]  input "a"
        values[1]: f32[2,3]  input "a"
        values[2]: f32[4,3]  input "b"
        node: concat
        at src/ops/layout.test.ts:304:20]
    `);
    expect(() => g.concat([a, g.input("n", [2, 3], "int32")])).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2002: concat: operands must have one dtype: values is float32, values[1] is int32
        values: f32[2,3]  input "a"
        values[1]: i32[2,3]  input "n"
        node: concat
        at src/ops/layout.test.ts:312:20]
    `);
  });

  it("squeeze, expand_dims and flatten check their axes", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [1, 3]);
    expect(() => g.squeeze(x, 1)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2008: squeeze: cannot squeeze axis 1 of [1,3]: its extent is 3, not 1
        x: f32[1,3]  input "x"
        node: squeeze
        at src/ops/layout.test.ts:324:20]
    `);
    expect(() => g.expandDims(x, [3])).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2004: expand_dims: axis 3 is out of range for the output rank 3
        x: f32[1,3]  input "x"
        node: expand_dims
        at src/ops/layout.test.ts:330:20]
    `);
    expect(() => g.flatten(x, 3)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2004: flatten: axis 3 is out of range for rank 2 (flatten takes -2..2)
        x: f32[1,3]  input "x"
        node: flatten
        at src/ops/layout.test.ts:336:20]
    `);
  });

  it("one_hot needs int32 indices", () => {
    const g = new GraphBuilder();
    expect(() => g.oneHot(g.input("x", [3]), 4)).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2002: one_hot: indices must be int32, got float32
        indices: f32[3]  input "x"
        node: one_hot
        at src/ops/layout.test.ts:346:20]
    `);
  });
});

describe("pad with interior padding", () => {
  it("inserts interior padding between neighbours, as lax.pad", () => {
    // [1 2 3]: one slot between neighbours, one before, two after: 1 + 3 + 2·1 + 2 = 8
    expect(run([3], [1, 2, 3], (g, x) => g.pad(x, [[1, 2]], 0, { interior: 1 }))).toEqual({
      shape: [8],
      values: [0, 1, 0, 2, 0, 3, 0, 0],
      attrs: { pads: [[1, 2]], value: 0, interior: [1] },
    });
    // rows [1 2] [3 4]: two rows between the rows, a column after; the slots take the value too
    const padded = run([2, 2], [1, 2, 3, 4], (g, x) =>
      g.pad(
        x,
        [
          [0, 0],
          [0, 1],
        ],
        9,
        { interior: [2, 0] },
      ),
    );
    expect(padded.shape).toEqual([4, 3]);
    expect(padded.values).toEqual([1, 2, 9, 9, 9, 9, 9, 9, 9, 3, 4, 9]);
    // an empty axis has no gaps: only before + after remain
    expect(
      run([0, 2], [], (g, x) =>
        g.pad(
          x,
          [
            [1, 1],
            [0, 0],
          ],
          5,
          { interior: 3 },
        ),
      ),
    ).toMatchObject({ shape: [2, 5], values: new Array(10).fill(5) });
  });

  it("stores all-zero interior padding as a plain pad", () => {
    expect(run([2], [1, 2], (g, x) => g.pad(x, 1, 0, { interior: 0 })).attrs).toEqual({
      pads: [[1, 1]],
      value: 0,
    });
  });

  it("with interior padding is the transpose of a strided slice", () => {
    // slice rows 1, 3, 5 of 7 and columns 0, 3 of 5; the adjoint pads by the start before,
    // step − 1 between, and the rest after: rows [1, 1] interior 1, columns [0, 1] interior 2.
    const g = new GraphBuilder("adjoint");
    const x = g.input("x", [7, 5]);
    const y = g.input("y", [3, 2]);
    g.output("sliced", g.slice(x, [1, 0], [7, 5], [2, 3]));
    const back = g.pad(
      y,
      [
        [1, 1],
        [0, 1],
      ],
      0,
      { interior: [1, 2] },
    );
    g.output("padded", back);
    const xs = iota(35).map((i) => Math.sin(i + 1));
    const ys = [0.5, -1, 2, 0.25, -3, 1.5];
    const { sliced, padded } = evaluate(g.build(), { x: xs, y: ys });
    expect(back.shape).toEqual([7, 5]);
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) =>
      Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);
    expect(dot(sliced!, ys)).toBeCloseTo(dot(xs, padded!), 12);
    expect(Array.from(padded!).filter((v) => v !== 0)).toEqual(ys);
  });

  it("needs one non-negative interior entry per axis", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [2, 3]);
    expect(() => g.pad(x, 0, 0, { interior: [1] })).toThrow(
      'NNC1002: pad: attribute "interior" needs one entry per axis (2), got 1: [1]',
    );
    expect(() => g.pad(x, 0, 0, { interior: -1 })).toThrow(
      'NNC1002: pad: attribute "interior" must be a list of integers ≥ 0, got [-1,-1]',
    );
  });
});

import { describe, expect, it } from "vitest";
import { evaluate } from "../evaluate.js";
import { type AvgPool2dOptions, GraphBuilder, type Pool2dOptions } from "../graph-builder.js";
import type { Shape } from "../shape.js";

function maxPool(shape: Shape, x: readonly number[], options: Pool2dOptions) {
  const g = new GraphBuilder("test");
  const y = g.maxPool2d(g.input("x", shape), options);
  g.output("y", y);
  return { shape: y.shape, values: [...evaluate(g.build(), { x }).y!] };
}

function avgPool(shape: Shape, x: readonly number[], options: AvgPool2dOptions) {
  const g = new GraphBuilder("test");
  const y = g.avgPool2d(g.input("x", shape), options);
  g.output("y", y);
  return { shape: y.shape, values: [...evaluate(g.build(), { x }).y!] };
}

// 4×4, rows: [1 3 2 0] [4 2 1 5] [0 1 7 2] [3 8 1 1]
const GRID = [1, 3, 2, 0, 4, 2, 1, 5, 0, 1, 7, 2, 3, 8, 1, 1];

describe("max_pool2d", () => {
  it("takes the maximum of each 2×2 block of a 4×4", () => {
    expect(maxPool([1, 1, 4, 4], GRID, { kernel: 2 })).toEqual({
      shape: [1, 1, 2, 2],
      values: [4, 5, 8, 7],
    });
  });

  it("S8: kernel 2, stride 1 overlaps windows", () => {
    // rows [1 5 2] [3 4 9] [0 6 1]
    expect(maxPool([1, 1, 3, 3], [1, 5, 2, 3, 4, 9, 0, 6, 1], { kernel: 2, stride: 1 })).toEqual({
      shape: [1, 1, 2, 2],
      values: [5, 9, 6, 9],
    });
  });

  it("never lets padding win, even over negative values", () => {
    // rows [-1 -2] [-3 -4], each 2×2 window over the zero-padded 4×4 sees at least one of them
    expect(maxPool([1, 1, 2, 2], [-1, -2, -3, -4], { kernel: 2, stride: 1, padding: 1 })).toEqual({
      shape: [1, 1, 3, 3],
      values: [-1, -1, -2, -1, -1, -2, -3, -3, -4],
    });
  });

  it("pools every channel and batch element separately", () => {
    // two planes per example, two examples
    const x = [0, 1, 2, 3, 10, 11, 12, 13, -4, -1, -2, -3, -10, -11, -12, -13];
    expect(maxPool([2, 2, 2, 2], x, { kernel: 2 }).values).toEqual([3, 13, -1, -10]);
  });

  it("propagates NaN", () => {
    expect(maxPool([1, 1, 2, 2], [1, Number.NaN, 3, 2], { kernel: [1, 2] }).values).toEqual([
      Number.NaN,
      3,
    ]);
  });

  it("rejects padding as large as the kernel", () => {
    const g = new GraphBuilder("test");
    expect(() =>
      g.maxPool2d(g.input("x", [1, 1, 4, 4]), {
        kernel: 2,
        padding: [
          [0, 0],
          [1, 2],
        ],
      }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2007: max_pool2d: padding 2 at the right is not smaller than the kernel extent 2; a window would hold only padding
        input: f32[1,1,4,4]  input "x"
        node: max_pool2d
        at src/ops/pool.test.ts:63:9]
    `);
  });
});

describe("avg_pool2d", () => {
  it("averages each 2×2 block of a 4×4", () => {
    expect(avgPool([1, 1, 4, 4], GRID, { kernel: 2 }).values).toEqual([
      10 / 4,
      8 / 4,
      12 / 4,
      11 / 4,
    ]);
  });

  // rows [1 2] [3 4] with one padding row/column on every side, kernel 2, stride 1: the window
  // sums are [[1,3,2],[4,10,6],[3,7,4]] over 1, 2, 1 / 2, 4, 2 / 1, 2, 1 real elements.
  it("divides by the real elements of each window by default", () => {
    expect(avgPool([1, 1, 2, 2], [1, 2, 3, 4], { kernel: 2, stride: 1, padding: 1 })).toEqual({
      shape: [1, 1, 3, 3],
      values: [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4],
    });
  });

  it("divides by the whole window with countIncludePad", () => {
    const { values } = avgPool([1, 1, 2, 2], [1, 2, 3, 4], {
      kernel: 2,
      stride: 1,
      padding: 1,
      countIncludePad: true,
    });
    expect(values).toEqual([0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1]);
  });

  it('keeps the spatial size with padding "same" and stride 1', () => {
    const { shape, values } = avgPool([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9], {
      kernel: 3,
      stride: 1,
      padding: "same",
    });
    expect(shape).toEqual([1, 1, 3, 3]);
    // corner (0,0) averages [1 2] [4 5]; the centre averages all nine
    expect(values[0]).toBe(3);
    expect(values[4]).toBe(5);
  });

  it("names the window when it does not fit", () => {
    const g = new GraphBuilder("test");
    expect(() => g.avgPool2d(g.input("x", [1, 1, 5, 2]), { kernel: 3 })).toThrow(
      "NNC2007: avg_pool2d: along width the padded input extent 2 (2 + 0 + 0) is smaller than the pooling window 3",
    );
  });
});

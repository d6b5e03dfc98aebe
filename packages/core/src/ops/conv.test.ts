import { describe, expect, it } from "vitest";
import type { PaddingOption } from "../conv-options.js";
import { evaluate, type Feeds } from "../evaluate.js";
import { GraphBuilder } from "../graph-builder.js";
import type { Padding2d } from "../op-attrs.js";
import { createRng } from "../random.js";
import { type Shape, sizeOf } from "../shape.js";
import type { Value } from "../value.js";

/** Builds a one-output graph and evaluates it with the reference evaluator. */
function run(build: (g: GraphBuilder) => Value, feeds: Feeds): number[] {
  const g = new GraphBuilder("test");
  g.output("y", build(g));
  return [...evaluate(g.build(), feeds).y!];
}

function random(shape: Shape, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: sizeOf(shape) }, () => rng.uniform(-1, 1));
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

describe("conv2d", () => {
  it("S9: I = [[1,2,3],[4,5,6],[1,5,3]] with K = [[1,0],[0,1]] gives [[6,8],[9,8]]", () => {
    const y = run((g) => g.conv2d(g.input("x", [1, 1, 3, 3]), g.input("w", [1, 1, 2, 2])), {
      x: [1, 2, 3, 4, 5, 6, 1, 5, 3],
      w: [1, 0, 0, 1],
    });
    // each output is I[i][j] + I[i+1][j+1]
    expect(y).toEqual([6, 8, 9, 8]);
  });

  it("S1: a 3×3 X with a 2×2 F, stride 1, is a 2×2 cross-correlation", () => {
    const y = run((g) => g.conv2d(g.input("x", [1, 1, 3, 3]), g.input("w", [1, 1, 2, 2])), {
      x: [1, 2, 0, 0, 1, 3, 2, 1, 1],
      w: [1, 2, 3, 4],
    });
    // O11 = 1·1 + 2·2 + 0·3 + 1·4, O12 = 2·1 + 0·2 + 1·3 + 3·4,
    // O21 = 0·1 + 1·2 + 2·3 + 1·4, O22 = 1·1 + 3·2 + 1·3 + 1·4
    expect(y).toEqual([9, 17, 12, 14]);
  });

  it("handles stride 2, dilation 2 and padding 1 together", () => {
    // x[r][c] = 5r + c + 1 on a 5×5 grid; the taps of output (i, j) sit at rows 2i − 1 and
    // 2i + 1, columns 2j − 1 and 2j + 1, weighted 1, 2 / 3, 4; out-of-range taps read 0.
    const g = new GraphBuilder("test");
    const y = g.conv2d(g.input("x", [1, 1, 5, 5]), g.input("w", [1, 1, 2, 2]), {
      stride: 2,
      dilation: 2,
      padding: 1,
    });
    expect(y.shape).toEqual([1, 1, 3, 3]);
    g.output("y", y);
    const out = evaluate(g.build(), {
      x: Array.from({ length: 25 }, (_, i) => i + 1),
      w: [1, 2, 3, 4],
    }).y!;
    // e.g. (0,0) = 4·x[1][1] = 28; (1,1) = x[1][1] + 2·x[1][3] + 3·x[3][1] + 4·x[3][3]
    //            = 7 + 18 + 51 + 76 = 152; (2,2) = 1·x[3][3] = 19
    expect([...out]).toEqual([28, 57, 27, 82, 152, 66, 34, 55, 19]);
  });

  it("pads asymmetrically", () => {
    // padded input [[0,1,2],[0,3,4],[0,0,0]]: one zero column on the left, one row at the bottom
    const y = run(
      (g) =>
        g.conv2d(g.input("x", [1, 1, 2, 2]), g.input("w", [1, 1, 2, 2]), {
          padding: [
            [0, 1],
            [1, 0],
          ],
        }),
      { x: [1, 2, 3, 4], w: [1, 1, 1, 1] },
    );
    expect(y).toEqual([4, 10, 3, 7]);
  });

  it("keeps groups apart: depthwise with a channel multiplier of 2", () => {
    // channels [[1,2],[3,4]] and [[5,6],[7,8]]; output channels 0, 1 read channel 0, 2, 3 read 1
    const y = run(
      (g) => g.conv2d(g.input("x", [1, 2, 2, 2]), g.input("w", [4, 1, 2, 2]), { groups: 2 }),
      {
        x: [1, 2, 3, 4, 5, 6, 7, 8],
        w: [1, 0, 0, 1, 0, 2, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0],
      },
    );
    // 1 + 4, 2·2, 5 + 6 + 7 + 8, 5
    expect(y).toEqual([5, 4, 26, 5]);
  });

  it("sums only over the group's own input channels", () => {
    // 4 channels (1, 2, 3, 4) in 2 groups of 2; output 0 sees channels 0–1, output 1 sees 2–3
    const y = run(
      (g) => g.conv2d(g.input("x", [1, 4, 1, 1]), g.input("w", [2, 2, 1, 1]), { groups: 2 }),
      { x: [1, 2, 3, 4], w: [1, 10, 100, 1000] },
    );
    expect(y).toEqual([1 + 20, 300 + 4000]);
  });

  it('gives ceil(H / 2) outputs for padding "same" with stride 2', () => {
    const g = new GraphBuilder("test");
    const w = g.input("w", [1, 1, 3, 3]);
    const odd = g.conv2d(g.input("odd", [1, 1, 7, 7]), w, { padding: "same", stride: 2 });
    const even = g.conv2d(g.input("even", [1, 1, 8, 8]), w, { padding: "same", stride: 2 });
    expect(odd.shape).toEqual([1, 1, 4, 4]);
    expect(even.shape).toEqual([1, 1, 4, 4]);
    g.output("odd", odd);
    g.output("even", even);
    const ones = (n: number) => new Array<number>(n).fill(1);
    const out = evaluate(g.build(), { w: ones(9), odd: ones(49), even: ones(64) });
    // With ones everywhere each output counts the real elements of its window. 7 rows need one
    // padding row on each side: windows hold 2, 3, 3, 2 real rows. 8 rows need one, at the
    // bottom (TensorFlow's convention): 3, 3, 3, 2.
    const outer = (v: number[]) => v.flatMap((a) => v.map((b) => a * b));
    expect([...out.odd!]).toEqual(outer([2, 3, 3, 2]));
    expect([...out.even!]).toEqual(outer([3, 3, 3, 2]));
  });

  it("S4: the network's shapes through the builder", () => {
    const g = new GraphBuilder("s4");
    const x = g.input("x", [1, 1, 64, 64]);
    const c1 = g.conv2d(x, g.param("c1", [5, 1, 4, 4]), { stride: 2, padding: "valid" });
    expect(c1.shape).toEqual([1, 5, 31, 31]);
    const p1 = g.maxPool2d(c1, { kernel: 3 });
    expect(p1.shape).toEqual([1, 5, 10, 10]);
    const c2 = g.conv2d(p1, g.param("c2", [5, 5, 3, 3]));
    expect(c2.shape).toEqual([1, 5, 8, 8]);
    const p2 = g.maxPool2d(c2, { kernel: 2 });
    expect(p2.shape).toEqual([1, 5, 4, 4]);
  });

  it("pins the channel-mismatch message", () => {
    const g = new GraphBuilder("convnet");
    const image = g.input("image", [8, 3, 32, 32]);
    const kernel = g.param("conv1.weight", [16, 1, 3, 3]);
    expect(() => g.conv2d(image, kernel, { padding: "same" })).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2006: conv2d: input has 3 channels but the kernel [16,1,3,3] (OIHW) expects 1
        input: f32[8,3,32,32]  input "image"
        kernel: f32[16,1,3,3]  param "conv1.weight"
        node: conv2d
        at src/ops/conv.test.ts:141:20]
    `);
  });

  it("names the padded extent and the dilated window when the window does not fit", () => {
    const g = new GraphBuilder("test");
    expect(() =>
      g.conv2d(g.input("x", [1, 1, 4, 9]), g.input("w", [1, 1, 3, 3]), {
        dilation: 2,
        padding: [0, 1],
      }),
    ).toThrow(
      "NNC2007: conv2d: along height the padded input extent 4 (4 + 0 + 0) is smaller than the dilated kernel window 5 ((3 − 1)·2 + 1)",
    );
    expect(() =>
      g.conv2d(g.input("y", [1, 6, 4, 4]), g.input("k", [4, 2, 1, 1]), { groups: 2 }),
    ).toThrow(
      "NNC2006: conv2d: input has 6 channels but the kernel expects 2 per group × 2 groups = 4",
    );
  });
});

describe("conv2d_transpose", () => {
  // x = [[1,2],[3,4]] scatters copies of the kernel [[1,10],[100,1000]], so every output digit
  // shows which input contributed.
  const feeds = { x: [1, 2, 3, 4], w: [1, 10, 100, 1000] };

  it("with stride 1 is the full correlation with the kernel rotated 180°", () => {
    const y = run(
      (g) => g.conv2dTranspose(g.input("x", [1, 1, 2, 2]), g.input("w", [1, 1, 2, 2])),
      feeds,
    );
    // (1,1) = 1·1000 + 2·100 + 3·10 + 4·1
    expect(y).toEqual([1, 12, 20, 103, 1234, 2040, 300, 3400, 4000]);
  });

  it("with stride 2 places one kernel copy per input element", () => {
    const y = run(
      (g) =>
        g.conv2dTranspose(g.input("x", [1, 1, 2, 2]), g.input("w", [1, 1, 2, 2]), { stride: 2 }),
      feeds,
    );
    expect(y).toEqual([1, 10, 2, 20, 100, 1000, 200, 2000, 3, 30, 4, 40, 300, 3000, 400, 4000]);
  });

  it("crops padding and extends by outputPadding at the bottom/right", () => {
    const g = new GraphBuilder("test");
    const y = g.conv2dTranspose(g.input("x", [1, 1, 2, 2]), g.input("w", [1, 1, 2, 2]), {
      stride: 2,
      padding: 1,
      outputPadding: 1,
    });
    // full 4×4 plus one zero row/column, then one row/column cropped from every side
    expect(y.shape).toEqual([1, 1, 3, 3]);
    g.output("y", y);
    expect([...evaluate(g.build(), feeds).y!]).toEqual([
      1000, 200, 2000, 30, 4, 40, 3000, 400, 4000,
    ]);
  });

  it("maps C_in to C_out / groups per group (IOHW)", () => {
    // 2 input channels in 2 groups, 2 outputs per group: input channel i only feeds outputs
    // 2i and 2i + 1
    const y = run(
      (g) =>
        g.conv2dTranspose(g.input("x", [1, 2, 1, 1]), g.input("w", [2, 2, 1, 1]), { groups: 2 }),
      { x: [3, 5], w: [1, 2, 10, 20] },
    );
    expect(y).toEqual([3, 6, 50, 100]);
  });

  it("rejects an outputPadding reaching the stride and the dilation", () => {
    const g = new GraphBuilder("test");
    const x = g.input("x", [1, 1, 3, 3]);
    const w = g.input("w", [1, 1, 3, 3]);
    expect(() => g.conv2dTranspose(x, w, { stride: 2, outputPadding: 2 })).toThrow(/NNC1002/);
    // below the dilation is allowed, as in PyTorch: (3 − 1)·1 + (3 − 1)·3 + 1 + 2 = 11
    expect(g.conv2dTranspose(x, w, { dilation: 3, outputPadding: 2 }).shape).toEqual([
      1, 1, 11, 11,
    ]);
  });

  describe("is the adjoint of conv2d: ⟨conv2d(x, w), y⟩ = ⟨x, conv2d_transpose(y, w)⟩", () => {
    const paddings: [string, PaddingOption][] = [
      ["valid", "valid"],
      ["same", "same"],
      [
        "[[2,0],[1,2]]",
        [
          [2, 0],
          [1, 2],
        ],
      ],
    ];
    // [groups, input channels, output channels]: plain, grouped, depthwise with multiplier 2
    const groupings: [string, number, number, number][] = [
      ["groups 1", 1, 4, 3],
      ["groups 2", 2, 4, 6],
      ["depthwise", 4, 4, 8],
    ];
    const cases = [1, 2, 3].flatMap((stride) =>
      paddings.flatMap(([paddingName, padding]) =>
        [1, 2].flatMap((dilation) =>
          groupings.map(
            ([groupName, groups, c, o]) =>
              [
                `stride ${stride}, padding ${paddingName}, dilation ${dilation}, ${groupName}`,
                { stride, padding, dilation, groups, c, o },
              ] as const,
          ),
        ),
      ),
    );

    it.each(cases)("%s", (_, { stride, padding, dilation, groups, c, o }) => {
      const xShape = [2, c, 7, 6];
      const wShape = [o, c / groups, 3, 2];
      const forward = new GraphBuilder("forward");
      const conv = forward.conv2d(forward.input("x", xShape), forward.input("w", wShape), {
        stride,
        padding,
        dilation,
        groups,
      });
      forward.output("y", conv);
      const forwardGraph = forward.build();
      const { padding: resolved } = forwardGraph.node(conv.id).attrs as { padding: Padding2d };
      // conv2d maps `stride` input extents to one output extent; outputPadding picks ours back
      const window = [(3 - 1) * dilation + 1, (2 - 1) * dilation + 1];
      const outputPadding = [0, 1].map(
        (axis) =>
          (xShape[axis + 2]! + resolved[axis]![0] + resolved[axis]![1] - window[axis]!) % stride,
      ) as [number, number];

      const backward = new GraphBuilder("backward");
      const transposed = backward.conv2dTranspose(
        backward.input("y", conv.shape),
        backward.input("w", wShape),
        { stride, padding: resolved, dilation, groups, outputPadding },
      );
      expect(transposed.shape).toEqual(xShape);
      backward.output("x", transposed);

      const x = random(xShape, 1);
      const w = random(wShape, 2);
      const y = random(conv.shape, 3);
      const lhs = dot(evaluate(forwardGraph, { x, w }).y!, y);
      const rhs = dot(x, evaluate(backward.build(), { y, w }).x!);
      expect(Math.abs(lhs)).toBeGreaterThan(1e-3);
      expect(rhs).toBeCloseTo(lhs, 10);
    });
  });
});

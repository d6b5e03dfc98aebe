import { GraphBuilder, type Padding2d, type Pair, type TensorType } from "@nnc/core";
import { afterEach, describe, expect, it } from "vitest";
import { emitConv2d, emitConv2dBackwardKernel, emitConv2dTranspose } from "./conv.js";
import { convLowering, convPathOverride } from "./conv-geometry.js";
import { emitMatmul } from "./matmul.js";
import { checkOp, instantiate, programOf, runOp, validSamples } from "./test-harness.js";

const EMITTERS = {
  conv2d: emitConv2d,
  conv2d_transpose: emitConv2dTranspose,
  conv2d_backward_kernel: emitConv2dBackwardKernel,
  matmul: emitMatmul,
};
const f32 = (...shape: number[]): TensorType => ({ dtype: "float32", shape });

/** Sums of up to a few thousand float32 terms of magnitude ≤ 4. */
const TOLERANCE = { rtol: 1e-4, atol: 1e-4 };

type ConvOp = "conv2d" | "conv2d_transpose" | "conv2d_backward_kernel";
const OPS: ConvOp[] = ["conv2d", "conv2d_transpose", "conv2d_backward_kernel"];
/** Every lowering (the GEMM with both transpose formulations, direct loops), then the rules. */
const LOWERINGS = [
  ["gemm", "gather"],
  ["gemm", "scatter"],
  ["direct", undefined],
  [undefined, undefined],
] as const;

function force([path, transpose]: (typeof LOWERINGS)[number]): void {
  convPathOverride.path = path;
  convPathOverride.transpose = transpose;
}

afterEach(() => {
  force([undefined, undefined]);
});

/** The lowering convLowering picks for a one-node program of `op`. */
function pathOf(op: ConvOp, inputs: readonly TensorType[], attrs: Record<string, unknown>) {
  const g = new GraphBuilder("path");
  const y = g.apply(
    op,
    inputs.map((t, i) => g.input(`x${i}`, t.shape, t.dtype)),
    attrs,
  );
  g.output("y", y);
  const graph = g.build();
  return convLowering(graph, graph.node(y.id))?.path;
}

describe.each(OPS)("%s", (op) => {
  it.each(validSamples(op, 20).map((s, i) => [i, s] as const))(
    "matches the reference on OP_SAMPLES valid sample %i, by both lowerings and both GEMMs",
    (_, { sample, seed }) => {
      for (const lowering of LOWERINGS) {
        force(lowering);
        for (const wasm of [false, true]) checkOp(op, sample, EMITTERS, seed, undefined, { wasm });
      }
    },
  );
});

/** Output extent of a conv2d along one axis. */
function slide(
  size: number,
  [before, after]: Pair,
  kernel: number,
  dilation: number,
  stride: number,
) {
  return Math.floor((size + before + after - (kernel - 1) * dilation - 1) / stride) + 1;
}

describe("every padding, stride, dilation and group combination", () => {
  const kernels: Pair[] = [
    [3, 3],
    [1, 1],
    [2, 3],
  ];
  const strides: Pair[] = [
    [1, 1],
    [2, 1],
    [1, 3],
  ];
  const dilations: Pair[] = [
    [1, 1],
    [2, 1],
    [2, 2],
  ];
  const paddings: Padding2d[] = [
    [
      [0, 0],
      [0, 0],
    ],
    [
      [1, 2],
      [2, 1],
    ],
  ];
  // 8 image channels and 8 response channels: groups 1 and 2 take the GEMM (8 and 4 response
  // channels per group), 4 and 8 (depthwise) the direct loops.
  const groupsList = [1, 2, 4, 8];
  const [batch, c, o, h, w] = [2, 8, 8, 9, 8];

  function cases(op: ConvOp, kernel: Pair, groups: number) {
    const out: { inputs: TensorType[]; attrs: Record<string, unknown> }[] = [];
    for (const stride of strides) {
      for (const dilation of dilations) {
        for (const padding of paddings) {
          const attrs = { strides: stride, padding, dilations: dilation, groups };
          const oh = slide(h, padding[0], kernel[0], dilation[0], stride[0]);
          const ow = slide(w, padding[1], kernel[1], dilation[1], stride[1]);
          if (op === "conv2d") {
            out.push({
              inputs: [f32(batch, c, h, w), f32(o, c / groups, ...kernel)],
              attrs,
            });
          } else if (op === "conv2d_backward_kernel") {
            out.push({
              inputs: [f32(batch, c, h, w), f32(batch, o, oh, ow)],
              attrs: { ...attrs, kernel },
            });
          } else {
            // The transpose of the conv2d above: back to the h × w image, with the output
            // padding that recovers the rows a stride skipped.
            const reach = (axis: 0 | 1) =>
              ([oh, ow][axis]! - 1) * stride[axis] -
              padding[axis][0] -
              padding[axis][1] +
              (kernel[axis] - 1) * dilation[axis] +
              1;
            const outputPadding = [h - reach(0), w - reach(1)];
            if (outputPadding.some((p, axis) => p >= Math.max(stride[axis]!, dilation[axis]!))) {
              continue;
            }
            out.push({
              inputs: [f32(batch, o, oh, ow), f32(o, c / groups, ...kernel)],
              attrs: { ...attrs, outputPadding },
            });
          }
        }
      }
    }
    return out;
  }

  describe.each(OPS)("%s", (op) => {
    for (const kernel of kernels) {
      for (const groups of groupsList) {
        it(`kernel ${kernel.join("×")}, ${groups} group(s), by both lowerings`, () => {
          const all = cases(op, kernel, groups);
          expect(all.length).toBeGreaterThan(10);
          const used = new Set<string | undefined>();
          for (const [i, sample] of all.entries()) {
            force([undefined, undefined]);
            used.add(pathOf(op, sample.inputs, sample.attrs));
            for (const lowering of LOWERINGS.slice(0, op === "conv2d_transpose" ? 3 : 2)) {
              force(lowering);
              checkOp(op, sample, EMITTERS, 100 + i, TOLERANCE);
            }
          }
          expect([...used]).toEqual([groups <= 2 ? "gemm" : "direct"]);
        });
      }
    }
  });
});

describe("conv2d on known values", () => {
  it("S9: I = [[1,2,3],[4,5,6],[1,5,3]] with K = [[1,0],[0,1]] gives [[6,8],[9,8]]", () => {
    for (const lowering of LOWERINGS) {
      force(lowering);
      const { actual } = runOp(
        "conv2d",
        [f32(1, 1, 3, 3), f32(1, 1, 2, 2)],
        {
          strides: [1, 1],
          padding: [
            [0, 0],
            [0, 0],
          ],
          dilations: [1, 1],
          groups: 1,
        },
        [
          [1, 2, 3, 4, 5, 6, 1, 5, 3],
          [1, 0, 0, 1],
        ],
        EMITTERS,
      );
      expect([...actual]).toEqual([6, 8, 9, 8]);
    }
  });

  it("S9 with four output channels (the GEMM path): each channel scales the same result", () => {
    const { actual, program } = runOp(
      "conv2d",
      [f32(1, 1, 3, 3), f32(4, 1, 2, 2)],
      {
        strides: [1, 1],
        padding: [
          [0, 0],
          [0, 0],
        ],
        dilations: [1, 1],
        groups: 1,
      },
      [
        [1, 2, 3, 4, 5, 6, 1, 5, 3],
        [1, 0, 0, 1, 2, 0, 0, 2, -1, 0, 0, -1, 0, 0, 0, 0],
      ],
      EMITTERS,
    );
    const node = program.graph.nodes.at(-1)!;
    expect(convLowering(program.graph, node)?.path).toBe("gemm");
    expect([...actual]).toEqual([6, 8, 9, 8, 12, 16, 18, 16, -6, -8, -9, -8, 0, 0, 0, 0]);
  });
});

describe("the benchmark convolutions (BENCHMARKS.md W2, W3)", () => {
  const same = (k: number): Padding2d => [
    [(k - 1) / 2, (k - 1) / 2],
    [(k - 1) / 2, (k - 1) / 2],
  ];
  const conv = (padding: Padding2d) => ({ strides: [1, 1], padding, dilations: [1, 1], groups: 1 });
  const shapes: [string, number, number, number, number, number, Padding2d][] = [
    ["W2 conv1", 2, 1, 28, 6, 5, same(5)],
    ["W2 conv2", 2, 6, 14, 16, 5, same(1)],
    ["W3 conv1", 1, 3, 32, 32, 3, same(3)],
    ["W3 conv2", 1, 32, 32, 32, 3, same(3)],
    ["W3 conv4", 1, 64, 16, 64, 3, same(3)],
    // 32 → 4 channels: its input gradient is gathered (more output than input channels)
    ["32 → 4", 2, 32, 16, 4, 3, same(3)],
  ];
  const both = shapes.flatMap((s) => [[...s, "JS"] as const, [...s, "Wasm"] as const]);
  it.each(both)("%s: forward, input and kernel gradients (%s GEMM)", (...args) => {
    const [, n, c, h, o, k, padding, path] = args;
    const wasm = path === "Wasm";
    const out = h + padding[0][0] + padding[0][1] - k + 1;
    checkOp(
      "conv2d",
      { inputs: [f32(n, c, h, h), f32(o, c, k, k)], attrs: conv(padding) },
      EMITTERS,
      1,
      TOLERANCE,
      { wasm },
    );
    checkOp(
      "conv2d_transpose",
      {
        inputs: [f32(n, o, out, out), f32(o, c, k, k)],
        attrs: { ...conv(padding), outputPadding: [0, 0] },
      },
      EMITTERS,
      2,
      TOLERANCE,
      { wasm },
    );
    checkOp(
      "conv2d_backward_kernel",
      {
        inputs: [f32(n, c, h, h), f32(n, o, out, out)],
        attrs: { ...conv(padding), kernel: [k, k] },
      },
      EMITTERS,
      3,
      // Each kernel element sums n·out² ≈ 2,000 products.
      { rtol: 1e-4, atol: 5e-4 },
      { wasm },
    );
  });

  it("lowers each gradient as the rules say", () => {
    const lowering = (op: ConvOp, inputs: TensorType[], attrs: Record<string, unknown>) => {
      const g = new GraphBuilder("rule");
      const y = g.apply(
        op,
        inputs.map((t, i) => g.input(`x${i}`, t.shape, t.dtype)),
        attrs,
      );
      g.output("y", y);
      const graph = g.build();
      const { path, transpose, pointwise } = convLowering(graph, graph.node(y.id))!;
      return [path, transpose, pointwise];
    };
    const transposed = (c: number, o: number, k: number, stride: number) =>
      lowering("conv2d_transpose", [f32(2, o, 8, 8), f32(o, c, k, k)], {
        ...conv(same(1)),
        strides: [stride, stride],
        outputPadding: [0, 0],
      });
    expect(transposed(6, 16, 5, 1)).toEqual(["gemm", "scatter", false]);
    expect(transposed(32, 4, 3, 1)).toEqual(["gemm", "gather", false]);
    expect(transposed(32, 4, 3, 2)).toEqual(["gemm", "scatter", false]);
    expect(transposed(32, 4, 1, 1)).toEqual(["gemm", "gather", true]);
    expect(transposed(32, 2, 3, 1)).toEqual(["direct", undefined, false]);
    expect(lowering("conv2d", [f32(2, 8, 8, 8), f32(16, 8, 1, 1)], conv(same(1)))).toEqual([
      "gemm",
      undefined,
      true,
    ]);
    expect(
      lowering("conv2d", [f32(2, 8, 8, 8), f32(16, 2, 3, 3)], { ...conv(same(3)), groups: 4 }),
    ).toEqual(["gemm", undefined, false]);
    expect(
      lowering("conv2d", [f32(2, 8, 8, 8), f32(16, 1, 3, 3)], { ...conv(same(3)), groups: 8 }),
    ).toEqual(["direct", undefined, false]);
  });

  it("sizes the im2col scratch once, for the program's largest convolution", () => {
    const g = new GraphBuilder("two convs");
    const h1 = g.conv2d(g.input("x", [2, 1, 28, 28]), g.input("w1", [6, 1, 5, 5]), {
      padding: "same",
    });
    g.output("y", g.conv2d(h1, g.input("w2", [16, 6, 5, 5])));
    const { source } = instantiate(programOf(g.build()), EMITTERS);
    // conv1: 25 taps × 784 pixels; conv2: 150 taps × 576 pixels.
    expect(source.match(/new Float32Array\(\d+\)/g)).toEqual(["new Float32Array(86400)"]);
    expect(source.match(/nncIm2col\(F/g)).toHaveLength(2);
  });
});

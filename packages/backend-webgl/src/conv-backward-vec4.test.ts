import { compile } from "@nnc/compiler";
import { createRng, evaluate, type Graph, GraphBuilder, randomData } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { emitPlan } from "./emit/emit-plan.js";
import { webgl } from "./index.js";
import { mismatch, planWithoutSplits, runPlan } from "./test-support.js";

// The 4-wide gradient convolutions against core's float64 reference: conv2d_backward_kernel
// (4 kernel elements per fragment sharing each cotangent fetch) and conv2d_transpose (4 image
// elements sharing each weight fetch), each with a per-element fallback where a texel spans two
// output channels or planes.

/** Seeded float32 data in [-1, 1). */
function data(size: number, seed: number): number[] {
  return Array.from(randomData("float32", size, createRng(seed), [-1, 1])).map(Math.fround);
}

interface Case {
  readonly x: readonly [number, number, number, number];
  readonly cotangent: readonly [number, number, number, number];
  readonly kernel: readonly [number, number];
  readonly pad: readonly [number, number, number, number];
  readonly strides?: readonly [number, number];
  readonly dilations?: readonly [number, number];
  readonly groups?: number;
  /** Output channels (4 apart) per fragment in the default plan's multi-target path. */
  readonly lanes?: number;
}

function backwardGraph(c: Case): Graph {
  const g = new GraphBuilder("conv-backward-kernel");
  const [t, b, l, r] = c.pad;
  const dw = g.apply("conv2d_backward_kernel", [g.input("x", c.x), g.input("dy", c.cotangent)], {
    strides: c.strides ?? [1, 1],
    padding: [
      [t, b],
      [l, r],
    ],
    dilations: c.dilations ?? [1, 1],
    groups: c.groups ?? 1,
    kernel: c.kernel,
  });
  g.output("dw", dw);
  return g.build();
}

describe("4-wide conv2d_backward_kernel", () => {
  const cases: Case[] = [
    // LeNet's conv2: 150 elements per output channel, so some texels span two channels.
    // The default plan computes channels o, o + 4, o + 8, o + 12 per fragment (lanes).
    {
      x: [2, 6, 14, 14],
      cotangent: [2, 16, 10, 10],
      kernel: [5, 5],
      pad: [0, 0, 0, 0],
      lanes: 4,
    },
    // LeNet's conv1 (padding 2): 150 elements in all, the last texel half padding.
    { x: [2, 1, 12, 12], cotangent: [2, 6, 12, 12], kernel: [5, 5], pad: [2, 2, 2, 2] },
    {
      x: [1, 2, 9, 11],
      cotangent: [1, 4, 4, 12],
      kernel: [3, 2],
      pad: [1, 0, 2, 1],
      strides: [2, 1],
      dilations: [1, 2],
    },
    { x: [1, 4, 6, 6], cotangent: [1, 6, 6, 6], kernel: [3, 3], pad: [1, 1, 1, 1], groups: 2 },
    // Two groups of 8 output channels: lanes o and o + 4 stay in one group.
    {
      x: [1, 6, 7, 7],
      cotangent: [1, 16, 5, 5],
      kernel: [3, 3],
      pad: [0, 0, 0, 0],
      groups: 2,
      lanes: 2,
    },
  ];
  for (const c of cases) {
    const what = `x [${c.x}] dy [${c.cotangent}] kernel [${c.kernel}] pad [${c.pad}] strides [${c.strides ?? [1, 1]}] dilations [${c.dilations ?? [1, 1]}] groups ${c.groups ?? 1}`;
    it(what, async () => {
      const graph = backwardGraph(c);
      const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
      const feeds = { x: data(size(c.x), 1), dy: data(size(c.cotangent), 2) };
      const exe = await compile(graph, { backend: webgl() });
      const fourWide = planWithoutSplits(exe);
      expect(fourWide.kernels.at(-1)!.fragment).toMatch(/vec4 n\d+_4\(int base\)/);
      expect(emitPlan(exe.program).kernels.at(-1)!.split?.targets.length).toBe(c.lanes);
      const actual = exe.run(feeds).dw as Float32Array;
      const expected = evaluate(graph, feeds).dw!;
      expect(actual.length).toBe(expected.length);
      expect(mismatch(actual, expected, 1e-4, 1e-5)).toBeUndefined();
      const actualFourWide = await runPlan(exe, fourWide, feeds, "dw");
      expect(mismatch(actualFourWide, expected, 1e-4, 1e-5)).toBeUndefined();
    });
  }
});

interface TransposeCase {
  readonly x: readonly [number, number, number, number];
  readonly w: readonly [number, number, number, number];
  readonly pad: readonly [number, number, number, number];
  readonly strides?: readonly [number, number];
  readonly dilations?: readonly [number, number];
  readonly outputPadding?: readonly [number, number];
  readonly groups?: number;
  /** Image channels per fragment in the default plan's multi-target path. */
  readonly lanes?: number;
  /** Whether that path reads cotangent rows a run of texels at a time (stride 1, one group). */
  readonly rows?: boolean;
}

function transposeGraph(c: TransposeCase): Graph {
  const g = new GraphBuilder("conv-transpose");
  const [t, b, l, r] = c.pad;
  const y = g.apply("conv2d_transpose", [g.input("x", c.x), g.input("w", c.w)], {
    strides: c.strides ?? [1, 1],
    padding: [
      [t, b],
      [l, r],
    ],
    dilations: c.dilations ?? [1, 1],
    groups: c.groups ?? 1,
    outputPadding: c.outputPadding ?? [0, 0],
  });
  g.output("y", y);
  return g.build();
}

describe("4-wide conv2d_transpose", () => {
  const cases: TransposeCase[] = [
    // LeNet's conv2 input gradient: 14×14 planes, so a texel never spans two planes.
    // The default plan computes 3 image channels per fragment (lanes).
    { x: [2, 16, 10, 10], w: [16, 6, 5, 5], pad: [0, 0, 0, 0], lanes: 3, rows: true },
    // 5×7 planes (35 elements): texels span planes, and the last texel is part padding.
    { x: [1, 3, 3, 5], w: [3, 2, 3, 3], pad: [0, 0, 0, 0] },
    {
      x: [1, 4, 4, 5],
      w: [4, 3, 3, 2],
      pad: [1, 0, 0, 1],
      strides: [2, 3],
      dilations: [1, 2],
      outputPadding: [1, 2],
      lanes: 3,
    },
    { x: [2, 4, 6, 6], w: [4, 3, 3, 3], pad: [1, 1, 1, 1], groups: 2, lanes: 3 },
    { x: [1, 4, 6, 6], w: [4, 4, 3, 3], pad: [1, 1, 1, 1], lanes: 4, rows: true },
    // Rows of 7 (texels straddle rows), asymmetric padding, 3 channels: 3 lanes of row runs.
    { x: [2, 5, 5, 7], w: [5, 3, 3, 4], pad: [2, 1, 1, 2], lanes: 3, rows: true },
  ];
  for (const c of cases) {
    const what = `x [${c.x}] w [${c.w}] pad [${c.pad}] strides [${c.strides ?? [1, 1]}] dilations [${c.dilations ?? [1, 1]}] outputPadding [${c.outputPadding ?? [0, 0]}] groups ${c.groups ?? 1}`;
    it(what, async () => {
      const graph = transposeGraph(c);
      const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
      const feeds = { x: data(size(c.x), 3), w: data(size(c.w), 4) };
      const exe = await compile(graph, { backend: webgl() });
      const fourWide = planWithoutSplits(exe);
      expect(fourWide.kernels.at(-1)!.fragment).toMatch(/vec4 n\d+_4\(int base\)/);
      const kernel = emitPlan(exe.program).kernels.at(-1)!;
      expect(kernel.split?.targets.length).toBe(c.lanes);
      expect(kernel.fragment.includes("bool straddles")).toBe(c.rows ?? false);
      const actual = exe.run(feeds).y as Float32Array;
      const expected = evaluate(graph, feeds).y!;
      expect(actual.length).toBe(expected.length);
      expect(mismatch(actual, expected, 1e-4, 1e-5)).toBeUndefined();
      const actualFourWide = await runPlan(exe, fourWide, feeds, "y");
      expect(mismatch(actualFourWide, expected, 1e-4, 1e-5)).toBeUndefined();
      // Some elements receive no tap at all or only some taps: both occur with these geometries.
      expect(Array.from(expected).some((v) => v !== 0)).toBe(true);
    });
  }
});

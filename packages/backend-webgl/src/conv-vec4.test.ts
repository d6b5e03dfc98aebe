import { compile } from "@nnc/compiler";
import { createRng, evaluate, type Graph, GraphBuilder, randomData } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { emitPlan } from "./emit/emit-plan.js";
import { webgl } from "./index.js";
import { mismatch, planWithoutSplits, runPlan } from "./test-support.js";

// The 4-wide conv2d (4 adjacent output columns per fragment, input rows read a texel at a time,
// weights a texel per 4 channels when the group has a multiple of 4 channels) and the
// shared-loop 4-wide path for other widths: geometries against core's float64 reference, and
// which kernels take which path. Each case also runs the default plan, where the row-aligned
// path computes several output channels per fragment into several render targets.

/** Seeded float32 data in [-1, 1). */
function data(size: number, seed: number): number[] {
  return Array.from(randomData("float32", size, createRng(seed), [-1, 1])).map(Math.fround);
}

interface Case {
  readonly x: readonly [number, number, number, number];
  readonly w: readonly [number, number, number, number];
  readonly pad: readonly [number, number, number, number];
  readonly strides?: readonly [number, number];
  readonly dilations?: readonly [number, number];
  readonly groups?: number;
  /** Whether the kernel takes the row-aligned 4-wide path (else the shared-loop one). */
  readonly wide: boolean;
  /** Whether the weights are read a texel at a time. */
  readonly texelWeights?: boolean;
  /**
   * Render targets of the default plan's multi-target path (output channels per fragment: the
   * row-aligned path takes 4 or 2 when the group has a multiple of 4 input channels, else it
   * stays 4-wide; where it does not apply, the shared loop takes 4, 3 or 2 when one divides the
   * group's output channels and ho·wo is a multiple of 4).
   */
  readonly lanes?: number;
}

/** y = relu(conv2d(x, w) + 1): a conv kernel with an elementwise epilogue. */
function convGraph(c: Case): Graph {
  const g = new GraphBuilder("conv");
  const x = g.input("x", c.x);
  const w = g.input("w", c.w);
  const [t, b, l, r] = c.pad;
  const y = g.apply("conv2d", [x, w], {
    strides: c.strides ?? [1, 1],
    padding: [
      [t, b],
      [l, r],
    ],
    dilations: c.dilations ?? [1, 1],
    groups: c.groups ?? 1,
  });
  g.output("y", g.relu(g.add(y, g.constant(1))));
  return g.build();
}

describe("4-wide conv2d", () => {
  const cases: Case[] = [
    {
      x: [1, 8, 16, 16],
      w: [8, 8, 3, 3],
      pad: [1, 1, 1, 1],
      wide: true,
      texelWeights: true,
      lanes: 4,
    },
    { x: [2, 3, 8, 8], w: [5, 3, 3, 3], pad: [1, 1, 1, 1], wide: true, texelWeights: false },
    { x: [2, 1, 28, 28], w: [6, 1, 5, 5], pad: [0, 0, 0, 0], wide: true },
    {
      x: [1, 4, 16, 16],
      w: [4, 4, 3, 3],
      pad: [1, 0, 1, 1],
      strides: [2, 2],
      wide: true,
      lanes: 4,
    },
    {
      x: [1, 2, 12, 20],
      w: [3, 2, 2, 3],
      pad: [2, 2, 3, 3],
      dilations: [2, 3],
      wide: true,
    },
    { x: [1, 8, 8, 8], w: [6, 4, 3, 3], pad: [1, 1, 1, 1], groups: 2, wide: true },
    { x: [2, 16, 8, 8], w: [8, 4, 3, 3], pad: [1, 1, 1, 1], groups: 4, wide: true, lanes: 2 },
    // Input width not a multiple of 4 (9, 10), output width not a multiple of 4: the shared-loop
    // 4-wide path (one weight fetch for the 4 outputs), planes of 64, 80 and 16 elements.
    { x: [1, 2, 9, 9], w: [2, 2, 2, 2], pad: [0, 0, 0, 0], wide: false, lanes: 2 },
    { x: [1, 2, 10, 10], w: [3, 2, 3, 3], pad: [1, 1, 3, 3], wide: false, lanes: 3 },
    { x: [1, 2, 6, 6], w: [3, 2, 3, 3], pad: [0, 0, 0, 0], wide: false, lanes: 3 },
    // 5×7 output planes: texels span two planes (the scalar fallback), the last texel is partial.
    {
      x: [1, 4, 9, 7],
      w: [4, 2, 3, 2],
      pad: [1, 0, 2, 1],
      strides: [2, 1],
      dilations: [1, 2],
      groups: 2,
      wide: false,
      lanes: 2,
    },
  ];
  for (const c of cases) {
    const what = `x [${c.x}] w [${c.w}] pad [${c.pad}] strides [${c.strides ?? [1, 1]}] dilations [${c.dilations ?? [1, 1]}] groups ${c.groups ?? 1}`;
    it(what, async () => {
      const graph = convGraph(c);
      const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
      const feeds = { x: data(size(c.x), 1), w: data(size(c.w), 2) };
      const exe = await compile(graph, { backend: webgl() });
      const isConv = (k: { fragment: string }) => k.fragment.includes(" conv2d ");
      const fourWide = planWithoutSplits(exe);
      const kernel = fourWide.kernels.find(isConv)!;
      expect(kernel.fragment).toMatch(/vec4 n\d+_4\(int base\)/);
      expect(/float cv\d+\(int i\)/.test(kernel.fragment)).toBe(!c.wide);
      if (c.texelWeights !== undefined) {
        expect(/t1_4\(/.test(kernel.fragment)).toBe(c.texelWeights);
      }
      const split = emitPlan(exe.program).kernels.find(isConv)!.split;
      expect(split?.targets.length).toBe(c.lanes);
      const expected = evaluate(graph, feeds).y!;
      const actual = exe.run(feeds).y as Float32Array;
      expect(mismatch(actual, expected, 1e-5, 1e-5)).toBeUndefined();
      const actualFourWide = await runPlan(exe, fourWide, feeds, "y");
      expect(mismatch(actualFourWide, expected, 1e-5, 1e-5)).toBeUndefined();
      // Both signs occur, so padding and the epilogue are exercised.
      expect(Array.from(expected).some((v) => v === 0)).toBe(true);
      expect(Array.from(expected).some((v) => v > 1)).toBe(true);
    });
  }
});

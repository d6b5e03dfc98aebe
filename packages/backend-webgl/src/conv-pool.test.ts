import { compile, ReferenceTrainer, sgd, trainingGraph } from "@nnc/compiler";
import {
  createRng,
  evaluate,
  type Graph,
  GraphBuilder,
  OP_SAMPLES,
  type OpName,
  type OpSample,
  type Rng,
  randomData,
  sizeOf,
  type TensorType,
} from "@nnc/core";
import { describe, expect, it } from "vitest";
import { webgl } from "./webgl-backend.js";

// The matmul, convolution and pooling shaders against core's float64 reference: every valid op
// sample over several seeds, then network-sized shapes. Sums run in float32 on the GPU, so each
// element may be off by a few float32 roundings of its terms: the tolerance scales with the
// same op evaluated on |inputs| (the sum of the terms' magnitudes). Integer results are exact.

const OPS: readonly OpName[] = [
  "matmul",
  "conv2d",
  "conv2d_transpose",
  "conv2d_backward_kernel",
  "max_pool2d",
  "avg_pool2d",
  "avg_pool2d_backward",
  "max_pool2d_argmax",
  "gather_spatial",
  "scatter_add_spatial",
];

const SEEDS = [1, 2, 3];

/** A one-op graph: inputs x0, x1, … and the output y. */
function opGraph(op: OpName, inputs: readonly TensorType[], attrs: OpSample["attrs"]): Graph {
  const g = new GraphBuilder(op);
  const values = inputs.map((t, i) => g.input(`x${i}`, t.shape, t.dtype));
  g.output("y", g.apply(op, values, attrs));
  return g.build();
}

/** Random feeds x0, x1, …; float data rounded to float32 so both sides see the same values. */
function feedsFor(sample: OpSample, rng: Rng): Record<string, number[]> {
  return Object.fromEntries(
    sample.inputs.map((t, i) => {
      const data = Array.from(randomData(t.dtype, sizeOf(t.shape), rng, sample.ranges?.[i]));
      return [`x${i}`, t.dtype === "float32" ? data.map(Math.fround) : data];
    }),
  );
}

/**
 * The first element where `actual` differs from the reference beyond float32 accumulation
 * error (relative `rtol` of the terms' magnitudes `scale`), as a message; exact for int32.
 */
function mismatch(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  scale: ArrayLike<number>,
  exact: boolean,
  rtol: number,
): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length} vs ${expected.length}`;
  for (let k = 0; k < actual.length; k++) {
    const a = actual[k]!;
    const e = expected[k]!;
    const tolerance = exact ? 0 : 1e-6 + rtol * Math.abs(scale[k]!);
    if (Number.isNaN(e) ? Number.isNaN(a) : a === e || Math.abs(a - e) <= tolerance) continue;
    return `element ${k}: ${a} instead of ${e} (tolerance ${tolerance})`;
  }
  return undefined;
}

/** Compiles `graph` for WebGL, runs it on `feeds` and compares y with the reference. */
async function check(graph: Graph, feeds: Record<string, number[]>, what: string, rtol = 1e-5) {
  const exe = await compile(graph, { backend: webgl() });
  const actual = exe.run(feeds).y!;
  const expected = evaluate(graph, feeds).y!;
  // Magnitudes: the same op on |float inputs| (int inputs are indices or exact data).
  const absFeeds = Object.fromEntries(
    Object.entries(feeds).map(([name, data]) => {
      const float = graph.findNode(name)!.type.dtype === "float32";
      return [name, float ? data.map(Math.abs) : data];
    }),
  );
  const scale = evaluate(graph, absFeeds).y!;
  const exact = graph.node(graph.outputs[0]!.node).type.dtype !== "float32";
  expect(mismatch(actual, expected, scale, exact, rtol), what).toBeUndefined();
}

describe("op samples agree with the reference", () => {
  for (const op of OPS) {
    it(op, async () => {
      let checked = 0;
      for (const seed of SEEDS) {
        const rng = createRng(seed);
        for (const [index, sample] of OP_SAMPLES[op].valid(rng).entries()) {
          const graph = opGraph(op, sample.inputs, sample.attrs);
          const what = `${op} seed ${seed} sample ${index}: ${JSON.stringify(sample.inputs)} ${JSON.stringify(sample.attrs)}`;
          await check(graph, feedsFor(sample, rng), what);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    });
  }
});

const f32 = (...shape: number[]): TensorType => ({ dtype: "float32", shape });
const i32 = (...shape: number[]): TensorType => ({ dtype: "int32", shape });
const NO_PAD = [
  [0, 0],
  [0, 0],
];
const PAD2 = [
  [2, 2],
  [2, 2],
];
const conv = (padding = NO_PAD, strides = [1, 1], dilations = [1, 1], groups = 1) => ({
  strides,
  padding,
  dilations,
  groups,
});
const pool = (k: number, s: number, padding = NO_PAD) => ({
  kernel: [k, k],
  strides: [s, s],
  padding,
});

/** Network-sized uses (LeNet-5 layers and their gradients, a 512×512 product, odd geometry). */
const LARGE: readonly { op: OpName; sample: OpSample; rtol?: number }[] = [
  { op: "matmul", sample: { inputs: [f32(512, 512), f32(512, 512)], attrs: {} }, rtol: 3e-5 },
  { op: "matmul", sample: { inputs: [f32(3, 64, 33), f32(33, 17)], attrs: {} } },
  {
    op: "matmul",
    sample: {
      inputs: [i32(2, 1, 9, 13), i32(3, 13, 6)],
      attrs: {},
      ranges: [
        [-50, 50],
        [-50, 50],
      ],
    },
  },
  { op: "conv2d", sample: { inputs: [f32(8, 1, 28, 28), f32(6, 1, 5, 5)], attrs: conv(PAD2) } },
  { op: "conv2d", sample: { inputs: [f32(8, 6, 14, 14), f32(16, 6, 5, 5)], attrs: conv() } },
  {
    op: "conv2d",
    sample: {
      inputs: [f32(2, 8, 17, 15), f32(8, 2, 3, 3)],
      attrs: conv(
        [
          [1, 2],
          [0, 1],
        ],
        [2, 3],
        [2, 1],
        4,
      ),
    },
  },
  {
    op: "conv2d_transpose",
    sample: {
      inputs: [f32(8, 16, 10, 10), f32(16, 6, 5, 5)],
      attrs: { ...conv(), outputPadding: [0, 0] },
    },
  },
  {
    op: "conv2d_transpose",
    sample: {
      inputs: [f32(2, 6, 7, 9), f32(6, 2, 3, 4)],
      attrs: {
        ...conv(
          [
            [1, 0],
            [2, 1],
          ],
          [2, 3],
          [2, 1],
          3,
        ),
        outputPadding: [1, 2],
      },
    },
  },
  {
    op: "conv2d_backward_kernel",
    sample: {
      inputs: [f32(8, 6, 14, 14), f32(8, 16, 10, 10)],
      attrs: { ...conv(), kernel: [5, 5] },
    },
  },
  {
    op: "conv2d_backward_kernel",
    sample: {
      inputs: [f32(8, 1, 28, 28), f32(8, 6, 28, 28)],
      attrs: { ...conv(PAD2), kernel: [5, 5] },
    },
  },
  { op: "max_pool2d", sample: { inputs: [f32(8, 6, 28, 28)], attrs: pool(2, 2) } },
  { op: "max_pool2d_argmax", sample: { inputs: [f32(8, 6, 28, 28)], attrs: pool(2, 2) } },
  {
    op: "max_pool2d_argmax",
    sample: {
      inputs: [f32(2, 3, 13, 11)],
      attrs: pool(3, 2, [
        [1, 1],
        [1, 2],
      ]),
    },
  },
  {
    op: "avg_pool2d",
    sample: {
      inputs: [f32(4, 3, 15, 16)],
      attrs: {
        ...pool(3, 2, [
          [1, 1],
          [2, 0],
        ]),
        countIncludePad: false,
      },
    },
  },
  {
    op: "avg_pool2d_backward",
    sample: {
      inputs: [f32(4, 3, 8, 8)],
      attrs: {
        ...pool(3, 2, [
          [1, 1],
          [2, 0],
        ]),
        countIncludePad: false,
        inputShape: [15, 16],
      },
    },
  },
  {
    op: "avg_pool2d_backward",
    sample: {
      inputs: [f32(8, 6, 14, 14)],
      attrs: { ...pool(2, 2), countIncludePad: true, inputShape: [28, 28] },
    },
  },
];

describe("network-sized shapes agree with the reference", () => {
  for (const [index, { op, sample, rtol }] of LARGE.entries()) {
    it(`${op} ${JSON.stringify(sample.inputs.map((t) => t.shape))} (${index})`, async () => {
      const graph = opGraph(op, sample.inputs, sample.attrs);
      await check(graph, feedsFor(sample, createRng(7 + index)), op, rtol);
    });
  }
});

describe("max-pool gradient plumbing", () => {
  it("scatters through a max_pool2d_argmax over the covering windows only", async () => {
    // Overlapping 3×3 windows at stride 2 with padding: a position can win several windows.
    const g = new GraphBuilder("scatter");
    const x = g.input("x", [2, 3, 11, 9]);
    const v = g.input("v", [2, 3, 6, 5]);
    const attrs = pool(3, 2, [
      [1, 1],
      [1, 1],
    ]);
    const winners = g.apply("max_pool2d_argmax", [x], attrs);
    g.output("y", g.scatterAddSpatial(v, winners, { inputShape: [11, 9] }));
    const graph = g.build();
    const rng = createRng(11);
    // Few distinct values so windows tie and the first-maximum rule matters.
    const xs = Array.from(randomData("float32", 2 * 3 * 11 * 9, rng, [0, 4]), Math.floor);
    const vs = Array.from(randomData("float32", 2 * 3 * 6 * 5, rng), Math.fround);
    await check(graph, { x: xs, v: vs }, "argmax → scatter_add_spatial");
  });

  it("picks the first maximum of a tied window", async () => {
    const g = new GraphBuilder("ties");
    const x = g.input("x", [1, 1, 2, 4]);
    g.output("y", g.apply("max_pool2d_argmax", [x], pool(2, 2)));
    const exe = await compile(g.build(), { backend: webgl() });
    // Windows [[1, 3], [3, 0]] and [[2, 2], [0, 2]]: first maxima at flat 1 and 2.
    const y = exe.run({ x: [1, 3, 2, 2, 3, 0, 0, 2] }).y!;
    expect(Array.from(y)).toEqual([1, 2]);
  });

  it("lets a NaN win the window, the last NaN for argmax, as the reference does", async () => {
    const g = new GraphBuilder("nan");
    const x = g.input("x", [1, 1, 2, 4]);
    g.output("m", g.apply("max_pool2d", [x], pool(2, 2)));
    g.output("y", g.apply("max_pool2d_argmax", [x], pool(2, 2)));
    const exe = await compile(g.build(), { backend: webgl() });
    // Window 0 holds NaN at flat 0 and 4 around 5 and 7; window 1 holds four 1s.
    const out = exe.run({ x: [Number.NaN, 5, 1, 1, Number.NaN, 7, 1, 1] });
    expect(Array.from(out.m!)).toEqual([Number.NaN, 1]);
    expect(Array.from(out.y!)).toEqual([4, 2]);
  });
});

describe("inside compiled networks", () => {
  /** A small CNN: every op of this file's family forward and backward, fused where it can be. */
  function cnn(): Graph {
    const g = new GraphBuilder("cnn");
    const x = g.input("x", [4, 2, 12, 12]);
    const labels = g.input("labels", [4], "int32");
    let h = g.layers.conv2d(x, {
      name: "c1",
      filters: 6,
      kernel: 3,
      padding: 1,
      activation: "relu",
      seed: 1,
    });
    h = g.layers.maxPool2d(h, { kernel: 2, stride: 2 });
    h = g.layers.conv2d(h, {
      name: "c2",
      filters: 8,
      kernel: 3,
      stride: 2,
      groups: 2,
      activation: "tanh",
      seed: 2,
    });
    h = g.layers.avgPool2d(h, {
      kernel: 2,
      stride: 1,
      padding: [
        [1, 0],
        [0, 1],
      ],
    });
    const logits = g.layers.dense(g.layers.flatten(h), 3, { name: "fc", seed: 3 });
    g.output("logits", logits);
    g.output("loss", g.softmaxCrossEntropy(logits, labels));
    return g.build();
  }
  const rng = createRng(5);
  const batch = {
    x: Array.from(randomData("float32", 4 * 2 * 12 * 12, rng), Math.fround),
    labels: [0, 2, 1, 2],
  };

  it("infers like the reference", async () => {
    const exe = await compile(cnn(), { backend: webgl() });
    const actual = exe.run(batch).logits!;
    const expected = evaluate(cnn(), batch).logits!;
    expect(
      mismatch(
        actual,
        expected,
        expected.map(() => 1),
        false,
        1e-4,
      ),
    ).toBeUndefined();
  });

  it("trains like the reference trainer (conv, pool and spatial gradients on the GPU)", async () => {
    const optimizer = sgd({ lr: 0.1 });
    const exe = await compile(cnn(), { backend: webgl(), mode: "train", loss: "loss", optimizer });
    const trainer = new ReferenceTrainer(trainingGraph(cnn(), { loss: "loss", optimizer }));
    for (let step = 0; step < 3; step++) {
      const loss = exe.step(batch);
      expect(Math.abs(loss - trainer.step(batch).loss![0]!)).toBeLessThan(1e-4);
    }
    const ops = exe.report.opCounts;
    for (const op of OPS.filter((o) => o !== "gather_spatial"))
      expect(ops[op], op).toBeGreaterThan(0);
    const params = exe.getParams();
    for (const name of ["c1.weight", "c1.bias", "c2.weight", "fc.weight"]) {
      const want = trainer.params[name]!;
      expect(
        mismatch(
          params[name]!,
          want,
          want.map(() => 1),
          false,
          1e-4,
        ),
        name,
      ).toBeUndefined();
    }
  });
});

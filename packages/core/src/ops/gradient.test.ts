import { describe, expect, it } from "vitest";
import type { DType } from "../dtype.js";
import { evaluate } from "../evaluate.js";
import { expandComposites } from "../expand-composites.js";
import { GraphBuilder } from "../graph-builder.js";
import type {
  AvgPool2dBackwardAttrs,
  Conv2dBackwardKernelAttrs,
  OpName,
  Padding2d,
  Pair,
  Pool2dAttrs,
} from "../op-attrs.js";
import { createRng, hashString, type Rng, randomData } from "../random.js";
import { opDef } from "../registry.js";
import { type Shape, sizeOf } from "../shape.js";
import type { Value } from "../value.js";

/** An input of a test graph: its shape, row-major data and dtype (float32 by default). */
interface Feed {
  readonly shape: Shape;
  readonly data: readonly number[];
  readonly dtype?: DType;
}

type Attrs = Readonly<Record<string, unknown>>;

/** An attribute interface as a plain object type, so it also passes as {@link Attrs}. */
type Plain<T> = { readonly [K in keyof T]: T[K] };

const f32 = (shape: Shape, data: readonly number[]): Feed => ({ shape, data });
const i32 = (shape: Shape, data: readonly number[]): Feed => ({ shape, data, dtype: "int32" });

function random(rng: Rng, shape: Shape, range: readonly [number, number] = [-1, 1]): number[] {
  return Array.from(randomData("float32", sizeOf(shape), rng, range));
}

function randomIndices(rng: Rng, shape: Shape, low: number, high: number): number[] {
  return Array.from(randomData("int32", sizeOf(shape), rng, [low, high]));
}

/** ⟨a, b⟩ */
function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function declare(g: GraphBuilder, feeds: readonly Feed[]): Value[] {
  return feeds.map((f, i) => g.input(`in${i}`, f.shape, f.dtype ?? "float32"));
}

function feedsOf(feeds: readonly Feed[]): Record<string, readonly number[]> {
  return Object.fromEntries(feeds.map((f, i) => [`in${i}`, f.data]));
}

/** Builds `body` over the feeds with the public builder and evaluates it. */
function run(feeds: readonly Feed[], body: (g: GraphBuilder, ...xs: Value[]) => Value) {
  const g = new GraphBuilder("gradient-test");
  const y = body(g, ...declare(g, feeds));
  g.output("y", y);
  return { shape: y.shape, values: Array.from(evaluate(g.build(), feedsOf(feeds)).y!) };
}

/**
 * Both sides of the adjoint identity ⟨A x, c⟩ = ⟨x, Aᵀ c⟩ for `op`'s transpose rule, with operand
 * `linear` linear and the others residuals, on a random cotangent.
 */
function adjointSides(
  op: OpName,
  feeds: readonly Feed[],
  attrs: Attrs,
  linear: number,
  rng: Rng,
): [number, number] {
  const g = new GraphBuilder("adjoint");
  const xs = declare(g, feeds);
  const y = g.apply(op, xs, attrs);
  const ct = g.input("ct", y.shape);
  const cotangents = opDef(op).transpose!({
    g,
    ct,
    attrs,
    types: xs.map((x) => x.type),
    residuals: xs.map((x, i) => (i === linear ? undefined : x)),
    linear: xs.map((_, i) => i === linear),
    outType: y.type,
  });
  expect(cotangents.map((c) => c !== null)).toEqual(xs.map((_, i) => i === linear));
  expect(cotangents[linear]!.shape).toEqual(feeds[linear]!.shape);
  g.output("y", y);
  g.output("back", cotangents[linear]!);
  const ctData = random(rng, y.shape);
  const out = evaluate(g.build(), { ...feedsOf(feeds), ct: ctData });
  return [dot(out.y!, ctData), dot(feeds[linear]!.data, out.back!)];
}

/**
 * The worst gap between `op`'s JVP rule and central finite differences in float64, with random
 * tangents on the operands in `tangentOf` (asking for any other tangent fails the test).
 */
function jvpGap(
  op: OpName,
  feeds: readonly Feed[],
  attrs: Attrs,
  tangentOf: readonly number[],
  rng: Rng,
): number {
  const g = new GraphBuilder("jvp");
  const xs = declare(g, feeds);
  const tangents = feeds.map((f, i) =>
    tangentOf.includes(i) ? g.input(`t${i}`, f.shape) : undefined,
  );
  const y = g.apply(op, xs, attrs);
  const dy = opDef(op).jvp!({
    g,
    primals: xs,
    out: y,
    attrs,
    tangent: (i) => {
      if (!tangentOf.includes(i) && feeds[i]!.dtype === "int32") {
        throw new Error(`the rule asked for the tangent of integer operand ${i}`);
      }
      return tangents[i] ?? null;
    },
  });
  g.output("dy", dy!);
  const tangentData = feeds.map((f) => random(rng, f.shape));
  const tangentFeeds = Object.fromEntries(tangentOf.map((i) => [`t${i}`, tangentData[i]!]));
  const jvp = evaluate(g.build(), { ...feedsOf(feeds), ...tangentFeeds }).dy!;
  const eps = 1e-6;
  const at = (sign: number) =>
    run(
      feeds.map((f, i) =>
        tangentOf.includes(i)
          ? { ...f, data: f.data.map((v, k) => v + sign * eps * tangentData[i]![k]!) }
          : f,
      ),
      (h, ...operands) => h.apply(op, operands, attrs),
    ).values;
  const plus = at(1);
  const minus = at(-1);
  let worst = 0;
  for (let k = 0; k < jvp.length; k++) {
    worst = Math.max(worst, Math.abs(jvp[k]! - (plus[k]! - minus[k]!) / (2 * eps)));
  }
  return worst;
}

// ---- stop_gradient -----------------------------------------------------------------------------

describe("stop_gradient", () => {
  it("is the identity on every dtype", () => {
    expect(run([f32([2, 2], [1.5, -2, 0, 3])], (g, x) => g.stopGradient(x!))).toEqual({
      shape: [2, 2],
      values: [1.5, -2, 0, 3],
    });
    const ints = run([i32([3], [7, -1, 0])], (g, x) => g.stopGradient(x!));
    expect(ints.values).toEqual([7, -1, 0]);
    const bools = run([{ shape: [2], data: [1, 0], dtype: "bool" }], (g, x) => g.stopGradient(x!));
    expect(bools.values).toEqual([1, 0]);
  });

  it("has a zero tangent", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [3]);
    const y = g.stopGradient(x);
    expect(
      opDef("stop_gradient").jvp!({ g, primals: [x], out: y, attrs: {}, tangent: () => x }),
    ).toBeNull();
  });
});

describe("stable decompositions", () => {
  // Subtracting the maximum is for overflow only; differentiating it would be wasted work.
  it.each([
    ["log_sum_exp", (g: GraphBuilder, x: Value) => g.logSumExp(x, 1)],
    ["softmax", (g: GraphBuilder, x: Value) => g.softmax(x)],
    ["log_softmax", (g: GraphBuilder, x: Value) => g.logSoftmax(x)],
  ])("%s stops the gradient at the maximum it subtracts", (_name, body) => {
    const g = new GraphBuilder();
    g.output("y", body(g, g.input("x", [2, 3])));
    const graph = expandComposites(g.build());
    const stops = graph.nodes.filter((n) => n.op === "stop_gradient");
    expect(stops).toHaveLength(1);
    expect(graph.node(stops[0]!.inputs[0]!).op).toBe("max");
    // nothing else reads the unstopped maximum
    const max = stops[0]!.inputs[0]!;
    expect(graph.nodes.filter((n) => n.inputs.includes(max))).toEqual([stops[0]]);
  });
});

// ---- conv2d_backward_kernel --------------------------------------------------------------------

const VALID: Padding2d = [
  [0, 0],
  [0, 0],
];

function kernelAttrs(
  kernel: Pair,
  attrs: Partial<Conv2dBackwardKernelAttrs> = {},
): Plain<Conv2dBackwardKernelAttrs> {
  return { strides: [1, 1], padding: VALID, dilations: [1, 1], groups: 1, kernel, ...attrs };
}

describe("conv2d_backward_kernel", () => {
  // S1: X 3×3, G = ∂L/∂O 2×2; ∂L/∂F is the valid correlation of X with G:
  // dW[i][j] = Σ G[y][x] · X[y + i][x + j], e.g. dW[0][0] = 1·1 − 1·2 + 2·4 + 0.5·5 = 9.5.
  const X = f32([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const G = f32([1, 1, 2, 2], [1, -1, 2, 0.5]);

  it("S1: is the valid correlation of the input with the output gradient", () => {
    expect(run([X, G], (g, x, c) => g.conv2dBackwardKernel(x!, c!, kernelAttrs([2, 2])))).toEqual({
      shape: [1, 1, 2, 2],
      values: [9.5, 12, 17, 19.5],
    });
  });

  it("S1: its transpose in the input is the full correlation with the kernel rotated 180°", () => {
    // dX[i][j] = Σ G[y][x] · F[i − y][j − x] with F = [[1, 2], [3, 4]]; e.g. the centre is
    // G00·F11 + G01·F10 + G10·F01 + G11·F00 = 4 − 3 + 4 + 0.5 = 5.5.
    const g = new GraphBuilder();
    const [x, c] = declare(g, [X, G]);
    const f = g.input("f", [1, 1, 2, 2]);
    const attrs = kernelAttrs([2, 2]);
    const [dx, dc] = opDef("conv2d_backward_kernel").transpose!({
      g,
      ct: f,
      attrs,
      types: [x!.type, c!.type],
      residuals: [undefined, c],
      linear: [true, false],
      outType: f.type,
    });
    expect(dc).toBeNull();
    g.output("dx", dx!);
    const out = evaluate(g.build(), { ...feedsOf([X, G]), f: [1, 2, 3, 4] });
    expect(Array.from(out.dx!)).toEqual([1, 1, -2, 5, 5.5, -3, 6, 9.5, 2]);
  });

  it("sums over the stride's sampled positions and the batch", () => {
    // 1×1 kernel, stride 2 over rows [1 2 3] [4 5 6] [7 8 9]: the sampled corners 1, 3, 7, 9,
    // and a second example of all ones: 1·1 + 2·3 + 3·7 + 4·9 + (1 + 2 + 3 + 4)·1 = 74
    const x = f32([2, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, ...new Array(9).fill(1)]);
    const c = f32([2, 1, 2, 2], [1, 2, 3, 4, 1, 2, 3, 4]);
    const attrs = kernelAttrs([1, 1], { strides: [2, 2] });
    expect(run([x, c], (g, a, b) => g.conv2dBackwardKernel(a!, b!, attrs)).values).toEqual([74]);
  });

  it("reads zero padding and dilated taps", () => {
    // rows [1 2] [3 4] padded by 1 (4×4), 2×2 kernel: output 3×3. With the cotangent 1 at (0, 0)
    // and 2 at (2, 2): dW[i][j] = xpad[i][j] + 2·xpad[2 + i][2 + j] = [[0 + 8, 0], [0, 1 + 0]].
    const padded = run(
      [f32([1, 1, 2, 2], [1, 2, 3, 4]), f32([1, 1, 3, 3], [1, 0, 0, 0, 0, 0, 0, 0, 2])],
      (g, x, c) =>
        g.conv2dBackwardKernel(
          x!,
          c!,
          kernelAttrs([2, 2], {
            padding: [
              [1, 1],
              [1, 1],
            ],
          }),
        ),
    );
    expect(padded.values).toEqual([8, 0, 0, 1]);
    // [1 2 3 4 5] with taps 2 apart: dW[0] = Σ c[x]·X[x] = 1 + 20 + 300, dW[1] = Σ c[x]·X[x + 2]
    const dilated = run(
      [f32([1, 1, 1, 5], [1, 2, 3, 4, 5]), f32([1, 1, 1, 3], [1, 10, 100])],
      (g, x, c) => g.conv2dBackwardKernel(x!, c!, kernelAttrs([1, 2], { dilations: [1, 2] })),
    );
    expect(dilated).toEqual({ shape: [1, 1, 1, 2], values: [321, 543] });
  });

  it("pairs each output channel with its group's input channels", () => {
    // 2 groups, 1×1 kernel over 1×2 planes: channel 0 = [1 2], channel 1 = [3 4]; cotangent
    // channel 0 = [1 1] reads channel 0 (3), channel 1 = [2 0] reads channel 1 (2·3 = 6).
    const grouped = run(
      [f32([1, 2, 1, 2], [1, 2, 3, 4]), f32([1, 2, 1, 2], [1, 1, 2, 0])],
      (g, x, c) => g.conv2dBackwardKernel(x!, c!, kernelAttrs([1, 1], { groups: 2 })),
    );
    expect(grouped).toEqual({ shape: [2, 1, 1, 1], values: [3, 6] });
  });

  // The defining property and the rules over strides 1–3, valid / same-like / asymmetric
  // padding, dilation 1–2, and groups 1 / 2 / depthwise.
  const kernel: Pair = [3, 2];
  const paddings = (dilation: number): Record<string, Padding2d> => {
    const half = (window: number): Pair => [(window - 1) >> 1, window - 1 - ((window - 1) >> 1)];
    return {
      valid: VALID,
      same: [half((kernel[0] - 1) * dilation + 1), half((kernel[1] - 1) * dilation + 1)],
      asymmetric: [
        [2, 0],
        [0, 1],
      ],
    };
  };
  const grouping = {
    "groups 1": { c: 2, o: 3, groups: 1 },
    "groups 2": { c: 4, o: 2, groups: 2 },
    depthwise: { c: 3, o: 6, groups: 3 },
  };
  const grid = [1, 2, 3].flatMap((stride) =>
    [1, 2].flatMap((dilation) =>
      Object.entries(paddings(dilation)).flatMap(([paddingName, padding]) =>
        Object.entries(grouping).map(([groupName, { c, o, groups }]) => ({
          name: `stride ${stride}, dilation ${dilation}, ${paddingName}, ${groupName}`,
          c,
          o,
          attrs: kernelAttrs(kernel, {
            strides: [stride, stride],
            dilations: [dilation, dilation],
            padding,
            groups,
          }),
        })),
      ),
    ),
  );

  /** Random input, kernel-shaped V and output-shaped C for one grid case. */
  function draw(rng: Rng, { c, o, attrs }: (typeof grid)[number]) {
    const g = new GraphBuilder();
    const x = g.input("x", [2, c, 7, 6]);
    const w = g.input("w", [o, c / attrs.groups, ...kernel]);
    const y = g.conv2d(x, w, {
      stride: attrs.strides,
      padding: attrs.padding,
      dilation: attrs.dilations,
      groups: attrs.groups,
    });
    return {
      x: f32(x.shape, random(rng, x.shape)),
      v: f32(w.shape, random(rng, w.shape)),
      c: f32(y.shape, random(rng, y.shape)),
    };
  }

  it.each(grid)("⟨conv2d(x, V), C⟩ = ⟨V, conv2d_backward_kernel(x, C)⟩: $name", (sample) => {
    const { x, v, c } = draw(createRng(hashString(sample.name)), sample);
    const { attrs } = sample;
    const forward = run([x, v], (g, a, b) =>
      g.conv2d(a!, b!, {
        stride: attrs.strides,
        padding: attrs.padding,
        dilation: attrs.dilations,
        groups: attrs.groups,
      }),
    );
    const backward = run([x, c], (g, a, b) => g.conv2dBackwardKernel(a!, b!, attrs));
    expect(backward.shape).toEqual(v.shape);
    expect(dot(forward.values, c.data)).toBeCloseTo(dot(v.data, backward.values), 9);
  });

  it.each(grid)("transposes in either operand and has an exact JVP: $name", (sample) => {
    const rng = createRng(hashString(`rules ${sample.name}`));
    const { x, c } = draw(rng, sample);
    for (const linear of [0, 1]) {
      const [lhs, rhs] = adjointSides("conv2d_backward_kernel", [x, c], sample.attrs, linear, rng);
      expect(lhs, `operand ${linear}`).toBeCloseTo(rhs, 9);
    }
    expect(jvpGap("conv2d_backward_kernel", [x, c], sample.attrs, [0, 1], rng)).toBeLessThan(1e-7);
  });

  it("rejects a cotangent that is not conv2d's output for the input", () => {
    const g = new GraphBuilder("test");
    const x = g.input("x", [1, 2, 5, 5]);
    const ct = g.input("ct", [1, 4, 2, 2]);
    expect(() =>
      g.conv2dBackwardKernel(x, ct, kernelAttrs([3, 3])),
    ).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2008: conv2d_backward_kernel: cotangent must have the conv2d output shape [1,4,3,3] for this input and a 3×3 kernel, got [1,4,2,2]
        input: f32[1,2,5,5]  input "x"
        cotangent: f32[1,4,2,2]  input "ct"
        node: conv2d_backward_kernel
        at src/ops/gradient.test.ts:373:9]
    `);
  });
});

// ---- avg_pool2d_backward -----------------------------------------------------------------------

function poolAttrs(kernel: Pair, strides: Pair, padding: Padding2d = VALID): Pool2dAttrs {
  return { kernel, strides, padding };
}

describe("avg_pool2d_backward", () => {
  const ONE_PAD: Padding2d = [
    [1, 1],
    [1, 1],
  ];

  it("spreads each cotangent element evenly over its window", () => {
    const attrs: AvgPool2dBackwardAttrs = {
      ...poolAttrs([2, 2], [2, 2]),
      countIncludePad: false,
      inputShape: [4, 4],
    };
    expect(
      run([f32([1, 1, 2, 2], [1, 2, 3, 4])], (g, c) => g.avgPool2dBackward(c!, attrs)),
    ).toEqual({
      shape: [1, 1, 4, 4],
      values: [0.25, 0.25, 0.5, 0.5, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1, 1, 0.75, 0.75, 1, 1],
    });
  });

  it("divides by each window's real elements, or by the whole window with countIncludePad", () => {
    // 2×2 input padded by 1, kernel 2, stride 1: every input element lies in four windows with
    // 1, 2, 2 and 4 real elements: 1 + 1/2 + 1/2 + 1/4 = 2.25; counting padding, 4 · 1/4 = 1.
    const ones = f32([1, 1, 3, 3], new Array(9).fill(1));
    const backward = (countIncludePad: boolean) =>
      run([ones], (g, c) =>
        g.avgPool2dBackward(c!, {
          ...poolAttrs([2, 2], [1, 1], ONE_PAD),
          countIncludePad,
          inputShape: [2, 2],
        }),
      ).values;
    expect(backward(false)).toEqual([2.25, 2.25, 2.25, 2.25]);
    expect(backward(true)).toEqual([1, 1, 1, 1]);
  });

  it.each([
    ["2×2, stride 2", poolAttrs([2, 2], [2, 2]), [6, 5] as Pair],
    ["3×3, stride 1, padded", poolAttrs([3, 3], [1, 1], ONE_PAD), [5, 4] as Pair],
    [
      "3×2, stride (2, 3), asymmetric padding",
      poolAttrs(
        [3, 2],
        [2, 3],
        [
          [2, 0],
          [0, 1],
        ],
      ),
      [7, 7] as Pair,
    ],
  ])("is the adjoint of avg_pool2d: %s", (_name, pool, [h, w]) => {
    const rng = createRng(h * 31 + w);
    for (const countIncludePad of [false, true]) {
      const x = f32([2, 3, h, w], random(rng, [2, 3, h, w]));
      const pooled = run([x], (g, a) =>
        g.avgPool2d(a!, {
          kernel: pool.kernel,
          stride: pool.strides,
          padding: pool.padding,
          countIncludePad,
        }),
      );
      const y = f32(pooled.shape, random(rng, pooled.shape));
      const attrs = { ...pool, countIncludePad, inputShape: [h, w] as Pair };
      const back = run([y], (g, c) => g.avgPool2dBackward(c!, attrs));
      expect(dot(pooled.values, y.data)).toBeCloseTo(dot(x.data, back.values), 10);
      // its own transpose (avg_pool2d) and JVP
      const [lhs, rhs] = adjointSides("avg_pool2d_backward", [y], attrs, 0, rng);
      expect(lhs).toBeCloseTo(rhs, 10);
      expect(jvpGap("avg_pool2d_backward", [y], attrs, [0], rng)).toBeLessThan(1e-7);
    }
  });

  it("rejects a cotangent that is not avg_pool2d's output for inputShape", () => {
    const g = new GraphBuilder("test");
    expect(() =>
      g.avgPool2dBackward(g.input("ct", [1, 1, 3, 3]), {
        ...poolAttrs([2, 2], [2, 2]),
        countIncludePad: false,
        inputShape: [4, 4],
      }),
    ).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2008: avg_pool2d_backward: cotangent must have the avg_pool2d output shape [1,1,2,2] for an input of [1,1,4,4], got [1,1,3,3]
        cotangent: f32[1,1,3,3]  input "ct"
        node: avg_pool2d_backward
        at src/ops/gradient.test.ts:467:9]
    `);
  });
});

// ---- max_pool2d_argmax, gather_spatial, scatter_add_spatial ------------------------------------

describe("max_pool2d_argmax", () => {
  const argmax = (
    shape: Shape,
    x: readonly number[],
    options: Parameters<GraphBuilder["maxPool2dArgmax"]>[1],
  ) => run([f32(shape, x)], (g, a) => g.maxPool2dArgmax(a!, options));

  it("names where each 2×2 maximum of a 4×4 lies, as h·W + w", () => {
    // rows [1 3 2 0] [4 2 1 5] [0 1 7 2] [3 8 1 1]: maxima 4 at (1, 0), 5 at (1, 3), 8 at
    // (3, 1), 7 at (2, 2)
    const grid = [1, 3, 2, 0, 4, 2, 1, 5, 0, 1, 7, 2, 3, 8, 1, 1];
    expect(argmax([1, 1, 4, 4], grid, { kernel: 2 })).toEqual({
      shape: [1, 1, 2, 2],
      values: [4, 7, 13, 10],
    });
  });

  it("counts within each (n, c) plane and never picks padding", () => {
    expect(argmax([1, 2, 2, 2], [0, 1, 2, 3, 9, 1, 2, 3], { kernel: 2 }).values).toEqual([3, 0]);
    // rows [-1 -2] [-3 -4] padded by 1, kernel 2, stride 1: the zero padding would win every
    // window if it could
    expect(
      argmax([1, 1, 2, 2], [-1, -2, -3, -4], { kernel: 2, stride: 1, padding: 1 }).values,
    ).toEqual([0, 0, 1, 0, 0, 1, 2, 2, 3]);
  });

  it("takes the first maximum on ties, the last NaN, and the first of a window of −∞", () => {
    expect(argmax([1, 1, 2, 2], [5, 5, 5, 5], { kernel: 2 }).values).toEqual([0]);
    expect(argmax([1, 1, 2, 2], [1, 7, 7, 3], { kernel: 2 }).values).toEqual([1]);
    expect(argmax([1, 1, 2, 2], [1, Number.NaN, 3, 2], { kernel: [1, 2] }).values).toEqual([1, 2]);
    expect(argmax([1, 1, 2, 2], [Number.NaN, 4, Number.NaN, 1], { kernel: 2 }).values).toEqual([2]);
    expect(
      argmax([1, 1, 1, 2], [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY], { kernel: [1, 2] })
        .values,
    ).toEqual([0]);
  });

  it.each([
    ["2×2, stride 2", { kernel: 2 }],
    ["2×2, stride 1 (overlapping)", { kernel: 2, stride: 1 }],
    ["3×3, stride 2, padded", { kernel: 3, stride: 2, padding: 1 }],
  ] as const)("gathers exactly max_pool2d's values: %s", (_name, options) => {
    const rng = createRng(5);
    // small integers: plenty of ties
    const x = f32([2, 2, 5, 6], randomIndices(rng, [2, 2, 5, 6], -3, 3));
    const pooled = run([x], (g, a) => g.maxPool2d(a!, options));
    const gathered = run([x], (g, a) => g.gatherSpatial(a!, g.maxPool2dArgmax(a!, options)));
    expect(gathered).toEqual(pooled);
  });

  it.each([
    ["2×2, stride 2", poolAttrs([2, 2], [2, 2])],
    ["2×2, stride 1", poolAttrs([2, 2], [1, 1])],
    [
      "3×2, stride (2, 1), padded",
      poolAttrs(
        [3, 2],
        [2, 1],
        [
          [1, 1],
          [0, 1],
        ],
      ),
    ],
  ])("S8: max_pool2d's derivative is the tangent gathered at the argmax: %s", (_name, attrs) => {
    const rng = createRng(11);
    const shape = [2, 2, 6, 5];
    // distinct values (a shuffled ramp) so no window has a tie
    const x = random(rng, shape)
      .map((v, i) => [v, i] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, i], rank) => [i, rank / 10] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, v]) => v);
    const t = random(rng, shape);
    const g = new GraphBuilder();
    const xv = g.input("x", shape);
    const tv = g.input("t", shape);
    g.output("dy", g.gatherSpatial(tv, g.apply("max_pool2d_argmax", [xv], attrs)));
    const dy = evaluate(g.build(), { x, t }).dy!;
    const eps = 1e-6;
    const pool = (sign: number) =>
      run(
        [
          f32(
            shape,
            x.map((v, k) => v + sign * eps * t[k]!),
          ),
        ],
        (h, a) => h.apply("max_pool2d", [a!], attrs),
      ).values;
    const plus = pool(1);
    const minus = pool(-1);
    dy.forEach((d, k) => {
      expect(d).toBeCloseTo((plus[k]! - minus[k]!) / (2 * eps), 6);
    });
    // every window's tangent comes from one input element: the routing S8 describes
    expect(dy.every((d) => t.includes(d))).toBe(true);
  });
});

describe("gather_spatial and scatter_add_spatial", () => {
  it("gathers by flat spatial index per plane, reading 0 out of range", () => {
    expect(
      run([f32([1, 1, 2, 2], [1, 2, 3, 4]), i32([1, 1, 2, 2], [3, 0, -1, 4])], (g, x, i) =>
        g.gatherSpatial(x!, i!),
      ),
    ).toEqual({ shape: [1, 1, 2, 2], values: [4, 1, 0, 0] });
    // planes [5 6] and [7 8]: index 1 of the first, index 0 of the second
    expect(
      run([f32([1, 2, 1, 2], [5, 6, 7, 8]), i32([1, 2, 1, 1], [1, 0])], (g, x, i) =>
        g.gatherSpatial(x!, i!),
      ).values,
    ).toEqual([6, 7]);
  });

  it("scatters by adding at flat spatial indices, dropping those out of range", () => {
    const values = f32([1, 1, 1, 5], [1, 2, 3, 4, 5]);
    const indices = i32([1, 1, 1, 5], [0, 0, 3, 9, -1]);
    expect(
      run([values, indices], (g, v, i) => g.scatterAddSpatial(v!, i!, { inputShape: [2, 2] })),
    ).toEqual({ shape: [1, 1, 2, 2], values: [3, 0, 0, 3] });
  });

  it("are adjoint: ⟨gather(x, i), y⟩ = ⟨x, scatter_add(y, i)⟩, with repeated and stray indices", () => {
    const rng = createRng(3);
    for (const [h, w, oh, ow] of [
      [3, 4, 2, 2],
      [2, 3, 4, 5],
      [5, 5, 3, 3],
    ] as const) {
      const x = f32([2, 3, h, w], random(rng, [2, 3, h, w]));
      const indices = i32([2, 3, oh, ow], randomIndices(rng, [2, 3, oh, ow], -2, h * w + 2));
      const y = f32([2, 3, oh, ow], random(rng, [2, 3, oh, ow]));
      const gathered = run([x, indices], (g, a, i) => g.gatherSpatial(a!, i!)).values;
      const scattered = run([y, indices], (g, v, i) =>
        g.scatterAddSpatial(v!, i!, { inputShape: [h, w] }),
      ).values;
      expect(dot(gathered, y.data)).toBeCloseTo(dot(x.data, scattered), 10);
      // the transpose rules of both, and JVPs that never ask for the indices' tangent
      for (const [op, feeds, attrs] of [
        ["gather_spatial", [x, indices], {}],
        ["scatter_add_spatial", [y, indices], { inputShape: [h, w] }],
      ] as const) {
        const [lhs, rhs] = adjointSides(op, feeds, attrs, 0, rng);
        expect(lhs, op).toBeCloseTo(rhs, 10);
        expect(jvpGap(op, feeds, attrs, [0], rng), op).toBeLessThan(1e-7);
      }
    }
  });

  it("rejects float indices", () => {
    const g = new GraphBuilder("test");
    expect(() =>
      g.gatherSpatial(g.input("x", [1, 2, 3, 3]), g.input("i", [1, 2, 2, 2])),
    ).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2002: gather_spatial: indices must be int32, got float32
        input: f32[1,2,3,3]  input "x"
        indices: f32[1,2,2,2]  input "i"
        node: gather_spatial
        at src/ops/gradient.test.ts:637:9]
    `);
  });
});

describe("transpose edge cases", () => {
  it("gives an input without rows an empty cotangent (conv2d_transpose cannot make one)", () => {
    // Two rows of padding make a 2×3 conv2d output from a 0×3 input.
    const attrs = kernelAttrs([1, 1], {
      padding: [
        [1, 1],
        [0, 0],
      ],
    });
    const g = new GraphBuilder();
    const x = g.input("x", [1, 1, 0, 3]);
    const c = g.input("c", [1, 1, 2, 3]);
    const k = g.input("k", [1, 1, 1, 1]);
    const [dx] = opDef("conv2d_backward_kernel").transpose!({
      g,
      ct: k,
      attrs,
      types: [x.type, c.type],
      residuals: [undefined, c],
      linear: [true, false],
      outType: k.type,
    });
    expect(dx!.shape).toEqual([1, 1, 0, 3]);
  });

  it("refuses to transpose a separately linear op in both operands at once", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [1, 1, 2, 2]);
    const c = g.input("c", [1, 1, 1, 1]);
    const k = g.input("k", [1, 1, 2, 2]);
    expect(() =>
      opDef("conv2d_backward_kernel").transpose!({
        g,
        ct: k,
        attrs: kernelAttrs([2, 2]),
        types: [x.type, c.type],
        residuals: [undefined, undefined],
        linear: [true, true],
        outType: k.type,
      }),
    ).toThrow("nnc bug: transpose rule needs operand 1 as a residual");
  });
});

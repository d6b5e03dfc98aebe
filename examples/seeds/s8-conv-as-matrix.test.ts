/**
 * SEEDS.md S8 (seed document 003): a 1-D convolution with K = 3 and (K − 1)/2 zero padding is
 * multiplication by an N×N banded matrix W, so its transpose (the backward pass w.r.t. the
 * input) is multiplication by Wᵀ; max-pool's backward pass routes each output gradient to the
 * argmax of its window only; AlexNet's last layer (4096 → 1000, 4,097,000 parameters), randomly
 * initialised, gives near-uniform class probabilities of about 0.001.
 */

import { linearize, linearTranspose, vjp } from "@nnc/compiler";
import { evaluate, type Graph, GraphBuilder, summarize } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { maxAbsDifference, normalValues, seededRng, uniformValues } from "./numeric.js";

/** y = x ⋆ w for x of length n (as [1, 1, 1, n]) and a kernel of length k, padded (k − 1)/2. */
function buildConv1d(n: number, k: number): Graph {
  const g = new GraphBuilder("s8-conv1d");
  const x = g.input("x", [1, 1, 1, n]);
  const w = g.param("w", [1, 1, 1, k], { init: "glorot_uniform", seed: 1 });
  const pad = (k - 1) / 2;
  g.output(
    "y",
    g.conv2d(x, w, {
      padding: [
        [0, 0],
        [pad, pad],
      ],
    }),
  );
  return g.build();
}

/**
 * The document's banded matrix: x̂ᵢ = Σⱼ wⱼ·x_{i+j−c} with c = (k − 1)/2 (0-based), so
 * W[i][i + j − c] = w[j]; for k = 3 the rows are (0, w₂, w₃, 0, …), (w₁, w₂, w₃, 0, …), …
 */
function bandedMatrix(n: number, w: ArrayLike<number>): number[][] {
  const c = (w.length - 1) / 2;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, col) => {
      const j = col - i + c;
      return j >= 0 && j < w.length ? w[j]! : 0;
    }),
  );
}

function matVec(m: number[][], v: ArrayLike<number>): number[] {
  return m.map((row) => row.reduce((s, a, j) => s + a * v[j]!, 0));
}

function transposed(m: number[][]): number[][] {
  return m[0]!.map((_, j) => m.map((row) => row[j]!));
}

function unitVector(n: number, i: number): Float64Array {
  const e = new Float64Array(n);
  e[i] = 1;
  return e;
}

describe("SEEDS.md S8: convolution as a banded matrix", () => {
  it.each([
    [3, 7],
    [5, 9],
  ])("K = %i, N = %i: conv(x) = W·x, for random x and column by column", (k, n) => {
    const rng = seededRng(k);
    const w = uniformValues(rng, k);
    const x = uniformValues(rng, n);
    const graph = buildConv1d(n, k);
    const matrix = bandedMatrix(n, w);
    expect(maxAbsDifference(evaluate(graph, { x, w }).y!, matVec(matrix, x))).toBeLessThan(1e-15);
    // conv(eⱼ) is column j of W: the whole matrix, band and zeros alike.
    const columns = Array.from({ length: n }, (_, j) =>
      Array.from(evaluate(graph, { x: unitVector(n, j), w }).y!),
    );
    expect(transposed(columns)).toEqual(matrix);
  });

  it.each([
    [3, 7],
    [5, 9],
  ])("K = %i, N = %i: the transpose from vjp is Wᵀ", (k, n) => {
    const rng = seededRng(10 + k);
    const w = uniformValues(rng, k);
    const x = uniformValues(rng, n);
    const backward = vjp(buildConv1d(n, k), { of: "y", wrt: ["x"] });
    const matrixT = transposed(bandedMatrix(n, w));
    const c = uniformValues(rng, n);
    const dx = evaluate(backward, { x, w, "cotangent/y": c })["grad/x"]!;
    expect(maxAbsDifference(dx, matVec(matrixT, c))).toBeLessThan(1e-15);
    // Column by column: the cotangent eᵢ picks column i of Wᵀ, band and zeros alike.
    const columns = Array.from({ length: n }, (_, i) =>
      Array.from(evaluate(backward, { x, w, "cotangent/y": unitVector(n, i) })["grad/x"]!),
    );
    expect(transposed(columns)).toEqual(matrixT);
  });

  it("K = 3: the transpose of the linearised conv (linearTranspose ∘ linearize) is Wᵀ", () => {
    const n = 8;
    const rng = seededRng(20);
    const w = uniformValues(rng, 3);
    const { linear, residuals } = linearize(buildConv1d(n, 3), { of: "y", wrt: ["x"] });
    // The map x ↦ conv(x, w) is linear in x; its only residual is the kernel.
    expect(residuals).toEqual(["w"]);
    const transpose = linearTranspose(linear);
    const c = uniformValues(rng, n);
    const result = evaluate(transpose, { "residual/w": w, "cotangent/tangent/y": c });
    const matrix = bandedMatrix(n, w);
    expect(
      maxAbsDifference(result["cotangent/tangent/x"]!, matVec(transposed(matrix), c)),
    ).toBeLessThan(1e-15);
    // The linear graph itself is W: t ↦ W·t.
    const t = uniformValues(rng, n);
    const forward = evaluate(linear, { "residual/w": w, "tangent/x": t });
    expect(maxAbsDifference(forward["tangent/y"]!, matVec(matrix, t))).toBeLessThan(1e-15);
  });
});

/**
 * Max pooling by hand on one [h, w] plane: each output takes its window's maximum, and the
 * backward pass adds the output's cotangent at that maximum's position only (the first one when
 * several are equal).
 */
function maxPoolByHand(
  plane: ArrayLike<number>,
  [h, w]: readonly [number, number],
  [kh, kw]: readonly [number, number],
  [sh, sw]: readonly [number, number],
  cotangent: ArrayLike<number>,
): { out: number[]; dx: number[] } {
  const [oh, ow] = [Math.floor((h - kh) / sh) + 1, Math.floor((w - kw) / sw) + 1];
  const out: number[] = [];
  const dx: number[] = new Array<number>(h * w).fill(0);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      let best = -1;
      for (let u = 0; u < kh; u++) {
        for (let v = 0; v < kw; v++) {
          const index = (i * sh + u) * w + (j * sw + v);
          if (best < 0 || plane[index]! > plane[best]!) best = index;
        }
      }
      out.push(plane[best]!);
      dx[best]! += cotangent[i * ow + j]!;
    }
  }
  return { out, dx };
}

function buildMaxPool(
  shape: readonly [number, number, number, number],
  kernel: readonly [number, number],
  stride: readonly [number, number],
): Graph {
  const g = new GraphBuilder("s8-max-pool");
  g.output("y", g.maxPool2d(g.input("x", shape), { kernel, stride }));
  return g.build();
}

describe("SEEDS.md S8: max-pool backward routes to the argmax only", () => {
  it.each([
    // The document's case: size 2, stride 1, in 1-D (one row).
    { shape: [1, 1, 1, 10], kernel: [1, 2], stride: [1, 1] },
    // General sizes and strides, overlapping and not, on several planes.
    { shape: [2, 3, 9, 9], kernel: [3, 3], stride: [2, 2] },
    { shape: [2, 2, 7, 8], kernel: [3, 2], stride: [2, 3] },
    { shape: [1, 2, 6, 6], kernel: [2, 2], stride: [2, 2] },
  ] as const)("kernel $kernel, stride $stride on $shape", ({ shape, kernel, stride }) => {
    const [n, c, h, w] = shape;
    const [oh, ow] = [
      Math.floor((h - kernel[0]) / stride[0]) + 1,
      Math.floor((w - kernel[1]) / stride[1]) + 1,
    ];
    const rng = seededRng(h * 100 + w);
    // Continuous random values: no ties, so every window has a single argmax.
    const x = uniformValues(rng, n * c * h * w, -3, 3);
    const ct = uniformValues(rng, n * c * oh * ow);
    const result = evaluate(vjp(buildMaxPool(shape, kernel, stride), { of: "y", wrt: ["x"] }), {
      x,
      "cotangent/y": ct,
    });
    const expectedOut: number[] = [];
    const expectedDx: number[] = [];
    for (let p = 0; p < n * c; p++) {
      const { out, dx } = maxPoolByHand(
        x.subarray(p * h * w, (p + 1) * h * w),
        [h, w],
        kernel,
        stride,
        ct.subarray(p * oh * ow, (p + 1) * oh * ow),
      );
      expectedOut.push(...out);
      expectedDx.push(...dx);
    }
    expect(Array.from(result.y!)).toEqual(expectedOut);
    expect(maxAbsDifference(result["grad/x"]!, expectedDx)).toBeLessThan(1e-15);
    // Every input that is no window's maximum gets exactly 0.
    const zeros = expectedDx.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(0);
    expect(Array.from(result["grad/x"]!).filter((v) => v === 0).length).toBe(zeros);
  });

  it("size 2, stride 1 by hand: x = (1, 4, 2, 5, 3)", () => {
    // Windows (1,4) (4,2) (2,5) (5,3): maxima at x₂, x₂, x₄, x₄, so x₂ collects c₁ + c₂ and x₄
    // collects c₃ + c₄; x₁, x₃, x₅ get nothing.
    const result = evaluate(
      vjp(buildMaxPool([1, 1, 1, 5], [1, 2], [1, 1]), { of: "y", wrt: ["x"] }),
      {
        x: [1, 4, 2, 5, 3],
        "cotangent/y": [1, 10, 100, 1000],
      },
    );
    expect(Array.from(result.y!)).toEqual([4, 4, 5, 5]);
    expect(Array.from(result["grad/x"]!)).toEqual([0, 11, 0, 1100, 0]);
  });

  it("sends a tied window's gradient to one element only (the first)", () => {
    const result = evaluate(
      vjp(buildMaxPool([1, 1, 1, 4], [1, 2], [1, 1]), { of: "y", wrt: ["x"] }),
      {
        x: [1, 3, 3, 2],
        "cotangent/y": [1, 10, 100],
      },
    );
    // Windows (1,3) (3,3) (3,2): the tie in the middle goes to its first 3, never split.
    expect(Array.from(result["grad/x"]!)).toEqual([0, 11, 100, 0]);
  });
});

describe("SEEDS.md S8: AlexNet's last layer", () => {
  /** AlexNet's classifier head fc8 (4096 → 1000, default Glorot-uniform weights) and softmax. */
  function buildHead(batch: number): Graph {
    const g = new GraphBuilder("alexnet-head");
    const features = g.input("features", [batch, 4096]);
    g.output("probs", g.softmax(g.layers.dense(features, 1000, { name: "fc8" })));
    return g.build();
  }

  it("has 4096·1000 + 1000 = 4,097,000 parameters", () => {
    const [fc8] = summarize(buildHead(1)).rows;
    expect(fc8).toMatchObject({ name: "fc8", outputShape: [1, 1000], params: 4_097_000 });
  });

  it("gives near-uniform class probabilities (≈ 0.001 each) when randomly initialised", () => {
    // fc7 features of a randomly initialised AlexNet are ReLU outputs whose second moment has
    // shrunk layer by layer: with Glorot weights, Var(W) = 2/(fanIn + fanOut), each conv/dense +
    // ReLU scales E[f²] by fanIn/(fanIn + fanOut), a product of about 4e-4 over AlexNet's seven
    // layers (0.045 · 0.25 · 0.33 · 0.6 · 0.5 · 0.69 · 0.5), so for a unit-scale image E[f²] is
    // of order 1e-3. Model them as relu(N(0, 0.05²)): E[f²] = 0.05²/2 = 1.25e-3.
    const rng = seededRng(8);
    const features = Float64Array.from(normalValues(rng, 4096), (v) => Math.max(0, 0.05 * v));
    const probs = Array.from(evaluate(buildHead(1), { features }).probs!);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // Tolerance: each logit zⱼ = f·W[:, j] is a sum of 4096 independent terms, ≈ N(0, σ²) with
    // σ² = ‖f‖²·2/(4096 + 1000). log(1000·pⱼ) = zⱼ − log(mean e^z) lies within
    // [min z − max z, max z − min z], and all 1000 logits lie within ±5σ (a 5σ excursion has
    // probability 6e-7 per logit), so |log(1000·pⱼ)| < 10σ.
    const norm2 = features.reduce((s, v) => s + v * v, 0);
    const sigma = Math.sqrt((norm2 * 2) / (4096 + 1000));
    expect(sigma).toBeLessThan(0.06); // ‖f‖² ≈ 4096 · 1.25e-3 ≈ 5.1, σ ≈ 0.045
    const logRatios = Array.from(probs, (p) => Math.log(1000 * p));
    expect(Math.max(...logRatios.map(Math.abs))).toBeLessThan(10 * sigma);
    // Within 10σ ≈ 0.45 in log space: every probability lies in [0.00064, 0.00157].
    expect(Math.max(...probs)).toBeLessThan(0.0016);
    expect(Math.min(...probs)).toBeGreaterThan(0.00063);
  });
});

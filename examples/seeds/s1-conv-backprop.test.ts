/**
 * SEEDS.md S1 (seed documents 000 and 001): backpropagation through a convolution. A 3×3 input
 * X, a 2×2 filter F, stride 1, no padding, give a 2×2 output O (cross-correlation). For any
 * upstream gradient G = ∂L/∂O:
 *   ∂L/∂F = valid correlation of X with G,
 *   ∂L/∂X = full correlation of G with F rotated by 180°.
 */

import { vjp } from "@nnc/compiler";
import { evaluate, type Graph, GraphBuilder } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { maxAbsDifference, seededRng, uniformValues } from "./numeric.js";

/** O = X ⋆ F for one image and one filter, exposing X and F so both get gradients. */
function buildConv(): Graph {
  const g = new GraphBuilder("s1-conv");
  const x = g.input("X", [1, 1, 3, 3]);
  const f = g.input("F", [1, 1, 2, 2]);
  g.output("O", g.conv2d(x, f, { stride: 1, padding: "valid" }));
  return g.build();
}

type Matrix = number[][];

function toMatrix(values: ArrayLike<number>, rows: number, cols: number): Matrix {
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => values[i * cols + j]!),
  );
}

/** Valid cross-correlation: out[i][j] = Σ_{u,v} a[i+u][j+v]·k[u][v]. */
function validCorrelation(a: Matrix, k: Matrix): Matrix {
  const rows = a.length - k.length + 1;
  const cols = a[0]!.length - k[0]!.length + 1;
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => {
      let sum = 0;
      for (let u = 0; u < k.length; u++) {
        for (let v = 0; v < k[0]!.length; v++) sum += a[i + u]![j + v]! * k[u]![v]!;
      }
      return sum;
    }),
  );
}

/** Full cross-correlation: `a` zero-padded by (kernel − 1) on every side, then valid. */
function fullCorrelation(a: Matrix, k: Matrix): Matrix {
  const ph = k.length - 1;
  const pw = k[0]!.length - 1;
  const padded = Array.from({ length: a.length + 2 * ph }, (_, i) =>
    Array.from({ length: a[0]!.length + 2 * pw }, (_, j) => a[i - ph]?.[j - pw] ?? 0),
  );
  return validCorrelation(padded, k);
}

/** The kernel rotated by 180°: rot[u][v] = k[kh−1−u][kw−1−v]. */
function rotate180(k: Matrix): Matrix {
  return k.map((_, u) => k[0]!.map((_, v) => k[k.length - 1 - u]![k[0]!.length - 1 - v]!));
}

function randomCase(seed: number) {
  const rng = seededRng(seed);
  const x = uniformValues(rng, 9);
  const f = uniformValues(rng, 4);
  const gUp = uniformValues(rng, 4);
  const result = evaluate(vjp(buildConv(), { of: "O", wrt: ["X", "F"] }), {
    X: x,
    F: f,
    "cotangent/O": gUp,
  });
  return {
    X: toMatrix(x, 3, 3),
    F: toMatrix(f, 2, 2),
    G: toMatrix(gUp, 2, 2),
    O: result.O!,
    dX: result["grad/X"]!,
    dF: result["grad/F"]!,
  };
}

describe("SEEDS.md S1: convolution backprop", () => {
  it.each([1, 2, 3])("forward pass is the valid cross-correlation (seed %i)", (seed) => {
    const { X, F, O } = randomCase(seed);
    // O11 = X11F11 + X12F12 + X21F21 + X22F22, and so on for every output.
    expect(maxAbsDifference(O, validCorrelation(X, F).flat())).toBeLessThan(1e-14);
  });

  it.each([1, 2, 3])("∂L/∂F is the valid correlation of X with G (seed %i)", (seed) => {
    const { X, G, dF } = randomCase(seed);
    expect(dF).toHaveLength(4);
    expect(maxAbsDifference(dF, validCorrelation(X, G).flat())).toBeLessThan(1e-14);
  });

  it.each([1, 2, 3])("∂L/∂X is the full correlation of G with F rotated 180° (seed %i)", (seed) => {
    const { F, G, dX } = randomCase(seed);
    expect(dX).toHaveLength(9);
    expect(maxAbsDifference(dX, fullCorrelation(G, rotate180(F)).flat())).toBeLessThan(1e-14);
  });

  it("matches the document's four expanded ∂L/∂F sums", () => {
    const { X, G, dF } = randomCase(4);
    // 1-based names as in the document: Xij = X[i-1][j-1].
    const x = (i: number, j: number) => X[i - 1]![j - 1]!;
    const o = (i: number, j: number) => G[i - 1]![j - 1]!;
    const expected = [
      o(1, 1) * x(1, 1) + o(1, 2) * x(1, 2) + o(2, 1) * x(2, 1) + o(2, 2) * x(2, 2), // F11
      o(1, 1) * x(1, 2) + o(1, 2) * x(1, 3) + o(2, 1) * x(2, 2) + o(2, 2) * x(2, 3), // F12
      o(1, 1) * x(2, 1) + o(1, 2) * x(2, 2) + o(2, 1) * x(3, 1) + o(2, 2) * x(3, 2), // F21
      o(1, 1) * x(2, 2) + o(1, 2) * x(2, 3) + o(2, 1) * x(3, 2) + o(2, 2) * x(3, 3), // F22
    ];
    expect(maxAbsDifference(dF, expected)).toBeLessThan(1e-14);
  });

  it("matches the document's nine expanded ∂L/∂X sums", () => {
    const { F, G, dX } = randomCase(5);
    const f = (i: number, j: number) => F[i - 1]![j - 1]!;
    const o = (i: number, j: number) => G[i - 1]![j - 1]!;
    // The document repeats its ∂L/∂X32 line where X33 belongs; the last entry is the corrected
    // ∂L/∂X33 = ∂L/∂O22·F22 (X33 is only read by O22, through F22).
    const expected = [
      o(1, 1) * f(1, 1), // X11
      o(1, 1) * f(1, 2) + o(1, 2) * f(1, 1), // X12
      o(1, 2) * f(1, 2), // X13
      o(1, 1) * f(2, 1) + o(2, 1) * f(1, 1), // X21
      o(1, 1) * f(2, 2) + o(1, 2) * f(2, 1) + o(2, 1) * f(1, 2) + o(2, 2) * f(1, 1), // X22
      o(1, 2) * f(2, 2) + o(2, 2) * f(1, 2), // X23
      o(2, 1) * f(2, 1), // X31
      o(2, 1) * f(2, 2) + o(2, 2) * f(2, 1), // X32
      o(2, 2) * f(2, 2), // X33
    ];
    expect(maxAbsDifference(dX, expected)).toBeLessThan(1e-14);
  });

  it("holds per channel pair with several images, input channels and filters", () => {
    // For O[n,o] = Σ_c X[n,c] ⋆ F[o,c]: ∂L/∂F[o,c] = Σ_n X[n,c] ⋆ G[n,o] (valid) and
    // ∂L/∂X[n,c] = Σ_o full(G[n,o], rot180(F[o,c])).
    const [n, c, o, h, w, k] = [2, 3, 4, 5, 6, 3];
    const g = new GraphBuilder("s1-multi");
    const xv = g.input("X", [n, c, h, w]);
    const fv = g.input("F", [o, c, k, k]);
    g.output("O", g.conv2d(xv, fv));
    const rng = seededRng(6);
    const x = uniformValues(rng, n * c * h * w);
    const f = uniformValues(rng, o * c * k * k);
    const [oh, ow] = [h - k + 1, w - k + 1];
    const up = uniformValues(rng, n * o * oh * ow);
    const result = evaluate(vjp(g.build(), { of: "O", wrt: ["X", "F"] }), {
      X: x,
      F: f,
      "cotangent/O": up,
    });
    const plane = (data: Float64Array, index: number, rows: number, cols: number) =>
      toMatrix(data.subarray(index * rows * cols), rows, cols);
    const add = (a: Matrix, b: Matrix) => a.map((row, i) => row.map((v, j) => v + b[i]![j]!));
    const expectedF: number[] = [];
    for (let oi = 0; oi < o; oi++) {
      for (let ci = 0; ci < c; ci++) {
        let sum = toMatrix(new Float64Array(k * k), k, k);
        for (let ni = 0; ni < n; ni++) {
          sum = add(
            sum,
            validCorrelation(plane(x, ni * c + ci, h, w), plane(up, ni * o + oi, oh, ow)),
          );
        }
        expectedF.push(...sum.flat());
      }
    }
    const expectedX: number[] = [];
    for (let ni = 0; ni < n; ni++) {
      for (let ci = 0; ci < c; ci++) {
        let sum = toMatrix(new Float64Array(h * w), h, w);
        for (let oi = 0; oi < o; oi++) {
          sum = add(
            sum,
            fullCorrelation(plane(up, ni * o + oi, oh, ow), rotate180(plane(f, oi * c + ci, k, k))),
          );
        }
        expectedX.push(...sum.flat());
      }
    }
    expect(maxAbsDifference(result["grad/F"]!, expectedF)).toBeLessThan(1e-12);
    expect(maxAbsDifference(result["grad/X"]!, expectedX)).toBeLessThan(1e-12);
  });
});

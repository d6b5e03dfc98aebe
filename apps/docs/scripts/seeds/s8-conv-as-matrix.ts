/**
 * SEEDS.md S8: a 1-D convolution with K = 3 and one zero of padding is multiplication by an N×N
 * banded matrix W, and its transpose rule is multiplication by Wᵀ; max-pool's backward pass
 * routes each output gradient to its window's argmax only; AlexNet's shapes and parameter counts,
 * and the near-uniform class probabilities of a randomly initialised AlexNet.
 */
import { cpu } from "@nnc/backend-cpu";
import { compile, linearize, linearTranspose, vjp } from "@nnc/compiler";
import { type Graph, GraphBuilder, printGraph, summarize } from "@nnc/core";
import { buildAlexNet } from "../../../../examples/alexnet/model.js";
import { seededRng, uniformValues } from "../../../../examples/seeds/numeric.js";
import { checkBelow, checkClose, checkEqual } from "./check.js";
import { runOnCpu } from "./run.js";
import { summaryFigure } from "./summary.js";

// #region conv1d
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
// #endregion conv1d

/** The document's banded matrix: W[i][i + j − c] = w[j] with c = (k − 1)/2 (0-based). */
function bandedMatrix(n: number, w: readonly number[]): number[][] {
  const c = (w.length - 1) / 2;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, col) => {
      const j = col - i + c;
      return j >= 0 && j < w.length ? w[j]! : 0;
    }),
  );
}

function transposed(m: readonly (readonly number[])[]): number[][] {
  return m[0]!.map((_, j) => m.map((row) => row[j]!));
}

function unitVector(n: number, i: number): number[] {
  return Array.from({ length: n }, (_, j) => (j === i ? 1 : 0));
}

/** Max pooling by hand on one [h, w] plane: outputs and the gradient routed to each argmax. */
function maxPoolByHand(
  plane: readonly number[],
  [h, w]: readonly [number, number],
  k: number,
  s: number,
  cotangent: readonly number[],
) {
  const [oh, ow] = [Math.floor((h - k) / s) + 1, Math.floor((w - k) / s) + 1];
  const out: number[] = [];
  const dx = new Array<number>(h * w).fill(0);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      let best = -1;
      for (let u = 0; u < k; u++) {
        for (let v = 0; v < k; v++) {
          const index = (i * s + u) * w + (j * s + v);
          if (best < 0 || plane[index]! > plane[best]!) best = index;
        }
      }
      out.push(plane[best]!);
      dx[best]! += cotangent[i * ow + j]!;
    }
  }
  return { out, dx };
}

/** The reverse-mode graph of max pooling with window `kernel` and `stride` ([height, width]). */
function maxPoolBackward(
  shape: readonly [number, number, number, number],
  kernel: readonly [number, number],
  stride: readonly [number, number],
) {
  const g = new GraphBuilder("s8-max-pool");
  g.output("y", g.maxPool2d(g.input("x", shape), { kernel, stride }));
  return vjp(g.build(), { of: "y", wrt: ["x"] });
}

/** The figures of the S8 page (and the banded-matrix view of the autodiff page). */
export async function seedS8() {
  // #region banded
  const [n, k] = [8, 3];
  const w = [2, 3, 5]; // w₁, w₂, w₃: distinct, so every entry of W names its weight
  const forward = await compile(buildConv1d(n, k), { backend: cpu() });
  forward.setParams({ w });
  // conv(eⱼ) is column j of W.
  const columns = Array.from({ length: n }, (_, j) =>
    Array.from(forward.run({ x: unitVector(n, j) }).y!),
  );
  const backward = await compile(vjp(buildConv1d(n, k), { of: "y", wrt: ["x"] }), {
    backend: cpu(),
  });
  backward.setParams({ w });
  // The transpose applied to the cotangent eᵢ is column i of Wᵀ.
  const transposeColumns = Array.from({ length: n }, (_, i) =>
    Array.from(
      backward.run({ x: new Array(n).fill(0), "cotangent/y": unitVector(n, i) })["grad/x"]!,
    ),
  );
  // #endregion banded
  const matrix = transposed(columns);
  const matrixT = transposed(transposeColumns);
  checkEqual("S8 conv as a matrix: W", matrix, bandedMatrix(n, w));
  checkEqual("S8 transpose rule as a matrix: Wᵀ", matrixT, transposed(bandedMatrix(n, w)));
  const { linear, residuals } = linearize(buildConv1d(n, k), { of: "y", wrt: ["x"] });
  checkEqual("S8 residuals of the linearised conv", residuals, ["w"]);

  // Max pooling, size 2 and stride 1 in 1-D: the document's case by hand.
  const pool1d = maxPoolBackward([1, 1, 1, 5], [1, 2], [1, 1]);
  const poolFeeds = { x: [1, 4, 2, 5, 3], "cotangent/y": [1, 10, 100, 1000] };
  const pool = await runOnCpu(pool1d, poolFeeds);
  checkEqual("S8 max-pool 2/1 forward", pool.y, [4, 4, 5, 5]);
  checkEqual("S8 max-pool 2/1 backward", pool["grad/x"], [0, 11, 0, 1100, 0]);
  // A tie goes to the first maximum, never split.
  const tieFeeds = { x: [1, 3, 3, 2], "cotangent/y": [1, 10, 100] };
  const tie = await runOnCpu(maxPoolBackward([1, 1, 1, 4], [1, 2], [1, 1]), tieFeeds);
  checkEqual("S8 max-pool tie", tie["grad/x"], [0, 11, 100, 0]);
  // The general case: size 3, stride 2 on a 7×7 plane.
  const rng = seededRng(8);
  const plane = Array.from(uniformValues(rng, 49, -3, 3), (v) => Math.round(v * 10) / 10);
  const planeCotangent = [1, 2, 3, 4, 5, 6, 7, 8, 9];
  const general = await runOnCpu(maxPoolBackward([1, 1, 7, 7], [3, 3], [2, 2]), {
    x: plane,
    "cotangent/y": planeCotangent,
  });
  const byHand = maxPoolByHand(plane, [7, 7], 3, 2, planeCotangent);
  checkClose("S8 max-pool 3/2 forward", general.y!, byHand.out, 1e-6);
  checkEqual("S8 max-pool 3/2 backward", general["grad/x"], byHand.dx);

  // AlexNet: its summary, and one image through a randomly initialised network on the CPU.
  const alexnet = summaryFigure(summarize(buildAlexNet()));
  const fc8 = alexnet.rows.find((r) => r.name === "fc8");
  checkEqual("S8 AlexNet fc8 parameters (4096 · 1000 + 1000)", fc8?.params, 4_097_000);
  checkEqual("S8 AlexNet fc8 output", fc8?.output, "1000");
  checkEqual(
    "S8 AlexNet per-layer shapes and parameters",
    alexnet.rows.map((r) => [r.name, r.output, r.params]),
    [
      ["conv1", "55×55×64", 23_296],
      ["pool1", "27×27×64", 0],
      ["conv2", "27×27×192", 307_392],
      ["pool2", "13×13×192", 0],
      ["conv3", "13×13×384", 663_936],
      ["conv4", "13×13×256", 884_992],
      ["conv5", "13×13×256", 590_080],
      ["pool5", "6×6×256", 0],
      ["fc6", "4096", 37_752_832],
      ["fc7", "4096", 16_781_312],
      ["fc8", "1000", 4_097_000],
    ],
  );
  checkEqual("S8 AlexNet parameters", alexnet.trainableParams, 61_100_840);
  const started = performance.now();
  const exe = await compile(buildAlexNet(), { backend: cpu() });
  const image = uniformValues(seededRng(224), 3 * 224 * 224, 0, 1);
  const logits = Array.from(exe.run({ image }).logits!);
  const seconds = (performance.now() - started) / 1000;
  // softmax in float64, from the largest logit down.
  const top = Math.max(...logits);
  const e = logits.map((z) => Math.exp(z - top));
  const total = e.reduce((a, b) => a + b, 0);
  const probs = e.map((v) => v / total);
  const [minP, maxP] = [Math.min(...probs), Math.max(...probs)];
  // Near-uniform: every class within a factor 1.6 of 1/1000 (the head-only bound of the test).
  checkBelow("S8 AlexNet largest class probability", maxP, 0.0016);
  checkBelow("S8 AlexNet smallest class probability (from below)", 0.00063, minP);

  return {
    banded: {
      n,
      k,
      w,
      matrix,
      matrixT,
      residuals,
      linearGraph: printGraph(linear),
      transposedGraph: printGraph(linearTranspose(linear)),
    },
    pool: {
      oneD: { ...poolFeeds, y: pool.y!, dx: pool["grad/x"]! },
      tie: { ...tieFeeds, dx: tie["grad/x"]! },
      general: {
        plane,
        cotangent: planeCotangent,
        y: general.y!,
        dx: general["grad/x"]!,
      },
    },
    alexnet: {
      summary: alexnet,
      logits: { min: Math.min(...logits), max: Math.max(...logits) },
      probabilities: { min: minP, max: maxP, sum: probs.reduce((a, b) => a + b, 0) },
      top5: probs
        .map((p, index) => ({ index, p }))
        .sort((a, b) => b.p - a.p)
        .slice(0, 5),
      seconds,
      arenaBytes: exe.report.memory.arenaBytes,
    },
  };
}

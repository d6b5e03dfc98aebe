/**
 * SEEDS.md S10: with all-zero or all-equal weights every hidden unit gets the same gradient and
 * stays a copy of the others; seeded Glorot/Xavier (uniform, normal), He and random-normal
 * initialisers break the symmetry, reproducibly; Leaky ReLU keeps a gradient α below 0.
 */
import { cpu } from "@nnc/backend-cpu";
import { compile, grad, sgd } from "@nnc/compiler";
import { GraphBuilder, type InitOption, initialParams } from "@nnc/core";
import { seededRng, uniformValues } from "../../../../examples/seeds/numeric.js";
import { buildTwoLayerNetwork } from "../../../../examples/seeds/s10-two-layer.js";
import { checkAbove, checkBelow, checkClose, checkEqual, checkThat } from "./check.js";
import { runOnCpu, runReference } from "./run.js";

const [INPUTS, HIDDEN, BATCH, STEPS] = [3, 4, 8, 20];

/** The columns of a row-major [rows, cols] matrix: column j is hidden unit j's weights. */
function columns(values: ArrayLike<number>, cols: number): number[][] {
  const rows = values.length / cols;
  return Array.from({ length: cols }, (_, j) =>
    Array.from({ length: rows }, (_, i) => values[i * cols + j]!),
  );
}

/** The smallest max-norm distance between two different units' columns (0: two are copies). */
function closestPairOfUnits(values: ArrayLike<number>, cols: number): number {
  const cs = columns(values, cols);
  let closest = Number.POSITIVE_INFINITY;
  for (let a = 0; a < cs.length; a++) {
    for (let b = a + 1; b < cs.length; b++) {
      closest = Math.min(closest, Math.max(...cs[a]!.map((v, i) => Math.abs(v - cs[b]![i]!))));
    }
  }
  return closest;
}

/** The initial value of a [fanIn, fanOut] weight declared with `init` and `seed`. */
function initialWeight(init: InitOption, seed: number, shape: [number, number]): Float64Array {
  const g = new GraphBuilder("init");
  g.output("w", g.param("w", shape, { init, seed }));
  return initialParams(g.build()).w!;
}

/** The figures of the S10 page. */
export async function seedS10() {
  const rng = seededRng(1);
  const data = { x: uniformValues(rng, BATCH * INPUTS, -2, 2), y: uniformValues(rng, BATCH) };
  const inits: [string, InitOption, boolean][] = [
    ["all zero", "zeros", true],
    ["all equal (0.5)", { kind: "constant", value: 0.5 }, true],
    ["Glorot/Xavier uniform", "glorot_uniform", false],
    ["Glorot/Xavier normal", "glorot_normal", false],
    ["He uniform", "he_uniform", false],
    ["He normal", "he_normal", false],
    ["random normal (σ = 0.05)", "normal", false],
  ];
  const runs = [];
  for (const [label, init, symmetric] of inits) {
    // #region train
    const graph = buildTwoLayerNetwork({
      inputs: INPUTS,
      hidden: HIDDEN,
      batch: BATCH,
      hiddenInit: init,
      outputInit: init,
      seed: 3,
    });
    const firstGradient = runReference(grad(graph, { of: "loss" }), data)["grad/hidden.weight"]!;
    const exe = await compile(graph, {
      backend: cpu(),
      mode: "train",
      loss: "loss",
      optimizer: sgd({ lr: 0.5 }),
    });
    const losses = Array.from({ length: STEPS }, () => exe.step(data));
    const trained = exe.getParams()["hidden.weight"]!;
    // #endregion train
    const gradientSpread = closestPairOfUnits(firstGradient, HIDDEN);
    const weightSpread = closestPairOfUnits(trained, HIDDEN);
    const moved = Math.max(
      ...trained.map((v, i) => Math.abs(v - initialParams(graph)["hidden.weight"]![i]!)),
    );
    if (symmetric) {
      // Identical units: the same gradient, and still copies after training.
      checkEqual(`S10 ${label}: closest pair of unit gradients`, gradientSpread, 0);
      // Copies to float32 rounding: a backend may round one column's arithmetic differently.
      checkBelow(`S10 ${label}: closest pair of units after ${STEPS} steps`, weightSpread, 1e-6);
      checkAbove(`S10 ${label}: the weights moved`, moved, 0.01);
    } else {
      checkAbove(`S10 ${label}: closest pair of unit gradients`, gradientSpread, 1e-4);
      checkAbove(`S10 ${label}: closest pair of units after ${STEPS} steps`, weightSpread, 1e-3);
    }
    checkBelow(`S10 ${label}: the loss falls`, losses.at(-1)!, losses[0]!);
    runs.push({
      label,
      symmetric,
      gradientSpread,
      weightSpread,
      moved,
      firstLoss: losses[0]!,
      lastLoss: losses.at(-1)!,
      hiddenWeight: columns(trained, HIDDEN),
    });
  }

  // Seeded and reproducible; the sample variance of a [400, 300] weight against the theory.
  const variances = [];
  for (const [kind, theory] of [
    ["glorot_uniform", 2 / 700],
    ["glorot_normal", 2 / 700],
    ["he_uniform", 2 / 400],
    ["he_normal", 2 / 400],
    ["normal", 0.05 ** 2],
  ] as const) {
    const small: [number, number] = [20, 10];
    const same = initialWeight(kind, 7, small).every(
      (v, i) => v === initialWeight(kind, 7, small)[i],
    );
    const other = initialWeight(kind, 8, small).some(
      (v, i) => v !== initialWeight(kind, 7, small)[i],
    );
    checkThat(`S10 ${kind}: the same seed must give the same values`, same);
    checkThat(`S10 ${kind}: another seed must give other values`, other);
    const w = initialWeight(kind, 5, [400, 300]);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length;
    // 120,000 draws: the sample variance's relative standard error is about 0.4 %.
    checkBelow(`S10 ${kind}: sample variance / theory − 1`, Math.abs(variance / theory - 1), 0.03);
    variances.push({ kind, theory, variance });
  }

  // Leaky ReLU's gradient: α below 0 (default 0.01), 1 above; ReLU's is 0 below.
  const activationGradient = async (act: "relu" | "leaky", x: number[], alpha?: number) => {
    const g = new GraphBuilder(act);
    const input = g.input("x", [x.length]);
    const y =
      act === "relu"
        ? g.relu(input)
        : alpha === undefined
          ? g.leakyRelu(input)
          : g.leakyRelu(input, alpha);
    g.output("y", g.sum(y));
    return (await runOnCpu(grad(g.build(), { of: "y", wrt: ["x"] }), { x }))["grad/x"]!;
  };
  const at = [-3, -0.5, 0.5, 3];
  const leaky = {
    at,
    relu: await activationGradient("relu", at),
    leakyDefault: await activationGradient("leaky", at),
    leaky02: await activationGradient("leaky", at, 0.2),
  };
  checkClose("S10 Leaky ReLU gradient (α = 0.01)", leaky.leakyDefault, [0.01, 0.01, 1, 1], 1e-7);
  checkClose("S10 Leaky ReLU gradient (α = 0.2)", leaky.leaky02, [0.2, 0.2, 1, 1], 1e-7);
  checkEqual("S10 ReLU gradient", leaky.relu, [0, 0, 1, 1]);
  return {
    sizes: { inputs: INPUTS, hidden: HIDDEN, batch: BATCH, steps: STEPS, lr: 0.5 },
    runs,
    variances,
    leaky,
  };
}

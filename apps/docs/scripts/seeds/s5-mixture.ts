/**
 * SEEDS.md S5: a mixture of logistic regressions p(y = 1 | x) = Σₖ πₖ σ(wₖᵀx) as a network
 * (K sigmoid hidden units, output weights π), checked against the closed form and trained by
 * gradient descent on data drawn from a known mixture.
 */
import { renderTrainingCurves } from "@nnc/train";
import {
  type MixtureRunOptions,
  runMixtureFit,
} from "../../../../examples/seed-mixture/fit-mixture.js";
import { TRUE_MIXTURE } from "../../../../examples/seed-mixture/mixture.js";
import { logistic, seededRng, uniformValues } from "../../../../examples/seeds/numeric.js";
import { buildLogisticMixture } from "../../../../examples/seeds/s5-mixture.js";
import { checkAbove, checkBelow, checkClose, checkEqual } from "./check.js";
import { runOnCpu, runReference } from "./run.js";

/** p(y = 1 | x) = Σₖ πₖ σ(wₖᵀx), with wₖ the k-th column of the row-major [d, K] `w`. */
function closedForm(x: ArrayLike<number>, w: ArrayLike<number>, pi: readonly number[]): number {
  const k = pi.length;
  let p = 0;
  for (let j = 0; j < k; j++) {
    let dot = 0;
    for (let i = 0; i < x.length; i++) dot += w[i * k + j]! * x[i]!;
    p += pi[j]! * logistic(dot);
  }
  return p;
}

/**
 * The training run the page shows: the settings of examples/seed-mixture's test (100,000
 * training and 20,000 held-out examples, 8 epochs of batches of 256, Adam with a cosine schedule
 * from 0.05), about 1.5 s on the CPU backend.
 */
export const MIXTURE_RUN: MixtureRunOptions = {
  examples: 120_000,
  heldOut: 20_000,
  epochs: 8,
  batchSize: 256,
  lr: 0.05,
  seed: 1,
};

/** The figures of the S5 page. */
export async function seedS5() {
  // The network against the closed form, with random weights and mixture logits.
  const [d, k, batch] = [3, 4, 6];
  const graph = buildLogisticMixture({ features: d, components: k, batch });
  const rng = seededRng(11);
  const x = uniformValues(rng, batch * d, -3, 3);
  const params = {
    "experts.weight": uniformValues(rng, d * k, -2, 2),
    "mixture.logits": uniformValues(rng, k),
  };
  const feeds = { x, y: new Float64Array(batch) };
  const reference = runReference(graph, { ...feeds, ...params });
  const cpu = await runOnCpu(graph, feeds, params);
  const pi = reference.pi!;
  checkClose(
    "S5 Σπ = 1",
    pi.reduce((a, b) => a + b, 0),
    1,
    1e-15,
  );
  const expected = Array.from({ length: batch }, (_, n) =>
    closedForm(x.subarray(n * d, (n + 1) * d), params["experts.weight"], pi),
  );
  const closed = {
    features: d,
    components: k,
    batch,
    pi,
    rows: expected.map((p, n) => ({ closedForm: p, reference: reference.p![n]!, cpu: cpu.p![n]! })),
    referenceError: checkClose("S5 network against the closed form", reference.p!, expected, 1e-15),
    cpuError: checkClose(
      "S5 network on the CPU backend against the closed form",
      cpu.p!,
      expected,
      1e-6,
    ),
  };

  // #region fit
  const run = await runMixtureFit(MIXTURE_RUN);
  // #endregion fit
  const { before, after, result } = run;
  // Thresholds of examples/seed-mixture/mixture.test.ts, which the untrained network fails.
  checkAbove("S5 untrained prediction gap", before.recovery.predictionGap, 0.01);
  checkBelow("S5 trained prediction gap mean |p̂ − p|", after.recovery.predictionGap, 0.01);
  checkBelow("S5 worst ‖ŵₖ − wₖ‖", after.recovery.worstWeightError, 1);
  checkBelow("S5 worst |π̂ₖ − πₖ|", after.recovery.worstPiError, 0.02);
  checkBelow("S5 held-out NLL above the truth's", after.heldOutNll - run.trueHeldOutNll, 0.002);
  checkEqual(
    "S5 every fitted unit matched to one true component",
    new Set(after.recovery.components.map((c) => c.fitted)).size,
    TRUE_MIXTURE.pi.length,
  );
  const epochs = result.history.epochs;
  checkBelow("S5 held-out loss falls", epochs.at(-1)!.valLoss!, epochs[0]!.valLoss!);
  return {
    closed,
    fit: {
      options: MIXTURE_RUN,
      steps: result.steps,
      seconds: result.seconds,
      truth: TRUE_MIXTURE,
      components: after.recovery.components,
      before: {
        predictionGap: before.recovery.predictionGap,
        worstWeightError: before.recovery.worstWeightError,
        worstPiError: before.recovery.worstPiError,
        heldOutNll: before.heldOutNll,
        trainNll: before.trainNll,
      },
      after: {
        predictionGap: after.recovery.predictionGap,
        worstWeightError: after.recovery.worstWeightError,
        worstPiError: after.recovery.worstPiError,
        heldOutNll: after.heldOutNll,
        trainNll: after.trainNll,
      },
      trueHeldOutNll: run.trueHeldOutNll,
      trueTrainNll: run.trueTrainNll,
      epochs: epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, valLoss: e.valLoss })),
      curves: renderTrainingCurves(result.history, {
        title: "S5: a mixture of logistic regressions",
      }),
    },
  };
}

/**
 * SEEDS.md S4 (question 2d) on the W3 convnet of examples/w3-bn-convnet: a conv bias feeding
 * BatchNorm has no effect. In training the compiler drops it (its update is exactly zero); in
 * inference it folds BatchNorm into the conv's weight and bias. Both are measured here on the
 * CPU backend, against the same program with the pass disabled.
 */
import { cpu } from "@nnc/backend-cpu";
import { compile, type Executable, sgd } from "@nnc/compiler";
import { evaluate, type Graph, initialParams, isOpName, opDef, sizeOf, summarize } from "@nnc/core";
import { seededRng, uniformValues } from "../../../../examples/seeds/numeric.js";
import { buildW3 } from "../../../../examples/w3-bn-convnet/model.js";
import { checkAbove, checkBelow, checkEqual } from "./check.js";

const BLOCKS = [1, 2, 3, 4];

/**
 * Parameters with non-trivial values: conv biases, BatchNorm scales, shifts and running
 * statistics drawn at random (the initial γ = 1, β = 0, μ = 0, σ² = 1 would make folding look
 * easier than it is).
 */
function randomState(graph: Graph, seed: number): Record<string, Float64Array> {
  const rng = seededRng(seed);
  const params = initialParams(graph);
  for (const k of BLOCKS) {
    const c = params[`conv${k}.bias`]!.length;
    params[`conv${k}.bias`] = uniformValues(rng, c, -0.2, 0.2);
    params[`bn${k}.weight`] = uniformValues(rng, c, 0.5, 1.5);
    params[`bn${k}.bias`] = uniformValues(rng, c, -0.2, 0.2);
    if (params[`bn${k}.running_mean`]) {
      params[`bn${k}.running_mean`] = uniformValues(rng, c, -0.5, 0.5);
      params[`bn${k}.running_var`] = uniformValues(rng, c, 0.5, 2);
    }
  }
  return params;
}

/**
 * What the per-image computation of a compiled program costs: the values it reads besides the
 * activations (weights, biases, statistics, deduplicated), the elementwise operations it applies
 * to activations (Σ of their output sizes), and its kernels.
 */
function perImageCost(exe: Executable) {
  const graph = exe.program.graph;
  // The activation path: everything computed from the image.
  const fromInput = new Set<number>();
  for (const node of graph.nodes) {
    if (node.op === "input" || node.inputs.some((i) => fromInput.has(i))) fromInput.add(node.id);
  }
  const operands = new Set<number>();
  let elementwise = 0;
  for (const node of graph.nodes) {
    if (!fromInput.has(node.id) || node.op === "input") continue;
    for (const i of node.inputs) {
      const operand = graph.node(i);
      // Scalars are constants of the code, not parameters (ε, a ReLU's 0).
      if (!fromInput.has(i) && sizeOf(operand.type.shape) > 1) operands.add(i);
    }
    if (isOpName(node.op) && opDef(node.op).category === "elementwise") {
      elementwise += sizeOf(node.type.shape);
    }
  }
  return {
    parameterValues: [...operands].reduce((n, id) => n + sizeOf(graph.node(id).type.shape), 0),
    elementwiseOps: elementwise,
    kernels: exe.program.kernels.length,
    opCounts: exe.report.opCounts,
  };
}

/** The figures of the BatchNorm-folding concept page and of the S4 page's BatchNorm half. */
export async function conceptBatchNorm() {
  // Inference: fold-batch-norm on and off, and the float64 reference of the unfolded graph.
  const inference = buildW3({ batch: 1, training: false });
  const summary = summarize(inference);
  // #region fold
  const folded = await compile(inference, { backend: cpu() });
  const unfolded = await compile(inference, {
    backend: cpu(),
    passes: { disable: ["fold-batch-norm"] },
  });
  // #endregion fold
  const params = randomState(inference, 4);
  folded.setParams(params);
  unfolded.setParams(params);
  const image = uniformValues(seededRng(5), 3 * 32 * 32, 0, 1);
  const a = Array.from(folded.run({ image }).logits!);
  const b = Array.from(unfolded.run({ image }).logits!);
  const reference = Array.from(evaluate(inference, { image, ...params }).logits!);
  const largest = Math.max(...reference.map(Math.abs));
  const diff = (x: number[], y: number[]) => Math.max(...x.map((v, i) => Math.abs(v - y[i]!)));
  const foldedVsUnfolded = diff(a, b);
  const foldedVsReference = diff(a, reference);
  const unfoldedVsReference = diff(b, reference);
  // The pass's contract: outputs preserved to 1e-5 relative (float32 on top of that).
  checkBelow("BN folding: folded − unfolded logits (relative)", foldedVsUnfolded / largest, 1e-4);
  checkBelow("BN folding: folded − float64 logits (relative)", foldedVsReference / largest, 1e-4);
  const foldNotes = folded.report.passes.find((p) => p.name === "fold-batch-norm")!.notes;
  checkEqual(
    "BN folding: batch_norm nodes folded",
    foldNotes.filter((n) => n.action === "removed").length,
    BLOCKS.length,
  );
  const foldedCost = perImageCost(folded);
  const unfoldedCost = perImageCost(unfolded);
  // Folded, each block applies bias + ReLU per element; unfolded also −μ, ×γ/√(σ²+ε) and +β.
  checkBelow(
    "BN folding: elementwise operations per image (folded / unfolded)",
    foldedCost.elementwiseOps / unfoldedCost.elementwiseOps,
    0.5,
  );

  // Training: drop-bias-before-batch-norm on and off, one SGD step from the same state.
  const training = buildW3({ batch: 2, training: true });
  // #region drop
  const options = {
    backend: cpu(),
    mode: "train",
    loss: "loss",
    optimizer: sgd({ lr: 0.1 }),
  } as const;
  const dropped = await compile(training, options);
  const kept = await compile(training, {
    ...options,
    passes: { disable: ["drop-bias-before-batch-norm"] },
  });
  // #endregion drop
  const state = randomState(training, 6);
  dropped.setParams(state);
  kept.setParams(state);
  const batch = {
    image: uniformValues(seededRng(7), 2 * 3 * 32 * 32, 0, 1),
    label: [3, 7],
  };
  const lossDropped = dropped.step(batch);
  const lossKept = kept.step(batch);
  const after = [dropped.getParams(), kept.getParams()] as const;
  const biasMoves = BLOCKS.map((k) => {
    const name = `conv${k}.bias`;
    const moved = (p: Record<string, Float32Array>) =>
      Math.max(...p[name]!.map((v, i) => Math.abs(v - Math.fround(state[name]![i]!))));
    return { name, withPass: moved(after[0]), withoutPass: moved(after[1]) };
  });
  for (const move of biasMoves) {
    checkEqual(`BN training: ${move.name} update with the bias dropped`, move.withPass, 0);
    // Without the pass the bias gets a gradient that is zero up to rounding.
    checkBelow(`BN training: ${move.name} update without the pass`, move.withoutPass, 1e-5);
  }
  const weightMoved = Math.max(
    ...after[0]["conv1.weight"]!.map((v, i) =>
      Math.abs(v - Math.fround(state["conv1.weight"]![i]!)),
    ),
  );
  checkAbove("BN training: conv1.weight moves", weightMoved, 1e-6);
  const weightAgreement = Math.max(
    ...BLOCKS.map((k) =>
      Math.max(
        ...after[0][`conv${k}.weight`]!.map((v, i) =>
          Math.abs(v - after[1][`conv${k}.weight`]![i]!),
        ),
      ),
    ),
  );
  checkBelow(
    "BN training: same loss with and without the pass",
    Math.abs(lossDropped - lossKept),
    1e-4,
  );
  checkBelow("BN training: same weight updates", weightAgreement, 1e-5);
  const dropNotes = dropped.report.passes.find(
    (p) => p.name === "drop-bias-before-batch-norm",
  )!.notes;
  return {
    model: {
      trainableParams: summary.trainableParams,
      nonTrainableParams: summary.nonTrainableParams,
      convBiases: BLOCKS.reduce((n, k) => n + params[`conv${k}.bias`]!.length, 0),
      batchNormValues: BLOCKS.reduce((n, k) => n + 4 * params[`bn${k}.weight`]!.length, 0),
    },
    inference: {
      foldNotes,
      folded: foldedCost,
      unfolded: unfoldedCost,
      largestLogit: largest,
      foldedVsUnfolded,
      foldedVsReference,
      unfoldedVsReference,
      logits: { folded: a, unfolded: b, reference },
    },
    training: {
      batch: 2,
      lr: 0.1,
      dropNotes,
      lossDropped,
      lossKept,
      biasMoves,
      weightMoved,
      weightAgreement,
    },
  };
}

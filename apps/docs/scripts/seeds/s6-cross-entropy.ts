/**
 * SEEDS.md S6: cross-entropy ce(p, x) = −x log p − (1 − x) log(1 − p) equals KL(P‖Q) + H(P) for a
 * real target x; computed from logits it stays finite at ±1000; and on a saturated sigmoid
 * neuron its gradient has no σ'(z) factor, so it learns where the quadratic cost stalls.
 */
import { cpu } from "@nnc/backend-cpu";
import { compile, grad, sgd } from "@nnc/compiler";
import { type Graph, GraphBuilder } from "@nnc/core";
import { logistic } from "../../../../examples/seeds/numeric.js";
import { checkAbove, checkBelow, checkClose, checkEqual, checkThat } from "./check.js";
import { runOnCpu, runReference } from "./run.js";

/** Binary cross-entropy of `logits` against `targets` (both [n]) with the given reduction. */
function bceGraph(n: number, reduction: "none" | "sum" | "mean"): Graph {
  const g = new GraphBuilder("bce");
  const logits = g.input("logits", [n]);
  g.output("ce", g.binaryCrossEntropy(logits, g.input("targets", [n]), { reduction }));
  return g.build();
}

// #region neuron
/** One sigmoid neuron a = σ(wx + b) with the cross-entropy (from the logit) or ½(a − y)². */
function sigmoidNeuron(cost: "cross-entropy" | "quadratic", w: number, b: number): Graph {
  const g = new GraphBuilder(`neuron-${cost}`);
  const x = g.input("x", [1]);
  const y = g.input("y", [1]);
  const z = g.add(g.mul(g.param("w", [1], { init: [w] }), x), g.param("b", [1], { init: [b] }));
  const a = g.sigmoid(z);
  g.output("a", a);
  g.output(
    "cost",
    cost === "cross-entropy"
      ? g.binaryCrossEntropy(z, y)
      : g.mul(g.sum(g.square(g.sub(a, y))), 0.5),
  );
  return g.build();
}
// #endregion neuron

const allFinite = (values: readonly number[]) => values.every(Number.isFinite);

/** The figures of the S6 page. */
export async function seedS6() {
  // KL + H for real targets: (p, x) pairs, p = σ(logit).
  const pairs = [
    [0.3, 0.7],
    [0.9, 0.2],
    [0.5, 0.5],
    [0.01, 0.99],
    [0.6, 0.6],
  ] as const;
  const kl = (x: number, p: number) => x * Math.log(x / p) + (1 - x) * Math.log((1 - x) / (1 - p));
  const entropy = (x: number) => -x * Math.log(x) - (1 - x) * Math.log(1 - x);
  const feeds = {
    logits: pairs.map(([p]) => Math.log(p / (1 - p))),
    targets: pairs.map(([, x]) => x),
  };
  const ce = runReference(bceGraph(pairs.length, "none"), feeds).ce!;
  const ceCpu = (await runOnCpu(bceGraph(pairs.length, "none"), feeds)).ce!;
  const klTable = pairs.map(([p, x], i) => ({
    p,
    x,
    ce: ce[i]!,
    ceCpu: ceCpu[i]!,
    kl: kl(x, p),
    entropy: entropy(x),
  }));
  const klError = checkClose(
    "S6 ce(p, x) = KL(P‖Q) + H(P)",
    ce,
    pairs.map(([p, x]) => kl(x, p) + entropy(x)),
    1e-13,
  );
  const cpuKlError = checkClose("S6 ce on the CPU backend", ceCpu, ce, 1e-6);

  // Logits of ±1000, on the CPU backend (float32) and the float64 reference.
  const bceFeeds = { logits: [1000, -1000, 1000, -1000], targets: [1, 0, 0, 1] };
  const bce = grad(bceGraph(4, "mean"), { of: "ce", wrt: ["logits"] });
  const softmaxGraph = (() => {
    const g = new GraphBuilder("softmax-ce");
    const logits = g.input("logits", [2, 3]);
    g.output("ce", g.softmaxCrossEntropy(logits, g.input("labels", [2], "int32")));
    return grad(g.build(), { of: "ce", wrt: ["logits"] });
  })();
  const softmaxFeeds = { logits: [1000, -1000, 0, -1000, 1000, 0], labels: [0, 0] };
  const extremes = [];
  for (const [name, graph, feedsOf, loss, gradient] of [
    ["binary", bce, bceFeeds, 500, [0, 0, 0.25, -0.25]],
    ["softmax", softmaxGraph, softmaxFeeds, 1000, [0, 0, 0, -0.5, 0.5, 0]],
  ] as const) {
    for (const [backend, out] of [
      ["float64 reference", runReference(graph, feedsOf)],
      ["CPU", await runOnCpu(graph, feedsOf)],
    ] as const) {
      const values = [...out.ce!, ...out["grad/logits"]!];
      checkThat(`S6 ${name} cross-entropy at ±1000 is finite (${backend})`, allFinite(values));
      checkEqual(`S6 ${name} cross-entropy at ±1000 (${backend})`, out.ce![0], loss);
      checkClose(`S6 ${name} gradient at ±1000 (${backend})`, out["grad/logits"]!, gradient, 1e-7);
      extremes.push({
        name,
        backend,
        logits: feedsOf.logits,
        labels: "targets" in feedsOf ? feedsOf.targets : feedsOf.labels,
        loss: out.ce![0]!,
        gradient: out["grad/logits"]!,
      });
    }
  }

  // The saturated neuron: w = b = 3, x = 1, so z = 6 and a ≈ 0.9975 while the target is 0.
  const [w, b, x, y] = [3, 3, 1, 0];
  const a = logistic(w * x + b);
  const gradients = (cost: "cross-entropy" | "quadratic") => {
    const out = runReference(grad(sigmoidNeuron(cost, w, b), { of: "cost" }), { x: [x], y: [y] });
    return { w: out["grad/w"]![0]!, b: out["grad/b"]![0]! };
  };
  const ceGradient = gradients("cross-entropy");
  const quadraticGradient = gradients("quadratic");
  checkClose("S6 cross-entropy ∂C/∂b = a − y", ceGradient.b, a - y, 1e-14);
  checkClose(
    "S6 quadratic ∂C/∂b = (a − y)σ′(z)",
    quadraticGradient.b,
    (a - y) * a * (1 - a),
    1e-14,
  );

  // #region train
  const trajectory = async (cost: "cross-entropy" | "quadratic") => {
    const exe = await compile(sigmoidNeuron(cost, w, b), {
      backend: cpu(),
      mode: "train",
      loss: "cost",
      optimizer: sgd({ lr: 0.15 }),
    });
    const outputs = [];
    for (let step = 0; step <= 50; step++) {
      const { w: wNow, b: bNow } = exe.getParams();
      outputs.push(logistic(wNow![0]! * x + bNow![0]!));
      if (step < 50) exe.step({ x: [x], y: [y] });
    }
    return outputs;
  };
  // #endregion train
  const ceOutputs = await trajectory("cross-entropy");
  const quadraticOutputs = await trajectory("quadratic");
  checkBelow("S6 cross-entropy neuron output after 50 steps", ceOutputs[50]!, 0.2);
  checkAbove("S6 quadratic neuron output after 50 steps", quadraticOutputs[50]!, 0.99);
  const checkpoints = [0, 5, 10, 20, 30, 40, 50];
  return {
    klTable,
    klError,
    cpuKlError,
    extremes,
    neuron: {
      w,
      b,
      x,
      y,
      a,
      sigmaPrime: a * (1 - a),
      crossEntropy: ceGradient,
      quadratic: quadraticGradient,
      ratio: ceGradient.b / quadraticGradient.b,
      lr: 0.15,
      trajectory: checkpoints.map((step) => ({
        step,
        crossEntropy: ceOutputs[step]!,
        quadratic: quadraticOutputs[step]!,
      })),
    },
  };
}

/**
 * SEEDS.md S9: the numeric backpropagation walk-through of seed document 004 (forward values,
 * gradients, one SGD step to 1.18), the 2×2 convolution [[6, 8], [9, 8]], and the gradient
 * α·p·w^(p−1) of the α‖w‖ₚᵖ penalty.
 */
import { cpu } from "@nnc/backend-cpu";
import { compile, grad, sgd } from "@nnc/compiler";
import { type Graph, GraphBuilder } from "@nnc/core";
import { seededRng, uniformValues } from "../../../../examples/seeds/numeric.js";
import { buildS9Network } from "../../../../examples/seeds/s9-network.js";
import { checkClose, checkEqual } from "./check.js";
import { runOnCpu, runReference, toMatrix } from "./run.js";

/** α·Σᵢ |wᵢ|ᵖ for a parameter `w` with the given values. */
function penaltyGraph(values: readonly number[], alpha: number, p: number): Graph {
  const g = new GraphBuilder("lp-penalty");
  const w = g.param("w", [values.length], { init: [...values] });
  g.output("penalty", g.mul(g.sum(g.pow(g.abs(w), p)), alpha));
  return g.build();
}

/** The figures of the S9 page. */
export async function seedS9() {
  const feeds = { x: [3], y: [6] };
  // #region forward
  const forward = await runOnCpu(buildS9Network(), feeds);
  const gradients = await runOnCpu(grad(buildS9Network(), { of: "J" }), feeds);
  // #endregion forward
  const expectedForward = {
    a1: [3, -3],
    h1: [3, 0],
    a2: [-3, 3],
    h2: [0, 3],
    yHat: [3],
    J: [9],
  };
  for (const [name, values] of Object.entries(expectedForward)) {
    checkEqual(`S9 forward ${name}`, forward[name], values);
  }
  checkEqual("S9 ∂J/∂W3", gradients["grad/W3"], [0, -18]);
  checkEqual("S9 ∂J/∂W2", gradients["grad/W2"], [0, 0, -18, 0]);
  checkEqual("S9 ∂J/∂W1", gradients["grad/W1"], [-18, 0]);
  // The float64 reference agrees exactly: every figure is a small integer.
  const reference = runReference(grad(buildS9Network(), { of: "J" }), feeds);
  checkEqual("S9 ∂J/∂W2 (float64 reference)", reference["grad/W2"], [0, 0, -18, 0]);

  // #region step
  const exe = await compile(buildS9Network(), {
    backend: cpu(),
    mode: "train",
    loss: "J",
    optimizer: sgd({ lr: 0.01 }),
  });
  const loss = exe.step(feeds); // J at the weights the step started from
  const { W1, W2, W3 } = exe.getParams();
  // #endregion step
  checkEqual("S9 J before the step", loss, 9);
  // w ← w − η·∂J/∂w = 1 − 0.01·(−18) = 1.18 for W3₁₂, W2₂₁ and W1₁₁; float32 holds 1.18 to 1e-7.
  checkClose("S9 W3 after one step", W3!, [-1, 1.18], 1e-6);
  checkClose("S9 W2 after one step", W2!, [-1, 1, 1.18, -1], 1e-6);
  checkClose("S9 W1 after one step", W1!, [1.18, -1], 1e-6);

  // The 2×2 convolution of the document.
  const conv = new GraphBuilder("s9-conv");
  const image = conv.input("I", [1, 1, 3, 3]);
  conv.output("O", conv.conv2d(image, conv.param("K", [1, 1, 2, 2], { init: [1, 0, 0, 1] })));
  const I = [1, 2, 3, 4, 5, 6, 1, 5, 3];
  const O = (await runOnCpu(conv.build(), { I })).O!;
  checkEqual("S9 I ⋆ K", O, [6, 8, 9, 8]);

  // ∇ α‖w‖ₚᵖ = α·p·|w|^(p−1)·sign(w), for p = 2 (weight decay) and p = 3.
  const alpha = 0.3;
  const w = Array.from(uniformValues(seededRng(9), 5, -2, 2), (v) => Math.round(v * 100) / 100);
  const penalties = [];
  for (const p of [2, 3]) {
    const out = await runOnCpu(grad(penaltyGraph(w, alpha, p), { of: "penalty" }), {});
    const formula = w.map((v) => alpha * p * Math.abs(v) ** (p - 1) * Math.sign(v));
    const error = checkClose(`S9 ∇α‖w‖ₚᵖ for p = ${p}`, out["grad/w"]!, formula, 1e-5);
    penalties.push({ p, nnc: out["grad/w"]!, formula, error });
  }
  return {
    forward,
    gradients: {
      W1: gradients["grad/W1"]!,
      W2: toMatrix(gradients["grad/W2"]!, 2, 2),
      W3: gradients["grad/W3"]!,
    },
    step: {
      lr: 0.01,
      loss,
      W1: Array.from(W1!),
      W2: toMatrix(W2!, 2, 2),
      W3: Array.from(W3!),
    },
    conv: {
      I: toMatrix(I, 3, 3),
      K: [
        [1, 0],
        [0, 1],
      ],
      O: toMatrix(O, 2, 2),
    },
    penalty: { alpha, w, results: penalties },
  };
}

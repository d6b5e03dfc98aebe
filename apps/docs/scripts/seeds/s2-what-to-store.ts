/**
 * SEEDS.md S2: the three-layer network h = W1x + b1, a = σ(W2h + b2), o = W3a + b3. Its
 * gradients match finite differences, and the memory plan of a training step keeps exactly h,
 * a and one s-sized value for the loss: m + r + s elements, never the pre-activation z.
 */
import { cpu } from "@nnc/backend-cpu";
import { compile, formatMemoryReport, grad, sgd } from "@nnc/compiler";
import { evaluate, formatShape, initialParams } from "@nnc/core";
import {
  centralDifferences,
  maxScaledDifference,
  seededRng,
  uniformValues,
} from "../../../../examples/seeds/numeric.js";
import { buildThreeLayerNetwork } from "../../../../examples/seeds/s2-three-layer.js";
import { checkBelow, checkEqual, checkThat } from "./check.js";
import { runOnCpu } from "./run.js";

const PARAMS = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"];

/** What a kept value is in the document's notation, from the node name nnc gave it. */
function role(name: string): "h" | "a" | "loss" {
  if (name.startsWith("fc1/")) return "h";
  if (name === "fc2/sigmoid") return "a";
  return "loss";
}

/** The memory plan of one training step at sizes n, m, r, s, as the compiler reports it. */
async function keptValues(sizes: { n: number; m: number; r: number; s: number }) {
  // #region memory
  const exe = await compile(buildThreeLayerNetwork(sizes), {
    backend: cpu(),
    mode: "train",
    loss: "loss",
    optimizer: sgd({ lr: 0.1 }),
  });
  const { memory } = exe.report;
  // #endregion memory
  const { m, r, s } = sizes;
  const kept = memory.keptActivations.map((k) => ({
    name: k.name,
    shape: formatShape(k.shape),
    elements: k.shape.reduce((a, b) => a * b, 1),
    bytes: k.bytes,
    role: role(k.name),
  }));
  const label = `S2 (n, m, r, s) = (${sizes.n}, ${m}, ${r}, ${s})`;
  checkEqual(
    `${label}: kept values (role, elements)`,
    kept.map((k) => [k.role, k.elements]),
    [
      ["h", m],
      ["a", r],
      ["loss", s],
    ],
  );
  checkEqual(`${label}: kept bytes (float32)`, memory.keptBytes, 4 * (m + r + s));
  // Not the pre-activation z = W2h + b2 (σ' = a(1 − a) comes from a).
  checkThat(
    `${label}: the plan must not keep the pre-activation z`,
    !kept.some((k) => /^fc2\/.*(add|matmul)$/.test(k.name)),
  );
  return {
    sizes,
    kept,
    elements: m + r + s,
    keptBytes: memory.keptBytes,
    halfBytes: 2 * (m + r + s),
    naiveKeptBytes: memory.naive.keptBytes,
    report: formatMemoryReport(memory),
  };
}

/** The figures of the S2 page and of the memory-planning concept page. */
export async function seedS2() {
  // Gradients of all six parameters against central differences (float64 reference), and the
  // same gradient graph compiled for the CPU backend (float32).
  const sizes = { n: 4, m: 5, r: 3, s: 2, batch: 3 };
  const graph = buildThreeLayerNetwork(sizes);
  const rng = seededRng(1);
  const data = {
    x: uniformValues(rng, sizes.batch * sizes.n, -2, 2),
    y: uniformValues(rng, sizes.batch * sizes.s),
  };
  // Random biases too: zero biases would hide a missing bias term.
  const params = Object.fromEntries(
    Object.entries(initialParams(graph)).map(([name, v]) => [name, uniformValues(rng, v.length)]),
  );
  const gradientGraph = grad(graph, { of: "loss" });
  const analytic = evaluate(gradientGraph, { ...data, ...params });
  const cpu32 = await runOnCpu(gradientGraph, data, params);
  const gradients = PARAMS.map((name) => {
    const loss = (value: Float64Array) =>
      evaluate(graph, { ...data, ...params, [name]: value }).loss![0]!;
    const numeric = centralDifferences(loss, params[name]!);
    const exact = analytic[`grad/${name}`]!;
    return {
      name,
      elements: exact.length,
      vsFiniteDifferences: checkBelow(
        `S2 ∂L/∂${name} against central differences`,
        maxScaledDifference(exact, numeric),
        1e-7,
      ),
      cpuVsReference: checkBelow(
        `S2 ∂L/∂${name} on the CPU backend against float64`,
        maxScaledDifference(cpu32[`grad/${name}`]!, exact),
        1e-5,
      ),
    };
  });
  return {
    gradientSizes: sizes,
    gradients,
    // The sizes of the memory check in examples/seeds (and of its `nnc compile` model file),
    // then a second set to show the count follows m + r + s.
    plans: [
      await keptValues({ n: 6, m: 5, r: 4, s: 3 }),
      await keptValues({ n: 32, m: 16, r: 8, s: 4 }),
    ],
  };
}

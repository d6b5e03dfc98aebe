/**
 * SEEDS.md S3: ReLU at 0 (left derivative 0, right 1; nnc uses 0 at exactly 0), grad of grad
 * through ReLU (valid, zero) and through swish g(x) = x·σ(βx) (informative, matching finite
 * differences), and swish's limits x/2 as β → 0 and ReLU as β → ∞.
 */
import { grad, jvp } from "@nnc/compiler";
import { type Graph, GraphBuilder, type Value } from "@nnc/core";
import { centralDifferences, logistic } from "../../../../examples/seeds/numeric.js";
import { checkBelow, checkClose, checkEqual } from "./check.js";
import { runOnCpu, runReference } from "./run.js";

// #region graphs
/** y = Σ act(x) for an input vector x of `n` elements. */
function sumOf(n: number, act: (g: GraphBuilder, x: Value) => Value): Graph {
  const g = new GraphBuilder("s3");
  const x = g.input("x", [n]);
  g.output("y", g.sum(act(g, x)));
  return g.build();
}

/** grad of y w.r.t. x, then the JVP of that gradient along `tangent/x`: Hessian-vector products. */
function secondDerivativeGraph(graph: Graph): Graph {
  return jvp(grad(graph, { of: "y", wrt: ["x"] }), { of: "grad/x", wrt: ["x"] });
}
// #endregion graphs

/** swish''(x) for β = 1: with σ = σ(x), d/dx[σ + xσ(1−σ)] = σ(1−σ)·(2 + x(1 − 2σ)). */
function swishSecondDerivative(x: number): number {
  const s = logistic(x);
  return s * (1 - s) * (2 + x * (1 - 2 * s));
}

/** The figures of the S3 page. */
export async function seedS3() {
  // ReLU's gradient at −1, 0, 2, on the reference and on the CPU backend.
  const reluGrad = grad(
    sumOf(3, (g, x) => g.relu(x)),
    { of: "y", wrt: ["x"] },
  );
  const reluAt = [-1, 0, 2];
  const reluGradient = runReference(reluGrad, { x: reluAt })["grad/x"]!;
  checkEqual("S3 ReLU gradient at (−1, 0, 2)", reluGradient, [0, 0, 1]);
  checkEqual(
    "S3 ReLU gradient at (−1, 0, 2), CPU backend",
    (await runOnCpu(reluGrad, { x: reluAt }))["grad/x"],
    [0, 0, 1],
  );

  // One-sided difference quotients at 0 from nnc's own ReLU.
  const h = 1e-3;
  const single = sumOf(1, (g, x) => g.relu(x));
  const [left, zero, right] = [-h, 0, h].map((v) => runReference(single, { x: [v] }).y![0]!);
  const leftQuotient = (zero! - left!) / h;
  const rightQuotient = (right! - zero!) / h;
  checkEqual("S3 ReLU left derivative at 0", leftQuotient, 0);
  checkEqual("S3 ReLU right derivative at 0", rightQuotient, 1);

  // Grad of grad through ReLU: H·1 with relu'' = 0 wherever it exists.
  const reluSecondAt = [-2, -0.5, 0.5, 2];
  const reluSecond = runReference(secondDerivativeGraph(sumOf(4, (g, v) => g.relu(v))), {
    x: reluSecondAt,
    "tangent/x": [1, 1, 1, 1],
  })["tangent/grad/x"]!;
  checkEqual("S3 ReLU second derivative", reluSecond, [0, 0, 0, 0]);

  // Swish with β = 1: value, first and second derivative from nnc, against the hand formulas
  // and central differences of nnc's own gradient.
  const xs = [-3, -1, -0.2, 0, 0.4, 1.5, 4];
  const swish = sumOf(xs.length, (g, x) => g.swish(x, 1));
  const swishSecond = runReference(secondDerivativeGraph(swish), {
    x: xs,
    "tangent/x": xs.map(() => 1),
  });
  const scalarGradient = grad(
    sumOf(1, (g, x) => g.swish(x, 1)),
    { of: "y", wrt: ["x"] },
  );
  const numericSecond = xs.map(
    (x) =>
      centralDifferences((v) => runReference(scalarGradient, { x: v })["grad/x"]![0]!, [x])[0]!,
  );
  const cpuFirst = (await runOnCpu(grad(swish, { of: "y", wrt: ["x"] }), { x: xs }))["grad/x"]!;
  const elementwise = new GraphBuilder("swish");
  elementwise.output("g", elementwise.swish(elementwise.input("x", [xs.length]), 1));
  const values = runReference(elementwise.build(), { x: xs }).g!;
  const second = swishSecond["tangent/grad/x"]!;
  const first = swishSecond["grad/x"]!;
  const formulaFirst = xs.map((x) => logistic(x) + x * logistic(x) * (1 - logistic(x)));
  const swishTable = xs.map((x, i) => ({
    x,
    value: values[i]!,
    first: first[i]!,
    firstCpu: cpuFirst[i]!,
    second: second[i]!,
    secondByHand: swishSecondDerivative(x),
    secondFiniteDifferences: numericSecond[i]!,
  }));
  const firstError = checkClose("S3 swish′ against σ + xσ(1 − σ)", first, formulaFirst, 1e-14);
  const secondError = checkClose(
    "S3 swish″ against the hand formula",
    second,
    xs.map(swishSecondDerivative),
    1e-14,
  );
  const secondFdError = checkClose(
    "S3 swish″ (grad of grad) against central differences of the gradient",
    second,
    numericSecond,
    1e-8,
  );
  checkClose("S3 swish″(0) = 1/2", second[xs.indexOf(0)]!, 0.5, 1e-14);
  const cpuFirstError = checkClose("S3 swish′ on the CPU backend", cpuFirst, first, 1e-6);

  // The limits, on the reference and on the CPU backend (float32 must not overflow at βx = ±5e6).
  const limit = async (beta: number, xv: number[], target: (x: number) => number) => {
    const g = new GraphBuilder("swish-limit");
    g.output("y", g.swish(g.input("x", [xv.length]), beta));
    const graph = g.build();
    const reference = runReference(graph, { x: xv }).y!;
    const cpu = (await runOnCpu(graph, { x: xv })).y!;
    const expected = xv.map(target);
    return {
      beta,
      x: xv,
      reference,
      cpu,
      target: expected,
      referenceGap: Math.max(...reference.map((v, i) => Math.abs(v - expected[i]!))),
      cpuGap: Math.max(...cpu.map((v, i) => Math.abs(v - expected[i]!))),
    };
  };
  const small = await limit(1e-6, [-5, -1, 0, 0.5, 5], (x) => x / 2);
  const large = await limit(1e6, [-5, -0.01, 0, 0.01, 5], (x) => Math.max(x, 0));
  // x·σ(βx) − x/2 ≈ βx²/4 ≤ 6.25e-6 for |x| ≤ 5; |x·σ(βx) − relu(x)| ≤ |x|·e^(−β|x|).
  checkBelow("S3 swish with β = 1e-6 against x/2", small.referenceGap, 7e-6);
  checkBelow("S3 swish with β = 1e-6 against x/2 (CPU)", small.cpuGap, 1e-5);
  checkBelow("S3 swish with β = 1e6 against ReLU", large.referenceGap, 1e-300);
  checkBelow("S3 swish with β = 1e6 against ReLU (CPU)", large.cpuGap, 1e-6);

  return {
    relu: {
      at: reluAt,
      gradient: reluGradient,
      h,
      leftQuotient,
      rightQuotient,
      secondAt: reluSecondAt,
      second: reluSecond,
    },
    swish: { table: swishTable, firstError, secondError, secondFdError, cpuFirstError },
    limits: { small, large },
  };
}

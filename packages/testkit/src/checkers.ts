import { compile, grad, gradName } from "@nnc/compiler";
import { type Backend, evaluate, type Graph, initialParams, NncError, sizeOf } from "@nnc/core";
import { expectClose } from "./compare.js";
import { DEFAULT_TOLERANCES, type Tolerance, uniformBounds } from "./tolerance.js";

/** Options of {@link checkGradients}. */
export interface GradientCheckOptions {
  /** The scalar output to differentiate. */
  readonly of: string;
  /** float32 inputs or parameters to differentiate with respect to; default every trainable parameter. */
  readonly wrt?: readonly string[];
  /** Every input, and any parameter values replacing their initialisers, by name. */
  readonly feeds: Readonly<Record<string, ArrayLike<number>>>;
  /**
   * Run the gradient graph compiled on this backend (float32). Default: core's float64
   * reference evaluator, which checks the compiler's differentiation rules alone.
   */
  readonly backend?: Backend;
  /** Step of the central differences (default 1e-6; they are taken in float64). */
  readonly epsilon?: number;
  /**
   * Allowed `|analytic − numeric| ≤ atol + rtol·|numeric|`; default rtol 1e-5, atol 1e-6 on
   * the reference evaluator, the model tolerance (rtol 1e-3, atol 1e-4) on a backend.
   */
  readonly tolerance?: Partial<Tolerance>;
}

/** The two gradients of one checked tensor. */
export interface GradientComparison {
  /** The input or parameter differentiated. */
  readonly name: string;
  /** From the gradient graph (`grad(graph, { of, wrt })`), on the backend when one is given. */
  readonly analytic: ArrayLike<number>;
  /** Central differences of the float64 reference evaluation. */
  readonly numeric: Float64Array;
}

/**
 * Checks reverse-mode gradients against central finite differences: builds
 * `grad(graph, { of, wrt })`, evaluates it (or runs it on `options.backend`), and compares each
 * gradient with (f(x + ε·eᵢ) − f(x − ε·eᵢ)) / 2ε computed in float64 for every element i.
 * Costs two reference evaluations per checked element: meant for small graphs. Avoid points
 * where the function has a kink (ReLU or max at a tie), where the two sides disagree. Throws a
 * ConformanceError naming the worst elements; returns the comparisons otherwise.
 *
 * ```ts
 * await checkGradients(graph, { of: "loss", feeds: { x, y }, backend: cpu() });
 * ```
 */
export async function checkGradients(
  graph: Graph,
  options: GradientCheckOptions,
): Promise<GradientComparison[]> {
  const wrt =
    options.wrt ?? graph.params.filter((p) => p.attrs.trainable !== false).map((p) => p.name);
  const epsilon = options.epsilon ?? 1e-6;
  const tolerance: Tolerance = {
    ...(options.backend ? DEFAULT_TOLERANCES.model : { rtol: 1e-5, atol: 1e-6 }),
    ...options.tolerance,
  };
  // The point: inputs as fed, parameters as fed or initialised.
  const point: Record<string, Float64Array> = {};
  for (const [name, values] of Object.entries(initialParams(graph))) point[name] = values;
  for (const [name, values] of Object.entries(options.feeds))
    point[name] = Float64Array.from(values);
  for (const name of wrt) {
    const node = graph.findNode(name);
    if (!node || (node.op !== "input" && node.op !== "param") || node.type.dtype !== "float32") {
      throw new NncError(
        "NNC1005",
        `checkGradients: "${name}" is not a float32 input or parameter of graph "${graph.name}"`,
      );
    }
  }

  const gradients = grad(graph, { of: options.of, wrt });
  const taken = new Set(graph.outputs.map((o) => o.name));
  const outputOf = (name: string) => gradName(name, taken);
  let analytic: Readonly<Record<string, ArrayLike<number>>>;
  if (options.backend) {
    const exe = await compile(gradients, { backend: options.backend });
    const compiledParams = new Set(exe.program.graph.params.map((p) => p.name));
    exe.setParams(
      Object.fromEntries(Object.entries(point).filter(([name]) => compiledParams.has(name))),
    );
    const inputs = Object.fromEntries(exe.inputs.map((i) => [i.name, point[i.name]!]));
    analytic = exe.run(inputs);
  } else {
    analytic = evaluate(gradients, point);
  }

  const f = (feeds: Record<string, Float64Array>) => evaluate(graph, feeds)[options.of]![0]!;
  const comparisons: GradientComparison[] = [];
  for (const name of wrt) {
    const x = point[name]!;
    const numeric = new Float64Array(sizeOf(graph.findNode(name)!.type.shape));
    for (let i = 0; i < numeric.length; i++) {
      const saved = x[i]!;
      x[i] = saved + epsilon;
      const plus = f(point);
      x[i] = saved - epsilon;
      const minus = f(point);
      x[i] = saved;
      numeric[i] = (plus - minus) / (2 * epsilon);
    }
    const got = analytic[outputOf(name)]!;
    expectClose(
      `checkGradients: ∂${options.of}/∂${name}`,
      "float32",
      Float32Array.from(got),
      numeric,
      uniformBounds(numeric, tolerance),
    );
    comparisons.push({ name, analytic: got, numeric });
  }
  return comparisons;
}

import { compile, grad, ReferenceTrainer, sgd, trainingGraph } from "@nnc/compiler";
import {
  type Backend,
  createRng,
  evaluate,
  type Graph,
  hashString,
  initialParams,
  type Rng,
  randomData,
  sizeOf,
} from "@nnc/core";
import { ConformanceError, distance, expectClose } from "./compare.js";
import { conformanceModels } from "./models/index.js";
import { type ResolvedTolerances, uniformBounds } from "./tolerance.js";

/** One whole-model test of the suite. */
export interface ModelCase {
  /** `"<model>/<test>"`, e.g. `"lenet5/train"`: the key that skips it (`"<model>"` skips all of a model's tests). */
  readonly id: string;
  /** What the test checks, for its title. */
  readonly title: string;
  /** Runs the test on a backend; throws a {@link ConformanceError} on a mismatch. */
  run(backend: Backend, tolerances: ResolvedTolerances): Promise<void>;
}

/** Typed arrays fed to an executable and to the reference alike. */
type Feeds = Record<string, Float32Array | Int32Array | Uint8Array>;

/** How to draw one input's data: a `[low, high)` range (integers for int32) or a generator. */
type InputData = readonly [number, number] | ((rng: Rng, size: number) => ArrayLike<number>);

/** A model's seeded random inputs: float32 rounded up front, default range [−1, 1). */
function randomFeeds(graph: Graph, rng: Rng, data: Readonly<Record<string, InputData>>): Feeds {
  const feeds: Feeds = {};
  for (const node of graph.inputs) {
    const size = sizeOf(node.type.shape);
    const how = data[node.name] ?? [-1, 1];
    const values =
      typeof how === "function" ? how(rng, size) : randomData(node.type.dtype, size, rng, how);
    feeds[node.name] =
      node.type.dtype === "float32"
        ? Float32Array.from(values)
        : node.type.dtype === "int32"
          ? Int32Array.from(values)
          : Uint8Array.from(values);
  }
  return feeds;
}

/** Every parameter's initial value rounded to float32, with `overrides` replacing some. */
function float32Params(
  graph: Graph,
  overrides: Readonly<Record<string, Float32Array>> = {},
): Record<string, Float32Array> {
  const params: Record<string, Float32Array> = {};
  for (const [name, values] of Object.entries(initialParams(graph))) {
    params[name] = overrides[name] ?? Float32Array.from(values);
  }
  return params;
}

/** Compares every output of a model run with the reference's. */
function compareOutputs(
  id: string,
  graph: Graph,
  got: Readonly<Record<string, unknown>>,
  want: Readonly<Record<string, ArrayLike<number>>>,
  tolerances: ResolvedTolerances,
): void {
  for (const output of graph.outputs) {
    const dtype = graph.node(output.node).type.dtype;
    const reference = want[output.name]!;
    expectClose(
      `${id}: output "${output.name}"`,
      dtype,
      got[output.name],
      reference,
      dtype === "float32" ? uniformBounds(reference, tolerances.model) : undefined,
    );
  }
}

/** What an inference test runs. */
interface InferenceSpec {
  readonly id: string;
  readonly title: string;
  readonly build: () => Graph;
  readonly data?: Readonly<Record<string, InputData>>;
  /** Parameters to set instead of their initial values (e.g. BatchNorm statistics). */
  readonly params?: (graph: Graph, rng: Rng) => Record<string, Float32Array>;
}

/**
 * An inference test: compile for inference, set the parameters, run one seeded batch, and
 * compare every output with core's `evaluate` on the same float32 inputs and parameters.
 */
function inferenceCase(spec: InferenceSpec): ModelCase {
  return {
    id: spec.id,
    title: spec.title,
    async run(backend, tolerances) {
      const graph = spec.build();
      const rng = createRng(hashString(spec.id));
      const params = float32Params(graph, spec.params?.(graph, rng));
      const exe = await compile(graph, { backend, mode: "infer" });
      exe.setParams(
        pick(
          params,
          exe.program.graph.params.map((p) => p.name),
        ),
      );
      const feeds = randomFeeds(graph, rng, spec.data ?? {});
      compareOutputs(
        spec.id,
        graph,
        exe.run(feeds),
        evaluate(graph, { ...params, ...feeds }),
        tolerances,
      );
    },
  };
}

/** What a training test runs. */
interface TrainingSpec {
  readonly id: string;
  readonly title: string;
  readonly build: () => Graph;
  readonly loss: string;
  readonly lr: number;
  readonly steps: number;
  readonly data?: Readonly<Record<string, InputData>>;
}

/**
 * A training test: `steps` SGD steps on seeded batches (a new batch each step), comparing each
 * step's loss and then every parameter and state value (optimizer step count, BatchNorm running
 * statistics) with {@link ReferenceTrainer} on `trainingGraph` of the same model, both started
 * from the same float32 parameters. Besides elementwise closeness, the parameters' change over
 * the steps must match the reference's in norm (`update` tolerance).
 */
function trainingCase(spec: TrainingSpec): ModelCase {
  return {
    id: spec.id,
    title: spec.title,
    async run(backend, tolerances) {
      const model = spec.build();
      const optimizer = sgd({ lr: spec.lr });
      const reference = trainingGraph(model, { loss: spec.loss, optimizer });
      const start = float32Params(reference);
      const trainer = new ReferenceTrainer(reference, start);
      const exe = await compile(model, { backend, mode: "train", loss: spec.loss, optimizer });
      const compiledParams = exe.program.graph.params.map((p) => p.name);
      const unknown = compiledParams.filter((name) => !(name in start));
      if (unknown.length > 0) {
        throw new ConformanceError(
          `${spec.id}: the compiled training step has parameters the reference training graph lacks: ${unknown.join(", ")}`,
        );
      }
      exe.setParams(pick(start, compiledParams));
      const rng = createRng(hashString(spec.id));
      for (let step = 0; step < spec.steps; step++) {
        const batch = randomFeeds(model, rng, spec.data ?? {});
        const loss = exe.step(batch);
        const want = trainer.step(batch)[spec.loss]!;
        expectClose(
          `${spec.id}: loss of step ${step + 1}`,
          "float32",
          Float32Array.of(loss),
          want,
          uniformBounds(want, tolerances.model),
        );
      }
      const got = exe.getParams();
      for (const name of compiledParams) {
        const want = trainer.params[name]!;
        const what = `${spec.id}: "${name}" after ${spec.steps} steps`;
        expectClose(what, "float32", got[name], want, uniformBounds(want, tolerances.model));
        const before = start[name]!;
        const changeGot = distance(got[name]!, before);
        const error = distance(got[name]!, want);
        const changeWant = distance(want, before);
        // Besides the relative part, a floor of float32 resolution: 4 ulps of the parameter's
        // norm plus one ulp of 1 per element (a change the reference computes as float64 noise,
        // like the exactly-zero gradient of a bias feeding BatchNorm, may be 0 here).
        const allowed =
          tolerances.update * changeWant +
          FLOAT32_EPSILON * (4 * distance(want) + Math.sqrt(want.length));
        if (!(error <= allowed)) {
          throw new ConformanceError(
            `${what}: moved by ${changeGot.toExponential(3)} where the reference moved by ${changeWant.toExponential(3)}; they end ${error.toExponential(3)} apart (allowed ${allowed.toExponential(3)})`,
          );
        }
      }
    },
  };
}

/** The float32 machine epsilon, 2⁻²³: the spacing of float32 numbers at 1. */
const FLOAT32_EPSILON = 2 ** -23;

/** The values of `record` under `names` (those it has). */
function pick<T>(record: Readonly<Record<string, T>>, names: readonly string[]): Record<string, T> {
  return Object.fromEntries(names.filter((n) => n in record).map((n) => [n, record[n]!]));
}

/** Labels for int32 class inputs: integers in [0, classes). */
const classes = (n: number): InputData => [0, n];
/** Bernoulli 0/1 targets as float32. */
const coinFlips: InputData = (rng, size) => Float64Array.from({ length: size }, () => rng.int(2));

/** Random BatchNorm parameters and statistics, so folding them into the convs matters. */
function randomBatchNorm(graph: Graph, rng: Rng): Record<string, Float32Array> {
  const params: Record<string, Float32Array> = {};
  for (const node of graph.params) {
    const range: readonly [number, number] | undefined = /^bn\d+\.running_var$/.test(node.name)
      ? [0.5, 2]
      : /^bn\d+\.weight$/.test(node.name)
        ? [0.5, 1.5]
        : /^bn\d+\.(bias|running_mean)$/.test(node.name)
          ? [-0.5, 0.5]
          : undefined;
    if (range) {
      params[node.name] = Float32Array.from(
        randomData("float32", sizeOf(node.type.shape), rng, range),
      );
    }
  }
  return params;
}

/** The S9 figures: exact in float32 (small integers), 1.18 to float32 precision. */
const S9_FEEDS = { x: Float32Array.of(3), y: Float32Array.of(6) };

function s9Forward(): ModelCase {
  return {
    id: "s9-walkthrough/forward",
    title: "S9 walk-through: a1 = (3, −3), h1 = (3, 0), a2 = (−3, 3), h2 = (0, 3), ŷ = 3, J = 9",
    async run(backend) {
      const exe = await compile(conformanceModels.s9Walkthrough(), { backend });
      const out = exe.run(S9_FEEDS);
      const figures: Record<string, number[]> = {
        a1: [3, -3],
        h1: [3, 0],
        a2: [-3, 3],
        h2: [0, 3],
        yHat: [3],
        J: [9],
      };
      for (const [name, want] of Object.entries(figures)) {
        expectClose(`s9-walkthrough: ${name}`, "float32", out[name], want);
      }
    },
  };
}

function s9Gradients(): ModelCase {
  return {
    id: "s9-walkthrough/gradients",
    title: "S9 walk-through: ∂J/∂W3 = [0, −18], ∂J/∂W2 = [[0, 0], [−18, 0]], ∂J/∂W1 = [−18, 0]ᵀ",
    async run(backend) {
      const exe = await compile(grad(conformanceModels.s9Walkthrough(), { of: "J" }), {
        backend,
      });
      const out = exe.run(S9_FEEDS);
      expectClose("s9-walkthrough: J", "float32", out.J, [9]);
      expectClose("s9-walkthrough: ∂J/∂W3", "float32", out["grad/W3"], [0, -18]);
      expectClose("s9-walkthrough: ∂J/∂W2", "float32", out["grad/W2"], [0, 0, -18, 0]);
      expectClose("s9-walkthrough: ∂J/∂W1", "float32", out["grad/W1"], [-18, 0]);
    },
  };
}

function s9SgdStep(): ModelCase {
  return {
    id: "s9-walkthrough/sgd-step",
    title:
      "S9 walk-through: one SGD step (η = 0.01) returns J = 9 and moves W3₁₂, W2₂₁, W1₁₁ to 1.18",
    async run(backend) {
      const exe = await compile(conformanceModels.s9Walkthrough(), {
        backend,
        mode: "train",
        loss: "J",
        optimizer: sgd({ lr: 0.01 }),
      });
      expectClose(
        "s9-walkthrough: J of the step",
        "float32",
        Float32Array.of(exe.step(S9_FEEDS)),
        [9],
      );
      const params = exe.getParams();
      // 1 − 0.01·(−18) in float32 arithmetic: within a few ulp of 1.18; the others are unchanged.
      const near = (w: number[]) => w.map((v) => (v === 1.18 ? 1e-6 : 0));
      const check = (name: string, want: number[]) =>
        expectClose(
          `s9-walkthrough: ${name} after the step`,
          "float32",
          params[name],
          want,
          near(want),
        );
      check("W3", [-1, 1.18]);
      check("W2", [-1, 1, 1.18, -1]);
      check("W1", [1.18, -1]);
      expectClose("s9-walkthrough: opt/step", "float32", params["opt/step"], [1]);
    },
  };
}

/**
 * The suite's model tests, in order: W1 MLP, LeNet-5 (W2), the W3 BatchNorm net, and the
 * SEEDS.md networks S2, S5 and S9 (the last with its exact published figures). Batches are small
 * so the suite stays fast on the reference backend.
 */
export function modelCases(): ModelCase[] {
  const mlp = () => conformanceModels.mlp({ batch: 8 });
  const mlpData = { x: [0, 1], y: classes(10) } as const;
  const lenet = () => conformanceModels.lenet5({ batch: 4 });
  const lenetData = { image: [0, 1], label: classes(10) } as const;
  const s2 = () => conformanceModels.s2ThreeLayer({ n: 6, m: 5, r: 4, s: 3, batch: 4 });
  const s5 = () => conformanceModels.s5Mixture({ features: 5, components: 3, batch: 16 });
  return [
    inferenceCase({
      id: "mlp/infer",
      title: "MLP 784-256-128-10 (W1), batch 8: logits and loss",
      build: mlp,
      data: mlpData,
    }),
    trainingCase({
      id: "mlp/train",
      title: "MLP 784-256-128-10 (W1), batch 8: 3 SGD steps",
      build: mlp,
      loss: "loss",
      lr: 0.1,
      steps: 3,
      data: mlpData,
    }),
    inferenceCase({
      id: "lenet5/infer",
      title: "LeNet-5 (W2), batch 4: logits and loss",
      build: lenet,
      data: lenetData,
    }),
    trainingCase({
      id: "lenet5/train",
      title: "LeNet-5 (W2), batch 4: 3 SGD steps",
      build: lenet,
      loss: "loss",
      lr: 0.05,
      steps: 3,
      data: lenetData,
    }),
    inferenceCase({
      id: "w3-bn-convnet/infer",
      title: "W3 BatchNorm convnet, batch 1, random BatchNorm statistics: logits",
      build: () => conformanceModels.w3BnConvnet({ batch: 1, training: false }),
      params: randomBatchNorm,
    }),
    trainingCase({
      id: "w3-bn-convnet/train",
      title: "W3 BatchNorm convnet, batch 2, batch statistics: 2 SGD steps and running statistics",
      build: () => conformanceModels.w3BnConvnet({ batch: 2, training: true }),
      loss: "loss",
      lr: 0.05,
      steps: 2,
      data: { label: classes(10) },
    }),
    inferenceCase({
      id: "s2-three-layer/infer",
      title: "S2 three-layer network (n 6, m 5, r 4, s 3), batch 4: o and loss",
      build: s2,
    }),
    trainingCase({
      id: "s2-three-layer/train",
      title: "S2 three-layer network, batch 4: 3 SGD steps",
      build: s2,
      loss: "loss",
      lr: 0.1,
      steps: 3,
    }),
    inferenceCase({
      id: "s5-mixture/infer",
      title: "S5 mixture of 3 logistic regressions, batch 16: π, p and loss",
      build: s5,
      data: { y: coinFlips },
    }),
    trainingCase({
      id: "s5-mixture/train",
      title: "S5 mixture of 3 logistic regressions, batch 16: 3 SGD steps",
      build: s5,
      loss: "loss",
      lr: 0.5,
      steps: 3,
      data: { y: coinFlips },
    }),
    s9Forward(),
    s9Gradients(),
    s9SgdStep(),
  ];
}

import { compile } from "@nnc/compiler";
import { BACKEND_API_VERSION, type Backend, DTYPES, NncError, OP_NAMES } from "@nnc/core";
import { describe, it } from "vitest";
import { ConformanceError } from "./compare.js";
import {
  checkCompositeCase,
  checkPrimitiveCase,
  type KernelCase,
  kernelCases,
  sampleGraph,
} from "./kernel-cases.js";
import { type ModelCase, modelCases } from "./model-cases.js";
import {
  type ConformanceTolerances,
  type ResolvedTolerances,
  resolveTolerances,
} from "./tolerance.js";

/** Options of {@link describeBackendConformance}. */
export interface ConformanceOptions {
  /**
   * Tests not to run, each with the reason (required, non-empty): a kernel (`"conv2d_transpose"`,
   * every sample of a primitive or composite op), one sample (`"conv2d#3"`), a model
   * (`"lenet5"`, all its tests) or one model test (`"lenet5/train"`). Skipped tests are
   * registered as skipped with the reason in their title. An entry that names nothing, or gives
   * no reason, fails the suite: a typo must not silently skip nothing.
   */
  readonly skip?: Readonly<Record<string, string>>;
  /** Tolerances replacing the defaults (see `DEFAULT_TOLERANCES`). */
  readonly tolerance?: ConformanceTolerances;
}

/** Time allowed for one model test: slow backends (a software-rendered GPU) need minutes. */
const MODEL_TIMEOUT_MS = 300_000;

/**
 * Registers the backend conformance suite with vitest: call it at the top level of a test file.
 *
 * 1. The plugin interface: name, API version, pure `emit`, instantiation.
 * 2. Every primitive kernel on each of its registry samples (seeded), compiled for inference on
 *    the backend and compared with core's float64 reference evaluator: exactly for int32, bool
 *    and data movement, within float32 tolerances otherwise (`DEFAULT_TOLERANCES`).
 * 3. Every composite op's samples through the compiler's decomposition and fusion.
 * 4. Whole models, inference and a few SGD steps against the reference trainer: an MLP (W1),
 *    LeNet-5 (W2), the W3 BatchNorm convnet, and the SEEDS.md networks S2, S5 and S9 (with the
 *    walk-through's exact figures).
 *
 * `makeBackend` is called for every test, so tests share no state.
 *
 * ```ts
 * // packages/backend-foo/src/conformance.test.ts
 * import { describeBackendConformance } from "@nnc/testkit";
 * describeBackendConformance(() => foo(), { skip: { erf: "no erf in GLSL ES 3.00 yet (#12)" } });
 * ```
 */
export function describeBackendConformance(
  makeBackend: () => Backend,
  options: ConformanceOptions = {},
): void {
  const plan = planConformance(options);
  describe(SUITE_TITLE, () => {
    const groups = new Map<string, PlannedTest[]>();
    for (const test of plan) groups.set(test.group, [...(groups.get(test.group) ?? []), test]);
    for (const [group, tests] of groups) {
      const register = () => {
        for (const test of tests) {
          if (test.skipped !== undefined) it.skip(test.title, () => {});
          else it(test.title, () => test.run(makeBackend), test.timeout);
        }
      };
      if (group === "") register();
      else describe(group, register);
    }
  });
}

/** The title of the suite's outer `describe`. */
export const SUITE_TITLE = "backend conformance (@nnc/testkit)";

/** One test of the suite as {@link describeBackendConformance} registers it. */
export interface PlannedTest {
  /** The `describe` path below the suite's, joined with " > " ("" at the top). */
  readonly group: string;
  /** The test's title; a skipped test's ends with `(skipped: <reason>)`. */
  readonly title: string;
  /** The skip reason, when skipped. */
  readonly skipped?: string;
  /** Vitest timeout in ms (undefined: the project's default). */
  readonly timeout?: number;
  /** Runs the test on a fresh backend from the factory. */
  run(makeBackend: () => Backend): Promise<void>;
}

/**
 * The tests {@link describeBackendConformance} registers, in order, with skips applied. Invalid
 * options do not throw here: the first test ("has valid options") fails with the problem, so
 * the report still lists every test; unusable tolerances also fail every test that needs them.
 */
export function planConformance(options: ConformanceOptions = {}): PlannedTest[] {
  const primitives = kernelCases("primitive");
  const composites = kernelCases("composite");
  const models = modelCases();
  const skip = options.skip ?? {};
  // The reason of the first key that the skip list has (own keys only: "toString" is no test).
  const reasonFor = (...keys: string[]): string | undefined => {
    const key = keys.find((k) => Object.hasOwn(skip, k));
    return key === undefined ? undefined : skip[key];
  };
  const problems: unknown[] = [];
  let tolerances: ResolvedTolerances | undefined;
  try {
    checkSkipList(skip, [...primitives, ...composites], models);
  } catch (error) {
    problems.push(error);
  }
  try {
    tolerances = resolveTolerances(options.tolerance);
  } catch (error) {
    problems.push(error);
  }
  const resolved = (): ResolvedTolerances => {
    if (!tolerances) throw problems.at(-1);
    return tolerances;
  };
  const planned = (
    group: string,
    title: string,
    reason: string | undefined,
    run: PlannedTest["run"],
    timeout?: number,
  ): PlannedTest => ({
    group,
    title: reason === undefined ? title : `${title} (skipped: ${reason})`,
    ...(reason !== undefined && { skipped: reason }),
    ...(timeout !== undefined && { timeout }),
    run,
  });
  const kernels = (group: string, cases: readonly KernelCase[], check: typeof checkPrimitiveCase) =>
    cases.map((c) =>
      planned(`${group} > ${c.op}`, c.title, reasonFor(c.id, c.op), (make) =>
        check(make(), c, resolved()),
      ),
    );
  return [
    planned(
      "",
      "has valid options: every skip names a test and gives a reason, tolerances are numbers ≥ 0",
      undefined,
      async () => {
        if (problems.length > 0) throw problems[0];
      },
    ),
    planned("", "implements the plugin interface", undefined, (make) => checkInterface(make())),
    ...kernels("primitive kernels", primitives, checkPrimitiveCase),
    ...kernels(
      "composite ops (decomposed and fused by the compiler)",
      composites,
      checkCompositeCase,
    ),
    ...models.map((m) =>
      planned(
        "models",
        `${m.id}: ${m.title}`,
        reasonFor(m.id, modelName(m)),
        (make) => m.run(make(), resolved()),
        MODEL_TIMEOUT_MS,
      ),
    ),
  ];
}

/** The model part of a model test id (`"lenet5"` of `"lenet5/train"`). */
function modelName(model: ModelCase): string {
  return model.id.slice(0, model.id.indexOf("/"));
}

/**
 * Checks a skip list: every key names an op, an op sample (`op#k`), a model or a model test of
 * the suite, and every reason is non-empty text. Throws an NncError listing every problem
 * (NNC1005 when a key is unknown, NNC1002 when only reasons are missing).
 */
export function checkSkipList(
  skip: Readonly<Record<string, string>>,
  kernels: readonly KernelCase[] = [...kernelCases("primitive"), ...kernelCases("composite")],
  models: readonly ModelCase[] = modelCases(),
): void {
  const known = new Set<string>([
    ...kernels.flatMap((c) => [c.op, c.id]),
    ...models.flatMap((m) => [m.id, modelName(m)]),
  ]);
  const unknown = Object.keys(skip).filter((key) => !known.has(key));
  const unexplained = Object.entries(skip)
    .filter(([, reason]) => typeof reason !== "string" || reason.trim() === "")
    .map(([key]) => key);
  if (unknown.length === 0 && unexplained.length === 0) return;
  const lines: string[] = [];
  if (unknown.length > 0) {
    lines.push(
      `skip names no test: ${unknown.map((k) => JSON.stringify(k)).join(", ")} (keys are op names such as "conv2d", op samples such as "conv2d#3", models such as "lenet5" and model tests: ${models.map((m) => JSON.stringify(m.id)).join(", ")})`,
    );
  }
  if (unexplained.length > 0) {
    lines.push(`skip needs a reason for: ${unexplained.map((k) => JSON.stringify(k)).join(", ")}`);
  }
  throw new NncError(
    unknown.length > 0 ? "NNC1005" : "NNC1002",
    `describeBackendConformance: ${lines.join("; ")}`,
  );
}

/**
 * The interface checks: a non-empty name, the plugin API version this nnc implements, a boolean
 * `supports` answer for every op and dtype, and an `emit` that is pure (the same program twice
 * gives equal modules stamped with the backend's name) and whose module instantiates.
 */
export async function checkInterface(backend: Backend): Promise<void> {
  if (typeof backend.name !== "string" || backend.name.length === 0) {
    throw new ConformanceError(
      `backend.name must be a non-empty string, got ${String(backend.name)}`,
    );
  }
  if (backend.apiVersion !== BACKEND_API_VERSION) {
    throw new ConformanceError(
      `backend "${backend.name}" implements plugin API ${backend.apiVersion}; this nnc needs ${BACKEND_API_VERSION}`,
    );
  }
  for (const op of OP_NAMES) {
    for (const dtype of DTYPES) {
      const answer: unknown = backend.supports(op, dtype);
      if (typeof answer !== "boolean") {
        throw new ConformanceError(
          `backend "${backend.name}": supports(${JSON.stringify(op)}, ${JSON.stringify(dtype)}) returned ${String(answer)}, not a boolean`,
        );
      }
    }
  }
  const graph = sampleGraph("add", {
    inputs: [
      { shape: [2, 3], dtype: "float32" },
      { shape: [3], dtype: "float32" },
    ],
    attrs: {},
  });
  const exe = await compile(graph, { backend });
  const again = backend.emit(exe.program);
  if (JSON.stringify(again) !== JSON.stringify(exe.module)) {
    throw new ConformanceError(
      `backend "${backend.name}": emit is not pure: the same program gave two different modules`,
    );
  }
  if (exe.module.backend !== backend.name || exe.module.apiVersion !== BACKEND_API_VERSION) {
    throw new ConformanceError(
      `backend "${backend.name}": emitted module says backend "${exe.module.backend}", API ${exe.module.apiVersion}`,
    );
  }
  if (typeof exe.module.source !== "string") {
    throw new ConformanceError(`backend "${backend.name}": emitted module has no source text`);
  }
}

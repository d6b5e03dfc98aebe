import {
  BACKEND_API_VERSION,
  type Backend,
  type EmittedModule,
  type Graph,
  initialParams,
  NncError,
  type Program,
} from "@nnc/core";
import { type CompileReport, createExecutable, type Executable } from "./executable.js";
import { type MemoryPlanOptions, planMemory } from "./memory/plan-memory.js";
import type { Optimizer } from "./optimizers/optimizer.js";
import { PassManager, type PassManagerOptions } from "./passes/pass-manager.js";
import { INFERENCE_PIPELINE, trainingPipeline } from "./passes/pipelines.js";

/** Options of {@link compile}. */
export interface CompileOptions {
  /** The backend plugin, e.g. `cpu()` from `@nnc/backend-cpu`. */
  readonly backend: Backend;
  /** "infer" (default) or "train" (then `loss` and `optimizer` are required). */
  readonly mode?: "infer" | "train";
  /** The scalar output to minimise (training). */
  readonly loss?: string;
  /** The optimizer (training), e.g. `sgd({ lr: 0.01 })`. */
  readonly optimizer?: Optimizer;
  /** Parameters to train; default every trainable parameter. */
  readonly wrt?: readonly string[];
  /** Pass manager options: disable passes, dump graphs, verify. */
  readonly passes?: PassManagerOptions;
  /** Memory planning options (recomputation, in-place, alignment). */
  readonly memory?: MemoryPlanOptions;
}

/**
 * Compiles a graph for a backend: runs the inference or training pipeline, plans memory, has the
 * backend emit and load code, and initialises the parameters from their initialisers.
 *
 * ```ts
 * const exe = await compile(graph, { backend: cpu(), mode: "train", loss: "loss", optimizer: sgd({ lr: 0.01 }) });
 * const loss = exe.step({ x, y });
 * ```
 */
export async function compile(graph: Graph, options: CompileOptions): Promise<Executable> {
  return loadProgram(await compileProgram(graph, options), options.backend);
}

/**
 * A compiled program and its emitted module, before any backend loads it: what `nnc compile`
 * writes out, which needs no device (a WebGL program can be emitted in Node).
 */
export interface CompiledProgram {
  readonly program: Program;
  readonly module: EmittedModule;
  readonly report: CompileReport;
  /** The loss output of a training program. */
  readonly loss: string | undefined;
  /**
   * Initial values of every parameter and state value, from their initialisers, by name (in
   * float64: a backend stores them at its own precision).
   */
  readonly initialParams: Readonly<Record<string, Float64Array>>;
}

/**
 * Everything {@link compile} does short of loading the program: runs the pipeline, plans memory
 * and has the backend emit its module. {@link loadProgram} then instantiates it.
 */
export async function compileProgram(
  graph: Graph,
  options: CompileOptions,
): Promise<CompiledProgram> {
  const { backend } = options;
  checkBackend(backend);
  const mode = options.mode ?? "infer";
  if (mode !== "infer" && mode !== "train") {
    throw new NncError(
      "NNC1002",
      `compile: mode must be "infer" or "train", got ${JSON.stringify(mode)}`,
    );
  }
  if (mode === "train") {
    if (!options.loss)
      throw new NncError(
        "NNC1002",
        `compile: training needs a loss (the name of a scalar output; outputs: ${graph.outputs.map((o) => JSON.stringify(o.name)).join(", ")})`,
      );
    if (!graph.outputs.some((o) => o.name === options.loss)) {
      throw new NncError(
        "NNC1005",
        `compile: loss "${options.loss}" is not an output of "${graph.name}" (outputs: ${graph.outputs.map((o) => JSON.stringify(o.name)).join(", ")})`,
      );
    }
    if (!options.optimizer)
      throw new NncError("NNC1002", "compile: training needs an optimizer, e.g. sgd({ lr: 0.01 })");
  }
  const pipeline =
    mode === "train"
      ? trainingPipeline({
          loss: options.loss!,
          optimizer: options.optimizer!,
          ...(options.wrt && { wrt: options.wrt }),
        })
      : INFERENCE_PIPELINE;
  const { graph: optimized, reports } = new PassManager(options.passes).run(graph, pipeline, mode);
  const alignment = options.memory?.alignment ?? 64;
  // Backends address values through Float32Array/Int32Array views of one arena: offsets must be
  // multiples of 4 (the planner's default, 64, is a cache line).
  if (!Number.isInteger(alignment) || alignment < 4 || alignment % 4 !== 0) {
    throw new NncError(
      "NNC1002",
      `compile: memory.alignment must be a positive multiple of 4 bytes, got ${alignment}`,
    );
  }
  const plan = planMemory(optimized, options.memory);

  for (const node of plan.graph.nodes) {
    if (node.op === "input" || node.op === "param" || node.op === "constant") continue;
    if (!backend.supports(node.op, node.type.dtype)) {
      throw new NncError(
        "NNC4006",
        `backend "${backend.name}" does not support ${node.op} producing ${node.type.dtype}`,
        {
          op: node.op,
          node: node.name,
          ...(node.loc && { location: node.loc }),
        },
      );
    }
  }
  const program: Program = {
    apiVersion: BACKEND_API_VERSION,
    mode,
    graph: plan.graph,
    kernels: plan.kernels,
    buffers: plan.buffers.buffers.map((b) => ({
      node: b.node,
      region: b.region,
      offset: b.offset,
      bytes: b.bytes,
      ...(b.inPlaceOf !== undefined && { inPlaceOf: b.inPlaceOf }),
    })),
    arenaBytes: plan.buffers.arenaBytes,
    alignment: plan.buffers.alignment,
  };
  const module = backend.emit(program);
  const initial = initialParams(plan.graph);

  const opCounts: Record<string, number> = {};
  for (const node of plan.graph.nodes) {
    if (node.op !== "input" && node.op !== "param" && node.op !== "constant")
      opCounts[node.op] = (opCounts[node.op] ?? 0) + 1;
  }
  const kernels: Record<string, number> = {};
  for (const kernel of plan.kernels) kernels[kernel.kind] = (kernels[kernel.kind] ?? 0) + 1;
  const report: CompileReport = {
    backend: backend.name,
    mode,
    passes: reports,
    memory: plan.report,
    kernels,
    opCounts,
    moduleBytes: module.source.length,
  };
  return {
    program,
    module,
    report,
    loss: options.loss,
    initialParams: initial,
  };
}

/**
 * Loads a compiled program on `backend` (the one that emitted it) and sets its parameters to
 * their initial values: the executable {@link compile} returns.
 */
export async function loadProgram(
  compiled: CompiledProgram,
  backend: Backend,
): Promise<Executable> {
  checkBackend(backend);
  const { program, module } = compiled;
  const instance = await backend.instantiate(module, program);
  for (const node of program.graph.params) {
    instance.write(node.id, compiled.initialParams[node.name]!);
  }
  return createExecutable(program, module, instance, compiled.report, compiled.loss);
}

function checkBackend(backend: Backend | undefined): void {
  if (
    !backend ||
    typeof backend !== "object" ||
    typeof backend.emit !== "function" ||
    typeof backend.instantiate !== "function"
  ) {
    throw new NncError(
      "NNC4006",
      "compile: `backend` must be a backend plugin object, e.g. cpu() from @nnc/backend-cpu",
    );
  }
  if (backend.apiVersion !== BACKEND_API_VERSION) {
    throw new NncError(
      "NNC4006",
      `backend "${backend.name}" implements plugin API version ${backend.apiVersion}, but this nnc needs version ${BACKEND_API_VERSION}`,
    );
  }
}

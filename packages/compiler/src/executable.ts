import {
  type BackendInstance,
  type EmittedModule,
  formatShape,
  type Graph,
  NncError,
  type Node,
  type Program,
  type Shape,
  sizeOf,
} from "@nnc/core";
import type { MemoryReport } from "./memory/plan-memory.js";
import type { PassReport } from "./passes/pass-manager.js";

/** A typed array as the executables return them: float32, int32, or bool as bytes. */
export type TensorData = Float32Array | Int32Array | Uint8Array;

/** Named arrays fed to an executable (row-major, any numeric array-like). */
export type TensorFeeds = Readonly<Record<string, ArrayLike<number>>>;

/** An input or output of an executable. */
export interface TensorSpec {
  readonly name: string;
  readonly shape: Shape;
  readonly dtype: "float32" | "int32" | "bool";
}

/** What compilation did and what the program needs (`exe.report`). */
export interface CompileReport {
  readonly backend: string;
  readonly mode: "infer" | "train";
  /** Every pass with its timing and notes. */
  readonly passes: readonly PassReport[];
  readonly memory: MemoryReport;
  /** Kernel counts by kind (single, elementwise, epilogue, prologue). */
  readonly kernels: Readonly<Record<string, number>>;
  /** Compute ops of the final program by op name. */
  readonly opCounts: Readonly<Record<string, number>>;
  /** Size of the emitted module in bytes. */
  readonly moduleBytes: number;
}

/**
 * A compiled program, ready to run. Memory is allocated once when it is created; running it
 * allocates nothing but the returned copies. There is no dispose: drop the object.
 */
export interface Executable {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly report: CompileReport;
  /** The backend's emitted module (what `nnc compile` writes out). */
  readonly module: EmittedModule;
  /** The program the backend compiled. */
  readonly program: Program;
  /** Inference: runs the program on `inputs` and returns every output. */
  run(inputs: TensorFeeds): Record<string, TensorData>;
  /** Training: one step on `batch`; parameters and optimizer state are updated in place. Returns the loss. */
  step(batch: TensorFeeds): number;
  /**
   * A copy of output `name` as the last `run` or `step` computed it (e.g. the logits of the
   * batch a training step just saw, for training accuracy without a second forward pass).
   */
  readOutput(name: string): TensorData;
  /** Copies of every parameter and state value (optimizer slots, BatchNorm statistics), by name. */
  getParams(): Record<string, Float32Array>;
  /** Replaces some or all parameters and state values by name. */
  setParams(params: TensorFeeds): void;
}

/** Builds the executable around a backend instance. @internal */
export function createExecutable(
  program: Program,
  module: EmittedModule,
  instance: BackendInstance,
  report: CompileReport,
  loss: string | undefined,
): Executable {
  const graph = program.graph;
  const inputs = graph.inputs;
  const params = graph.params;
  const spec = (node: Node, name = node.name): TensorSpec => ({
    name,
    shape: node.type.shape,
    dtype: node.type.dtype,
  });
  const execute = (feeds: TensorFeeds, what: string) => {
    writeInputs(graph, inputs, instance, feeds, what);
    instance.run();
  };
  return {
    inputs: inputs.map((n) => spec(n)),
    outputs: graph.outputs.map((o) => spec(graph.node(o.node), o.name)),
    report,
    module,
    program,
    run(feeds) {
      if (program.mode === "train") {
        throw new NncError(
          "NNC4005",
          'this executable was compiled for training: call step(batch), or compile the graph with mode "infer" to run it',
        );
      }
      execute(feeds, "run");
      return Object.fromEntries(graph.outputs.map((o) => [o.name, instance.read(o.node)]));
    },
    step(batch) {
      if (program.mode !== "train" || loss === undefined) {
        throw new NncError(
          "NNC4005",
          'this executable was compiled for inference: call run(inputs), or compile with mode "train", a loss and an optimizer',
        );
      }
      execute(batch, "step");
      const output = graph.outputs.find((o) => o.name === loss)!;
      return instance.read(output.node)[0]!;
    },
    readOutput(name) {
      const output = graph.outputs.find((o) => o.name === name);
      if (!output) {
        throw new NncError(
          "NNC1005",
          `readOutput: "${name}" is not an output of "${graph.name}" (outputs: ${graph.outputs.map((o) => JSON.stringify(o.name)).join(", ")})`,
        );
      }
      return instance.read(output.node);
    },
    getParams() {
      return Object.fromEntries(
        params.map((p) => [p.name, Float32Array.from(instance.read(p.id))]),
      );
    },
    setParams(values) {
      for (const [name, data] of Object.entries(values)) {
        const node = params.find((p) => p.name === name);
        if (!node) {
          throw new NncError(
            "NNC4003",
            `setParams: "${name}" is not a parameter of "${graph.name}" (parameters: ${params.map((p) => JSON.stringify(p.name)).join(", ")})`,
          );
        }
        checkSize(node, data, "setParams");
        instance.write(node.id, data);
      }
    },
  };
}

function writeInputs(
  graph: Graph,
  inputs: readonly Node[],
  instance: BackendInstance,
  feeds: TensorFeeds,
  what: string,
): void {
  for (const name of Object.keys(feeds)) {
    if (!inputs.some((n) => n.name === name)) {
      const hint = graph.params.some((p) => p.name === name)
        ? "; it is a parameter: use setParams"
        : "";
      throw new NncError(
        "NNC4003",
        `${what}: "${name}" is not an input of "${graph.name}" (inputs: ${inputs.map((n) => JSON.stringify(n.name)).join(", ")})${hint}`,
      );
    }
  }
  for (const node of inputs) {
    const data = feeds[node.name];
    if (data === undefined) {
      throw new NncError(
        "NNC4001",
        `${what}: input "${node.name}" (${node.type.dtype}${formatShape(node.type.shape)}) was not given`,
      );
    }
    checkSize(node, data, what);
    checkDtype(node, data, what);
    instance.write(node.id, data);
  }
}

function checkSize(node: Node, data: ArrayLike<number>, what: string): void {
  const n = sizeOf(node.type.shape);
  if (!data || typeof data.length !== "number" || data.length !== n) {
    throw new NncError(
      "NNC4002",
      `${what}: "${node.name}" has shape ${formatShape(node.type.shape)} (${n} values) but ${data?.length ?? "no"} values were given`,
    );
  }
}

function checkDtype(node: Node, data: ArrayLike<number>, what: string): void {
  if (node.type.dtype === "float32") return;
  // Any numeric array is accepted for integer inputs as long as it holds integers (0/1 for bool).
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    const ok =
      node.type.dtype === "bool"
        ? v === 0 || v === 1
        : Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
    if (!ok) {
      throw new NncError(
        "NNC4004",
        `${what}: input "${node.name}" is ${node.type.dtype} but element ${i} is ${v}`,
      );
    }
  }
}

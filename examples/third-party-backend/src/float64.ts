import {
  BACKEND_API_VERSION,
  type Backend,
  type BackendInstance,
  type DType,
  type EmittedModule,
  isOpName,
  NncError,
  type Node,
  type OpDef,
  type OpName,
  opDef,
  type Program,
  type RefTensor,
  sizeOf,
  type TensorType,
} from "@nnc/core";
import {
  type LoadedProgram,
  PROGRAM_FORMAT,
  programToSource,
  sourceToProgram,
} from "./program-json.js";

/** The name this backend reports and stamps on its modules. */
export const BACKEND_NAME = "float64";

// #region factory
/**
 * A backend that runs every primitive op in float64 arithmetic: a complete third-party plugin
 * written against `@nnc/core`'s public API only.
 *
 * - `emit` writes a JSON description of the program (see `ProgramJson`): the graph in core's
 *   graph format plus the execution order. It is pure, as the plugin interface requires.
 * - `instantiate` reads that JSON back (not the live `Program`, so a module saved to disk loads
 *   the same way) and interprets it: one Float64Array per node, each compute node evaluated with
 *   the op's reference rule from core's registry (`opDef(op).evaluate`).
 *
 * float32 values are kept in float64 between ops (more accurate than a float32 backend, the
 * reason to have this one: checking how much precision a model loses), int32 results wrap like
 * an Int32Array store and bool results are 0/1. `read` returns the interface's typed arrays, so
 * float32 values are rounded there, at the boundary.
 *
 * ```ts
 * import { compile } from "@nnc/compiler";
 * import { float64 } from "nnc-backend-float64";
 * const exe = await compile(graph, { backend: float64() });
 * ```
 */
export function float64(): Backend {
  return {
    name: BACKEND_NAME,
    apiVersion: BACKEND_API_VERSION,
    supports: (op: OpName, _dtype: DType) => isOpName(op) && opDef(op).kind === "primitive",
    emit: (program: Program): EmittedModule => ({
      backend: BACKEND_NAME,
      apiVersion: BACKEND_API_VERSION,
      source: programToSource(program),
      metadata: {
        format: PROGRAM_FORMAT,
        nodes: program.graph.nodes.length,
        kernels: program.kernels.length,
      },
    }),
    instantiate: async (module: EmittedModule) => {
      if (module.backend !== BACKEND_NAME || module.apiVersion !== BACKEND_API_VERSION) {
        throw new NncError(
          "NNC4006",
          `float64 backend: cannot load a module emitted by "${module.backend}" (plugin API ${module.apiVersion})`,
        );
      }
      return loadProgram(module.source);
    },
  };
}
// #endregion factory

/** A compute step, resolved once at load: the node, its op record and its operands' types. */
interface Step {
  readonly node: Node;
  readonly def: OpDef<Readonly<Record<string, unknown>>>;
  readonly types: readonly TensorType[];
}

/**
 * Loads a module source emitted by {@link float64} into a runnable instance, without the
 * compiler: what a standalone loader (or `instantiate`) calls.
 */
export function loadProgram(source: string): BackendInstance {
  return createInstance(sourceToProgram(source));
}

function createInstance({ graph, schedule }: LoadedProgram): BackendInstance {
  // All memory is allocated here, once; runs allocate nothing but what `evaluate` returns.
  const values = graph.nodes.map((node) => new Float64Array(sizeOf(node.type.shape)));
  const steps: Step[] = schedule.map((id) => {
    const node = graph.node(id);
    if (!isOpName(node.op) || opDef(node.op).kind !== "primitive") {
      throw new NncError(
        "NNC4006",
        `float64 backend: scheduled node %${id} "${node.name}" is ${node.op}, not a primitive op`,
      );
    }
    return { node, def: opDef(node.op), types: node.inputs.map((i) => graph.node(i).type) };
  });
  const updates = graph.updates.map((u) => {
    const param = graph.findNode(u.param);
    if (!param) {
      throw new NncError(
        "NNC4006",
        `float64 backend: state update of unknown parameter "${u.param}"`,
      );
    }
    return { param: values[param.id]!, value: values[u.node]! };
  });
  const nodeAt = (id: number, what: string): Node => {
    const node = Number.isInteger(id) ? graph.nodes[id] : undefined;
    if (!node) throw new NncError("NNC4003", `float64 backend: ${what}: graph has no node %${id}`);
    return node;
  };

  for (const node of graph.nodes) {
    if (node.op === "constant") store(node, values[node.id]!, node.attrs.value as number[]);
  }

  // #region instance
  return {
    write(id, data) {
      const node = nodeAt(id, "write");
      const target = values[id]!;
      if (data.length !== target.length) {
        throw new NncError(
          "NNC4002",
          `float64 backend: write: %${id} "${node.name}" holds ${target.length} values but ${data.length} were given`,
        );
      }
      store(node, target, data);
    },
    read(id) {
      const node = nodeAt(id, "read");
      const value = values[id]!;
      switch (node.type.dtype) {
        case "float32":
          return Float32Array.from(value);
        case "int32":
          return Int32Array.from(value);
        case "bool":
          return Uint8Array.from(value);
      }
    },
    run() {
      for (const { node, def, types } of steps) {
        // Operands are passed without copying: reference rules never write to their inputs.
        const operands: RefTensor[] = node.inputs.map((i) => ({
          shape: graph.node(i).type.shape,
          data: values[i]!,
        }));
        // Copy the result into the node's own storage: a rule may return an operand's array
        // (reshape), and values must not alias each other.
        store(node, values[node.id]!, def.evaluate(operands, node.attrs, types).data);
      }
      // Read every new state value before writing any: an update may read another parameter.
      const next = updates.map((u) => u.value.slice());
      for (const [k, u] of updates.entries()) u.param.set(next[k]!);
    },
  };
  // #endregion instance
}

/** Stores values with the node's dtype semantics: float64 kept, int32 wrapped, bool 0/1. */
function store(node: Node, target: Float64Array, data: ArrayLike<number>): void {
  if (data.length !== target.length) {
    throw new NncError(
      "NNC4006",
      `float64 backend: %${node.id} "${node.name}" (${node.op}) produced ${data.length} values for ${target.length} elements`,
    );
  }
  switch (node.type.dtype) {
    case "float32":
      target.set(data);
      return;
    case "int32":
      // ToInt32, as an Int32Array store does (NaN → 0, wrap modulo 2³²).
      for (let i = 0; i < data.length; i++) target[i] = data[i]! | 0;
      return;
    case "bool":
      for (let i = 0; i < data.length; i++) target[i] = data[i] ? 1 : 0;
      return;
  }
}

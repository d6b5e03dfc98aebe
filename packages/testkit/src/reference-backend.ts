import {
  BACKEND_API_VERSION,
  type Backend,
  type BackendInstance,
  dtypeByteSize,
  dtypeShortName,
  type EmittedModule,
  formatShape,
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

/** The name the reference backend reports and stamps on its modules. */
const NAME = "reference";

type View = Float32Array | Int32Array | Uint8Array;

/**
 * A complete backend that runs every primitive with core's float64 reference evaluator, faithful
 * to the plugin interface: all values live in one `ArrayBuffer` of `program.arenaBytes` bytes,
 * each at its planned offset, seen through a Float32Array, Int32Array or Uint8Array (bool) view,
 * so results are rounded to float32 (wrapped to int32, 0/1 for bool) when they are stored and a
 * memory-planning bug (two live values sharing bytes) shows up as a wrong result. Kernels run in
 * program order; within a fused kernel every node still reads its operands from, and writes its
 * result to, its own planned buffer (operands are read before the result is written, as an
 * in-place kernel does). After the last kernel each state update is copied into its parameter.
 *
 * It is the worked example for backend authors and the oracle-shaped backend for tools (the
 * CLI), not a fast one: it allocates while it runs. Its emitted "module" is a listing of the
 * schedule and the arena layout, for reading.
 *
 * ```ts
 * const exe = await compile(graph, { backend: referenceBackend() });
 * ```
 */
export function referenceBackend(): Backend {
  return instrumentedReferenceBackend();
}

/**
 * Test hooks of the reference backend, to build deliberately broken backends that the
 * conformance suite must reject. @internal
 */
export interface ReferenceHooks {
  /** Called after each node's result is stored, with the stored view (which it may alter). */
  readonly afterNode?: (
    node: Node,
    stored: Float32Array | Int32Array | Uint8Array,
    operands: readonly RefTensor[],
  ) => void;
  /** False to skip writing state updates into their parameters after a run. */
  readonly updates?: boolean;
}

/** The reference backend with test hooks (see {@link ReferenceHooks}). @internal */
export function instrumentedReferenceBackend(hooks: ReferenceHooks = {}): Backend {
  return {
    name: NAME,
    apiVersion: BACKEND_API_VERSION,
    supports: (op: OpName) => isOpName(op) && opDef(op).kind === "primitive",
    emit: (program: Program): EmittedModule => ({
      backend: NAME,
      apiVersion: BACKEND_API_VERSION,
      source: listProgram(program),
      metadata: {
        arenaBytes: program.arenaBytes,
        kernels: program.kernels.length,
        nodes: program.graph.nodes.length,
      },
    }),
    instantiate: async (module: EmittedModule, program: Program) =>
      createInstance(module, program, hooks),
  };
}

/** The emitted text: one line per arena buffer and per kernel node (what runs, where it lives). */
function listProgram(program: Program): string {
  const { graph } = program;
  const place = (node: Node): string => {
    const buffer = program.buffers[node.id]!;
    const inPlace = buffer.inPlaceOf === undefined ? "" : ` in place of %${buffer.inPlaceOf}`;
    return `${dtypeShortName(node.type.dtype)}${formatShape(node.type.shape)} @${buffer.offset}+${buffer.bytes}${inPlace}`;
  };
  const lines = [
    `// nnc reference backend, plugin API ${program.apiVersion}: graph ${JSON.stringify(graph.name)}, mode ${program.mode}`,
    `// arena ${program.arenaBytes} bytes, alignment ${program.alignment}`,
  ];
  for (const node of graph.nodes) {
    if (node.op === "input" || node.op === "param" || node.op === "constant") {
      lines.push(`%${node.id} ${node.op} ${JSON.stringify(node.name)}: ${place(node)}`);
    }
  }
  for (const [k, kernel] of program.kernels.entries()) {
    lines.push(`kernel ${k} (${kernel.kind})`);
    for (const id of kernel.nodes) {
      const node = graph.node(id);
      const operands = node.inputs.map((i) => `%${i}`).join(", ");
      const attrs = Object.keys(node.attrs).length === 0 ? "" : ` ${JSON.stringify(node.attrs)}`;
      lines.push(`  %${id} = ${node.op}(${operands})${attrs}: ${place(node)}`);
    }
  }
  for (const update of graph.updates) {
    lines.push(`update ${JSON.stringify(update.param)} <- %${update.node}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A compute step: the node, its op record and its operands' types, resolved once. */
interface Step {
  readonly node: Node;
  readonly def: OpDef<Readonly<Record<string, unknown>>>;
  readonly types: readonly TensorType[];
}

function createInstance(
  module: EmittedModule,
  program: Program,
  hooks: ReferenceHooks,
): BackendInstance {
  if (module.backend !== NAME || module.apiVersion !== BACKEND_API_VERSION) {
    throw new NncError(
      "NNC4006",
      `reference backend: cannot load a module emitted by "${module.backend}" (plugin API ${module.apiVersion})`,
    );
  }
  const { graph } = program;
  const arena = new ArrayBuffer(program.arenaBytes);
  const views: View[] = graph.nodes.map((node) => viewOf(arena, program, node));
  const steps: Step[] = program.kernels.flatMap((kernel) =>
    kernel.nodes.map((id) => {
      const node = graph.node(id);
      if (!isOpName(node.op) || opDef(node.op).kind !== "primitive") {
        throw new NncError(
          "NNC4006",
          `reference backend: kernel node %${id} "${node.name}" is ${node.op}, not a primitive op`,
        );
      }
      return { node, def: opDef(node.op), types: node.inputs.map((i) => graph.node(i).type) };
    }),
  );
  const updates = graph.updates.map((u) => ({
    param: views[graph.findNode(u.param)!.id]!,
    value: views[u.node]!,
  }));
  const view = (id: number, what: string): View => {
    const v = Number.isInteger(id) ? views[id] : undefined;
    if (!v) {
      throw new NncError("NNC4003", `reference backend: ${what}: graph has no node %${id}`);
    }
    return v;
  };
  const store = (target: View, data: ArrayLike<number>): void => {
    // Typed-array conversion is the storing rule: round to float32, ToInt32 for int32.
    if (target instanceof Uint8Array)
      for (let i = 0; i < data.length; i++) target[i] = data[i] ? 1 : 0;
    else target.set(data);
  };

  for (const node of graph.nodes) {
    if (node.op === "constant") store(views[node.id]!, node.attrs.value as number[]);
  }

  return {
    write(node, data) {
      const target = view(node, "write");
      if (data.length !== target.length) {
        throw new NncError(
          "NNC4002",
          `reference backend: write: %${node} "${graph.node(node).name}" holds ${target.length} values but ${data.length} were given`,
        );
      }
      store(target, data);
    },
    read: (node) => view(node, "read").slice(),
    run() {
      for (const { node, def, types } of steps) {
        const operands: RefTensor[] = node.inputs.map((i) => ({
          shape: graph.node(i).type.shape,
          data: Float64Array.from(views[i]!),
        }));
        store(views[node.id]!, def.evaluate(operands, node.attrs, types).data);
        hooks.afterNode?.(node, views[node.id]!, operands);
      }
      if (hooks.updates === false) return;
      // Read every new state value before writing any: an update may read another parameter.
      const values = updates.map((u) => u.value.slice());
      for (const [k, u] of updates.entries()) u.param.set(values[k]!);
    },
  };
}

/** The typed-array view of a node's planned buffer, after checking it fits the arena. */
function viewOf(arena: ArrayBuffer, program: Program, node: Node): View {
  const buffer = program.buffers[node.id];
  const count = sizeOf(node.type.shape);
  const size = dtypeByteSize(node.type.dtype);
  const fail = (why: string): never => {
    throw new NncError(
      "NNC4006",
      `reference backend: buffer of %${node.id} "${node.name}" ${why} (program of graph "${program.graph.name}")`,
    );
  };
  if (!buffer || buffer.node !== node.id) return fail("is missing");
  if (buffer.bytes !== count * size) fail(`has ${buffer.bytes} bytes for ${count} elements`);
  if (buffer.offset < 0 || buffer.offset + buffer.bytes > program.arenaBytes) {
    fail(`at ${buffer.offset}+${buffer.bytes} lies outside the ${program.arenaBytes}-byte arena`);
  }
  if (buffer.offset % size !== 0) fail(`at offset ${buffer.offset} is not ${size}-byte aligned`);
  switch (node.type.dtype) {
    case "float32":
      return new Float32Array(arena, buffer.offset, count);
    case "int32":
      return new Int32Array(arena, buffer.offset, count);
    case "bool":
      return new Uint8Array(arena, buffer.offset, count);
  }
}

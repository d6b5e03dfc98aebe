import {
  BACKEND_API_VERSION,
  type BackendInstance,
  dtypeByteSize,
  type EmittedModule,
  formatShape,
  NncError,
  type Program,
  sizeOf,
} from "@nnc/core";

/** What an emitted module's default export returns. */
interface LoadedProgram {
  run(): void;
}

type CreateProgram = (arena: ArrayBuffer) => LoadedProgram;

const MODULE_PREFIX = "export default ";

/**
 * Turns emitted module source into its `createProgram` function without the module loader:
 * the leading `export default ` is dropped and the rest evaluated with `new Function`, which
 * behaves the same in Node and in browsers (no file, data: URL or blob needed).
 */
export function loadModule(source: string): CreateProgram {
  if (!source.startsWith(MODULE_PREFIX)) {
    throw new Error("nnc bug: cpu backend: emitted module does not start with `export default `");
  }
  const body = source.slice(MODULE_PREFIX.length);
  return new Function(`${body}\nreturn createProgram;`)() as CreateProgram;
}

/**
 * Loads an emitted module for `program`: allocates the arena once (`program.arenaBytes`),
 * writes the constants into it and returns the instance that reads, writes and runs it.
 */
export async function instantiateModule(
  module: EmittedModule,
  program: Program,
): Promise<BackendInstance> {
  if (module.backend !== "cpu" || module.apiVersion !== BACKEND_API_VERSION) {
    throw new NncError(
      "NNC4006",
      `the cpu backend cannot load a module emitted by backend "${module.backend}" (API version ${module.apiVersion})`,
    );
  }
  const create = loadModule(module.source);
  // Typed-array views need a byte length that is a multiple of their element size.
  const arena = new ArrayBuffer(Math.ceil(program.arenaBytes / 8) * 8);
  const views = {
    float32: new Float32Array(arena),
    int32: new Int32Array(arena),
    bool: new Uint8Array(arena),
  };
  const { graph } = program;
  const place = (id: number) => {
    const node = graph.node(id);
    const { dtype } = node.type;
    const view = views[dtype];
    const base = program.buffers[id]!.offset / dtypeByteSize(dtype);
    return { node, dtype, view, base, size: sizeOf(node.type.shape) };
  };
  const write = (id: number, data: ArrayLike<number>): void => {
    const { node, dtype, view, base, size } = place(id);
    if (data.length !== size) {
      throw new NncError(
        "NNC4002",
        `${node.op} "${node.name}" has shape ${formatShape(node.type.shape)} (${size} values) but ${data.length} were given`,
        { node: node.name },
      );
    }
    if (dtype === "bool") {
      for (let i = 0; i < size; i++) view[base + i] = data[i] ? 1 : 0;
    } else {
      // Int32Array conversion truncates toward zero (NaN → 0), as the reference reads int32 feeds.
      view.set(data, base);
    }
  };
  for (const node of graph.nodes) {
    if (node.op === "constant") write(node.id, node.attrs.value as number[]);
  }
  const loaded = create(arena);
  return {
    write,
    read: (id) => {
      const { view, base, size } = place(id);
      return view.slice(base, base + size);
    },
    run: () => loaded.run(),
  };
}

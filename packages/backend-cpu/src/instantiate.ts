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
import { wasmScratchLayout } from "./kernels/matmul.js";
import { wasmGemmModule, wasmSimdSupported } from "./wasm/gemm-wasm.js";

/** What an emitted module's default export returns. */
interface LoadedProgram {
  run(): void;
}

type CreateProgram = (arena: ArrayBuffer, wasm?: WebAssembly.Exports) => LoadedProgram;

/** How to load a module. */
export interface InstantiateOptions {
  /**
   * Run the GEMM (matmul and convolutions) on the WebAssembly SIMD kernel when the engine has
   * WebAssembly SIMD (default true); false keeps the JavaScript GEMM.
   */
  readonly wasm?: boolean;
}

let gemmModule: Promise<WebAssembly.Module> | undefined;

/** The Wasm memory holding the arena and the Wasm GEMM's scratch, and the GEMM's exports. */
async function wasmArena(
  module: EmittedModule,
  program: Program,
): Promise<{ arena: ArrayBuffer; exports: WebAssembly.Exports }> {
  const stated = module.metadata.wasmMemoryBytes;
  const bytes = typeof stated === "number" ? stated : wasmScratchLayout(program).end;
  // Sized once and never grown, so the module's typed-array views stay valid.
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  gemmModule ??= WebAssembly.compile(wasmGemmModule());
  const instance = await WebAssembly.instantiate(await gemmModule, { env: { memory } });
  return { arena: memory.buffer, exports: instance.exports };
}

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
 * Loads an emitted module for `program`: allocates the arena once (`program.arenaBytes`; with
 * WebAssembly SIMD, a fixed-size Wasm memory holding the arena and the Wasm GEMM's scratch),
 * writes the constants into it and returns the instance that reads, writes and runs it.
 */
/** A loaded CPU program; `gemm` says which matrix-multiply kernel it runs. */
export interface CpuInstance extends BackendInstance {
  readonly gemm: "wasm" | "js";
}

export async function instantiateModule(
  module: EmittedModule,
  program: Program,
  options: InstantiateOptions = {},
): Promise<CpuInstance> {
  if (module.backend !== "cpu" || module.apiVersion !== BACKEND_API_VERSION) {
    throw new NncError(
      "NNC4006",
      `the cpu backend cannot load a module emitted by backend "${module.backend}" (API version ${module.apiVersion})`,
    );
  }
  const create = loadModule(module.source);
  let arena: ArrayBuffer;
  let exports: WebAssembly.Exports | undefined;
  const wasm =
    options.wasm !== false && wasmSimdSupported()
      ? // A page whose policy forbids compiling WebAssembly (CSP) gets the JavaScript GEMM.
        await wasmArena(module, program).catch(() => undefined)
      : undefined;
  if (wasm) {
    ({ arena, exports } = wasm);
  } else {
    // Typed-array views need a byte length that is a multiple of their element size.
    arena = new ArrayBuffer(Math.ceil(program.arenaBytes / 8) * 8);
  }
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
  const loaded = create(arena, exports);
  return {
    gemm: exports ? "wasm" : "js",
    write,
    read: (id) => {
      const { view, base, size } = place(id);
      return view.slice(base, base + size);
    },
    run: () => loaded.run(),
  };
}

import type { CompiledProgram } from "@nnc/compiler";
import { type DType, dtypeByteSize, NncError, type Node, sizeOf } from "@nnc/core";
import { RUNTIME_SOURCE } from "./runtime-source.js";

/** What the emitters read: the compiled program and the backend's module. */
type ProgramAndModule = Pick<CompiledProgram, "program" | "module">;

/** Where one named tensor lives in the arena of a standalone module. */
export interface StandaloneTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Byte offset in the arena. */
  readonly offset: number;
}

/** Everything a standalone module needs to know about its program besides the kernel code. */
export interface StandaloneLayout {
  readonly model: string;
  readonly mode: "infer" | "train";
  readonly arenaBytes: number;
  /**
   * Bytes of the Wasm memory holding the arena and the Wasm GEMM's scratch; null when the
   * backend did not state it (then the module always runs its JavaScript GEMM).
   */
  readonly wasmMemoryBytes: number | null;
  /** The output `step` returns (training only). */
  readonly loss: string | null;
  readonly weightsFile: string;
  readonly inputs: readonly StandaloneTensor[];
  readonly outputs: readonly StandaloneTensor[];
  /** Parameters and state (optimizer slots, BatchNorm statistics), read from the weights. */
  readonly params: readonly StandaloneTensor[];
  /** Constants as little-endian bytes in base64, written into the arena at load. */
  readonly constants: readonly {
    readonly dtype: DType;
    readonly offset: number;
    readonly base64: string;
  }[];
}

const MODULE_PREFIX = "export default ";

/** Computes the layout of `exe` for {@link emitStandaloneModule}. */
export function standaloneLayout(
  exe: ProgramAndModule,
  options: { readonly name: string; readonly loss?: string; readonly weightsFile: string },
): StandaloneLayout {
  const { program } = exe;
  const { graph } = program;
  const place = (node: Node, name = node.name): StandaloneTensor => ({
    name,
    dtype: node.type.dtype,
    shape: [...node.type.shape],
    offset: program.buffers[node.id]!.offset,
  });
  const outputs = graph.outputs.map((o) => place(graph.node(o.node), o.name));
  let loss: string | null = null;
  if (program.mode === "train") {
    const scalars = outputs.filter((o) => o.dtype === "float32" && sizeOf(o.shape) === 1);
    const chosen =
      options.loss ??
      (outputs.some((o) => o.name === "loss")
        ? "loss"
        : scalars.length === 1
          ? scalars[0]!.name
          : undefined);
    if (chosen === undefined || !scalars.some((o) => o.name === chosen)) {
      throw new NncError(
        "NNC1005",
        `standalone: cannot tell which output of "${graph.name}" is the loss${chosen === undefined ? "" : ` (${JSON.stringify(chosen)} is not a scalar float32 output)`}; pass { loss } (scalar outputs: ${scalars.map((o) => JSON.stringify(o.name)).join(", ")})`,
      );
    }
    loss = chosen;
  }
  const metadata = exe.module.metadata;
  return {
    model: options.name,
    mode: program.mode,
    arenaBytes: program.arenaBytes,
    wasmMemoryBytes: typeof metadata.wasmMemoryBytes === "number" ? metadata.wasmMemoryBytes : null,
    loss,
    weightsFile: options.weightsFile,
    inputs: graph.inputs.map((n) => place(n)),
    outputs,
    params: graph.params.map((n) => place(n)),
    constants: graph.nodes
      .filter((n) => n.op === "constant")
      .map((n) => ({
        dtype: n.type.dtype,
        offset: program.buffers[n.id]!.offset,
        base64: littleEndianBase64(n.type.dtype, n.attrs.value as readonly number[]),
      })),
  };
}

/** The values of a constant as the arena holds them, little-endian, in base64. */
function littleEndianBase64(dtype: DType, values: readonly number[]): string {
  const bytes = new Uint8Array(values.length * dtypeByteSize(dtype));
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => {
    if (dtype === "float32") view.setFloat32(4 * i, v, true);
    // Int32 conversion truncates toward zero (NaN → 0), as an Int32Array store does.
    else if (dtype === "int32") view.setInt32(4 * i, Math.trunc(v) || 0, true);
    else bytes[i] = v ? 1 : 0;
  });
  return Buffer.from(bytes).toString("base64");
}

/**
 * Emits `model.js`: the CPU backend's `createProgram` with the runtime that loads it (arena or
 * Wasm memory, constants, weights from safetensors) and checks feeds. Every name from the model
 * reaches the code only inside `JSON.stringify`d data, never as code; names are values, never
 * object-literal keys (so `__proto__` is just a string).
 */
export function emitStandaloneModule(
  exe: ProgramAndModule,
  layout: StandaloneLayout,
  wasmGemm: Uint8Array | undefined,
): string {
  const { module } = exe;
  if (module.backend !== "cpu") {
    throw new NncError(
      "NNC4006",
      `standalone: only modules of the cpu backend can be written as a standalone model.js, got "${module.backend}"`,
    );
  }
  if (!module.source.startsWith(MODULE_PREFIX)) {
    throw new Error("nnc bug: cpu backend: emitted module does not start with `export default `");
  }
  const createProgram = module.source.slice(MODULE_PREFIX.length);
  const wasm =
    wasmGemm && layout.wasmMemoryBytes !== null
      ? JSON.stringify(Buffer.from(wasmGemm).toString("base64"))
      : "null";
  return [
    `// ${jsonForScript(layout.model)}: a standalone model emitted by nnc (cpu backend). Do not edit.`,
    "// No dependencies: import it and call load(); see model.d.ts for its types.",
    "",
    `const MODEL = ${jsonForScript(layout)};`,
    `const WASM_GEMM = ${wasm};`,
    RUNTIME_SOURCE,
    LOADER_SOURCE,
    createProgram,
  ].join("\n");
}

/**
 * JSON text that is also safe anywhere in a script: JSON.stringify leaves U+2028/U+2029 raw,
 * and they would end a line comment.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[\u2028\u2029]/g, (c) =>
    c === "\u2028" ? "\\u2028" : "\\u2029",
  );
}

/**
 * Loader code shared by CPU and plugin modules: input/output specs and reading the weights file
 * next to the module (the file system in Node, fetch in browsers).
 */
export const COMMON_LOADER_SOURCE = `
function specOf(t) {
  return Object.freeze({ name: t.name, dtype: t.dtype, shape: Object.freeze(t.shape.slice()) });
}

/** The model's inputs: name, dtype and shape. */
export const inputs = Object.freeze(MODEL.inputs.map(specOf));
/** The model's outputs: name, dtype and shape. */
export const outputs = Object.freeze(MODEL.outputs.map(specOf));

async function readWeightsFile() {
  const url = new URL(MODEL.weightsFile, import.meta.url);
  if (url.protocol === "file:") {
    const fs = await import("node:fs/promises");
    return new Uint8Array(await fs.readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(MODEL.model + ": cannot fetch the weights " + url + " (" + response.status + ")");
  }
  return new Uint8Array(await response.arrayBuffer());
}
`;

/** The loader of the emitted module (plain JavaScript, see {@link emitStandaloneModule}). */
const LOADER_SOURCE = `${COMMON_LOADER_SOURCE}
async function wasmArena() {
  // Sized once and never grown, so the typed-array views stay valid.
  const pages = Math.max(1, Math.ceil(MODEL.wasmMemoryBytes / 65536));
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const { instance } = await WebAssembly.instantiate(decodeBase64(WASM_GEMM), { env: { memory } });
  return { arena: memory.buffer, exports: instance.exports };
}

/**
 * Loads the model: allocates its memory once and reads the parameters from safetensors bytes
 * (by default the weights file next to this module). options.wasm = false keeps the
 * JavaScript GEMM.
 */
export async function load(weights, options = {}) {
  let arena;
  let wasmExports;
  if (WASM_GEMM !== null && options.wasm !== false && wasmSimdSupported()) {
    // A page whose policy forbids compiling WebAssembly (CSP) gets the JavaScript GEMM.
    const wasm = await wasmArena().catch(() => undefined);
    if (wasm) ({ arena, exports: wasmExports } = wasm);
  }
  // Typed-array views need a byte length that is a multiple of their element size.
  arena ??= new ArrayBuffer(Math.ceil(MODEL.arenaBytes / 8) * 8);
  const views = { float32: new Float32Array(arena), int32: new Int32Array(arena), bool: new Uint8Array(arena) };
  const base = (t) => t.offset / (t.dtype === "bool" ? 1 : 4);
  const write = (t, data) => {
    const view = views[t.dtype];
    const at = base(t);
    if (t.dtype === "bool") {
      for (let i = 0; i < data.length; i++) view[at + i] = data[i] ? 1 : 0;
    } else {
      view.set(data, at);
    }
  };
  const read = (t) => {
    const at = base(t);
    return views[t.dtype].slice(at, at + sizeOf(t.shape));
  };
  for (const c of MODEL.constants) {
    const raw = decodeBase64(c.base64);
    if (!LITTLE_ENDIAN && c.dtype !== "bool") swapBytes(raw);
    const data = c.dtype === "float32" ? new Float32Array(raw.buffer) : c.dtype === "int32" ? new Int32Array(raw.buffer) : raw;
    views[c.dtype].set(data, c.offset / (c.dtype === "bool" ? 1 : 4));
  }
  const inputByName = new Map(MODEL.inputs.map((t) => [t.name, t]));
  const paramByName = new Map(MODEL.params.map((t) => [t.name, t]));
  const setParams = (values, what) => {
    for (const name of ownKeys(what, values)) {
      const t = paramByName.get(name);
      if (t === undefined) {
        throw new Error(what + ": " + JSON.stringify(name) + " is not a parameter of " + JSON.stringify(MODEL.model) + " (parameters: " + MODEL.params.map((p) => JSON.stringify(p.name)).join(", ") + ")");
      }
      checkFeed(what, t, values[name]);
      write(t, values[name]);
    }
  };
  const file = readSafetensors(weights ?? (await readWeightsFile()));
  const tensors = Object.create(null);
  for (const [name, tensor] of file.tensors) {
    const t = paramByName.get(name);
    if (t === undefined) {
      throw new Error("load: the weights hold " + JSON.stringify(name) + ", which is not a parameter of " + JSON.stringify(MODEL.model));
    }
    if (tensor.dtype !== "F32" || tensor.shape.length !== t.shape.length || tensor.shape.some((d, i) => d !== t.shape[i])) {
      throw new Error("load: weight " + JSON.stringify(name) + " is " + tensor.dtype + JSON.stringify(tensor.shape) + " but the model needs F32" + JSON.stringify(t.shape));
    }
    tensors[name] = tensor.data;
  }
  for (const t of MODEL.params) {
    if (!Object.hasOwn(tensors, t.name)) {
      throw new Error("load: the weights lack parameter " + JSON.stringify(t.name) + " (" + describeTensor(t) + ")");
    }
  }
  setParams(tensors, "load");
  const program = createProgram(arena, wasmExports);
  const execute = (feeds, what) => {
    for (const name of ownKeys(what, feeds)) {
      if (!inputByName.has(name)) {
        const hint = paramByName.has(name) ? "; it is a parameter: use setParams" : "";
        throw new Error(what + ": " + JSON.stringify(name) + " is not an input of " + JSON.stringify(MODEL.model) + " (inputs: " + MODEL.inputs.map((t) => JSON.stringify(t.name)).join(", ") + ")" + hint);
      }
    }
    for (const t of MODEL.inputs) {
      if (!Object.hasOwn(feeds, t.name)) {
        throw new Error(what + ": input " + JSON.stringify(t.name) + " (" + describeTensor(t) + ") was not given");
      }
      checkFeed(what, t, feeds[t.name]);
    }
    for (const t of MODEL.inputs) write(t, feeds[t.name]);
    program.run();
  };
  return {
    inputs,
    outputs,
    gemm: wasmExports ? "wasm" : "js",
    run(feeds) {
      if (MODEL.mode === "train") {
        throw new Error("run: " + JSON.stringify(MODEL.model) + " was compiled for training: call step(batch)");
      }
      execute(feeds, "run");
      const result = Object.create(null);
      for (const t of MODEL.outputs) result[t.name] = read(t);
      return result;
    },
    step(batch) {
      if (MODEL.mode !== "train") {
        throw new Error("step: " + JSON.stringify(MODEL.model) + " was compiled for inference: call run(inputs)");
      }
      execute(batch, "step");
      return read(MODEL.outputs.find((t) => t.name === MODEL.loss))[0];
    },
    getParams() {
      const result = Object.create(null);
      for (const t of MODEL.params) result[t.name] = Float32Array.from(read(t));
      return result;
    },
    setParams(values) {
      setParams(values, "setParams");
    },
  };
}
`;

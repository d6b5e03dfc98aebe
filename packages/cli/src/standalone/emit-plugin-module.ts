import type { CompiledProgram } from "@nnc/compiler";
import { serializeGraph } from "@nnc/core";
import {
  COMMON_LOADER_SOURCE,
  jsonForScript,
  type StandaloneLayout,
} from "./emit-standalone-module.js";
import { RUNTIME_SOURCE } from "./runtime-source.js";

/** What the emitters read: the compiled program and the backend's module. */
type ProgramAndModule = Pick<CompiledProgram, "program" | "module">;

/** How `model.js` finds a backend plugin at run time: the package and the export to call. */
export interface BackendPackage {
  /** The npm package name the module imports (`nnc-backend-float64`). */
  readonly specifier: string;
  /** The export holding the backend factory or object; null for the default export. */
  readonly exportName: string | null;
}

/**
 * Emits `model.js` for a backend other than cpu. Such a module is not dependency-free: it
 * imports the backend package (by the name given to `--backend`) and `@nnc/core` (for
 * `deserializeGraph`) at run time, both resolved from the module's own location. It embeds the
 * emitted module (`{ backend, apiVersion, source, metadata }`) and the program (the graph as
 * `serializeGraph` text, kernels, buffers, arena size and alignment) as JSON, calls the
 * backend's `instantiate` with them on `load`, and exposes the same API as the CPU module:
 * `inputs`, `outputs`, `load(weights?)` returning `run`/`step`, `getParams`, `setParams`
 * (`gemm` is always "js": the module runs no nnc GEMM of its own). Names from the model and
 * the package name reach the code only as JSON string literals.
 */
export function emitPluginModule(
  exe: ProgramAndModule,
  layout: StandaloneLayout,
  backend: BackendPackage,
): string {
  const { module, program } = exe;
  const { graph } = program;
  const emitted = {
    backend: module.backend,
    apiVersion: module.apiVersion,
    source: module.source,
    metadata: module.metadata,
  };
  const programData = {
    apiVersion: program.apiVersion,
    mode: program.mode,
    graph: serializeGraph(graph),
    kernels: program.kernels,
    buffers: program.buffers,
    arenaBytes: program.arenaBytes,
    alignment: program.alignment,
  };
  // Node ids, parallel to MODEL.inputs, MODEL.outputs and MODEL.params.
  const nodes = {
    inputs: graph.inputs.map((n) => n.id),
    outputs: graph.outputs.map((o) => o.node),
    params: graph.params.map((n) => n.id),
  };
  const specifier = jsonForScript(backend.specifier);
  return [
    `// ${jsonForScript(layout.model)}: a model emitted by nnc for the ${jsonForScript(module.backend)} backend. Do not edit.`,
    `// Runtime dependencies: the backend package ${specifier} and @nnc/core, resolved from this`,
    "// file's location (install them next to it, or bundle it). Only cpu models are dependency-free.",
    "// Import it and call load(); see model.d.ts for its types.",
    "",
    `import * as BACKEND_PACKAGE from ${specifier};`,
    'import { deserializeGraph } from "@nnc/core";',
    "",
    `const MODEL = ${jsonForScript(layout)};`,
    `const BACKEND = ${jsonForScript(backend)};`,
    `const NODES = ${jsonForScript(nodes)};`,
    `const EMITTED = ${jsonForScript(emitted)};`,
    `const PROGRAM = ${jsonForScript(programData)};`,
    RUNTIME_SOURCE,
    PLUGIN_LOADER_SOURCE,
  ].join("\n");
}

/** The loader of a plugin module (plain JavaScript, see {@link emitPluginModule}). */
const PLUGIN_LOADER_SOURCE = `${COMMON_LOADER_SOURCE}
async function createBackend() {
  const candidate = BACKEND.exportName === null ? BACKEND_PACKAGE.default : BACKEND_PACKAGE[BACKEND.exportName];
  const backend = typeof candidate === "function" ? await candidate() : candidate;
  if (backend === null || typeof backend !== "object" || typeof backend.instantiate !== "function") {
    throw new Error(MODEL.model + ": " + JSON.stringify(BACKEND.specifier) + " does not export the backend this model was compiled for");
  }
  if (backend.name !== EMITTED.backend) {
    throw new Error(MODEL.model + ": " + JSON.stringify(BACKEND.specifier) + " is now the backend " + JSON.stringify(backend.name) + ", but this model was compiled for " + JSON.stringify(EMITTED.backend));
  }
  return backend;
}

function toNumbers(t, data) {
  return t.dtype === "bool" ? Array.from(data, (v) => (v ? 1 : 0)) : data;
}

/**
 * Loads the model: instantiates the backend on the embedded program and reads the parameters
 * from safetensors bytes (by default the weights file next to this module).
 */
export async function load(weights, _options = {}) {
  const backend = await createBackend();
  const program = Object.freeze({
    apiVersion: PROGRAM.apiVersion,
    mode: PROGRAM.mode,
    graph: deserializeGraph(PROGRAM.graph),
    kernels: PROGRAM.kernels,
    buffers: PROGRAM.buffers,
    arenaBytes: PROGRAM.arenaBytes,
    alignment: PROGRAM.alignment,
  });
  const instance = await backend.instantiate(EMITTED, program);
  const inputIndex = new Map(MODEL.inputs.map((t, i) => [t.name, i]));
  const paramIndex = new Map(MODEL.params.map((t, i) => [t.name, i]));
  const setParams = (values, what) => {
    for (const name of ownKeys(what, values)) {
      const i = paramIndex.get(name);
      if (i === undefined) {
        throw new Error(what + ": " + JSON.stringify(name) + " is not a parameter of " + JSON.stringify(MODEL.model) + " (parameters: " + MODEL.params.map((p) => JSON.stringify(p.name)).join(", ") + ")");
      }
      const t = MODEL.params[i];
      checkFeed(what, t, values[name]);
      instance.write(NODES.params[i], toNumbers(t, values[name]));
    }
  };
  const file = readSafetensors(weights ?? (await readWeightsFile()));
  const tensors = Object.create(null);
  for (const [name, tensor] of file.tensors) {
    const i = paramIndex.get(name);
    if (i === undefined) {
      throw new Error("load: the weights hold " + JSON.stringify(name) + ", which is not a parameter of " + JSON.stringify(MODEL.model));
    }
    const t = MODEL.params[i];
    if (tensor.dtype !== "F32" || tensor.shape.length !== t.shape.length || tensor.shape.some((d, k) => d !== t.shape[k])) {
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
  const execute = (feeds, what) => {
    for (const name of ownKeys(what, feeds)) {
      if (!inputIndex.has(name)) {
        const hint = paramIndex.has(name) ? "; it is a parameter: use setParams" : "";
        throw new Error(what + ": " + JSON.stringify(name) + " is not an input of " + JSON.stringify(MODEL.model) + " (inputs: " + MODEL.inputs.map((t) => JSON.stringify(t.name)).join(", ") + ")" + hint);
      }
    }
    for (const t of MODEL.inputs) {
      if (!Object.hasOwn(feeds, t.name)) {
        throw new Error(what + ": input " + JSON.stringify(t.name) + " (" + describeTensor(t) + ") was not given");
      }
      checkFeed(what, t, feeds[t.name]);
    }
    MODEL.inputs.forEach((t, i) => instance.write(NODES.inputs[i], toNumbers(t, feeds[t.name])));
    instance.run();
  };
  return {
    inputs,
    outputs,
    gemm: "js",
    run(feeds) {
      if (MODEL.mode === "train") {
        throw new Error("run: " + JSON.stringify(MODEL.model) + " was compiled for training: call step(batch)");
      }
      execute(feeds, "run");
      const result = Object.create(null);
      MODEL.outputs.forEach((t, i) => {
        result[t.name] = instance.read(NODES.outputs[i]);
      });
      return result;
    },
    step(batch) {
      if (MODEL.mode !== "train") {
        throw new Error("step: " + JSON.stringify(MODEL.model) + " was compiled for inference: call run(inputs)");
      }
      execute(batch, "step");
      const i = MODEL.outputs.findIndex((t) => t.name === MODEL.loss);
      return instance.read(NODES.outputs[i])[0];
    },
    getParams() {
      const result = Object.create(null);
      MODEL.params.forEach((t, i) => {
        result[t.name] = Float32Array.from(instance.read(NODES.params[i]));
      });
      return result;
    },
    setParams(values) {
      setParams(values, "setParams");
    },
  };
}
`;

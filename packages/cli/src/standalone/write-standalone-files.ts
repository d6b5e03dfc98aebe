import type { CompiledProgram } from "@nnc/compiler";
import { NncError, type SafetensorsTensor, writeSafetensors } from "@nnc/core";
import { emitDeclarations } from "./emit-declarations.js";
import { type BackendPackage, emitPluginModule } from "./emit-plugin-module.js";
import { emitStandaloneModule, standaloneLayout } from "./emit-standalone-module.js";

/** Options of {@link writeStandaloneFiles}. */
export interface StandaloneOptions {
  /** The model's name (in comments, error messages and the weights' metadata). */
  readonly name: string;
  /** Parameter and state values to write instead of the executable's current ones. */
  readonly weights?: Readonly<Record<string, Float32Array>>;
  /** The output `step` returns (training); default: the output "loss" or the only scalar one. */
  readonly loss?: string;
  /**
   * The CPU backend's WebAssembly GEMM module; when given, `model.js` embeds it and runs matrix
   * products on it where the engine has WebAssembly SIMD (otherwise its JavaScript GEMM).
   */
  readonly wasmGemm?: Uint8Array;
  /**
   * For a module of any backend but cpu: the package `model.js` imports the backend from at run
   * time. Without it, only cpu executables can be written (NNC4006 otherwise).
   */
  readonly backendPackage?: BackendPackage;
}

/**
 * What a standalone model is written from: a compiled program (an `Executable` is one) and the
 * parameter values to store (an executable's current values, or a compiled program's initial
 * ones).
 */
export interface StandaloneSource extends Pick<CompiledProgram, "program" | "module"> {
  getParams(): Readonly<Record<string, ArrayLike<number>>>;
}

/** The files of a standalone model, by file name. */
export interface StandaloneFiles {
  readonly "model.js": string;
  readonly "model.d.ts": string;
  readonly "model.safetensors": Uint8Array;
}

const WEIGHTS_FILE = "model.safetensors";

/**
 * Turns a compiled program into the files `nnc compile` writes: `model.js` (for the cpu backend an
 * ES module with no dependency on nnc; for another backend, given `options.backendPackage`, a
 * module importing that package and `@nnc/core`, see {@link emitPluginModule}), its `model.d.ts` (generated with ts-morph) and `model.safetensors` (the
 * parameters and state: the source's values, overridden by `options.weights`).
 */
export function writeStandaloneFiles(
  exe: StandaloneSource,
  options: StandaloneOptions,
): StandaloneFiles {
  const layout = standaloneLayout(exe, {
    name: options.name,
    weightsFile: WEIGHTS_FILE,
    ...(options.loss !== undefined && { loss: options.loss }),
  });
  const values = exe.getParams();
  const tensors = new Map<string, SafetensorsTensor>();
  for (const param of layout.params) {
    const given =
      options.weights && Object.hasOwn(options.weights, param.name)
        ? options.weights[param.name]!
        : values[param.name]!;
    const data = given instanceof Float32Array ? given : Float32Array.from(given);
    tensors.set(param.name, { dtype: "F32", shape: param.shape, data });
  }
  for (const name of Object.keys(options.weights ?? {})) {
    if (!tensors.has(name)) {
      throw new NncError(
        "NNC4003",
        `weights: ${JSON.stringify(name)} is not a parameter of ${JSON.stringify(options.name)} (parameters: ${layout.params.map((p) => JSON.stringify(p.name)).join(", ")})`,
      );
    }
  }
  return {
    "model.js":
      exe.module.backend !== "cpu" && options.backendPackage !== undefined
        ? emitPluginModule(exe, layout, options.backendPackage)
        : emitStandaloneModule(exe, layout, options.wasmGemm),
    "model.d.ts": emitDeclarations(layout),
    "model.safetensors": writeSafetensors(tensors, { format: "nnc", model: options.name }),
  };
}

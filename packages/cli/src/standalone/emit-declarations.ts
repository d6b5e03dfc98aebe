import type { DType } from "@nnc/core";
import {
  Project,
  type PropertySignatureStructure,
  StructureKind,
  VariableDeclarationKind,
} from "ts-morph";
import type { StandaloneLayout, StandaloneTensor } from "./emit-standalone-module.js";

const ARRAY_TYPE: Readonly<Record<DType, string>> = {
  float32: "Float32Array",
  int32: "Int32Array",
  bool: "Uint8Array",
};

/** Text safe inside a JSDoc block: a name holding `*` `/` must not close the comment. */
function docText(text: string): string {
  return text.replace(/\*\//g, "*\\/");
}

/** `"image": float32[32,1,28,28]`, for JSDoc. */
function describe(t: StandaloneTensor): string {
  return `${docText(JSON.stringify(t.name))}: ${t.dtype}[${t.shape.join(",")}]`;
}

function properties(
  tensors: readonly StandaloneTensor[],
  what: string,
  accept: (t: StandaloneTensor) => string,
): PropertySignatureStructure[] {
  return tensors.map((t) => ({
    kind: StructureKind.PropertySignature,
    // A string-literal key: any name, `__proto__` included, is an ordinary property name.
    name: JSON.stringify(t.name),
    isReadonly: true,
    type: accept(t),
    docs: [`${what} ${describe(t)} (row-major, ${t.shape.reduce((a, d) => a * d, 1)} values).`],
  }));
}

/**
 * Generates `model.d.ts` for a standalone module with ts-morph: the inputs, outputs and
 * parameters as interfaces with their dtypes and shapes in JSDoc, and a `Model` with `run` for
 * inference programs or `step` for training programs.
 */
export function emitDeclarations(layout: StandaloneLayout): string {
  const project = new Project({ useInMemoryFileSystem: true });
  const file = project.createSourceFile("model.d.ts");
  const model = docText(JSON.stringify(layout.model));
  file.addStatements(`/* ${model}: types of the standalone model emitted by nnc. Do not edit. */`);
  file.addInterface({
    name: "TensorSpec",
    isExported: true,
    docs: ["An input or output of the model."],
    properties: [
      { name: "name", type: "string", isReadonly: true },
      { name: "dtype", type: '"float32" | "int32" | "bool"', isReadonly: true },
      { name: "shape", type: "readonly number[]", isReadonly: true },
    ],
  });
  file.addInterface({
    name: "Inputs",
    isExported: true,
    docs: [`The inputs of ${model}.`],
    properties: properties(
      layout.inputs,
      "Input",
      (t) => `${ARRAY_TYPE[t.dtype]} | readonly number[]`,
    ),
  });
  file.addInterface({
    name: "Outputs",
    isExported: true,
    docs: [`The outputs of ${model}.`],
    properties: properties(layout.outputs, "Output", (t) => ARRAY_TYPE[t.dtype]),
  });
  file.addInterface({
    name: "Params",
    isExported: true,
    docs: [`The parameters and state of ${model} (float32).`],
    properties: properties(layout.params, "Parameter", () => "Float32Array"),
  });
  file.addInterface({
    name: "LoadOptions",
    isExported: true,
    docs: ["How to load the model."],
    properties: [
      {
        name: "wasm",
        type: "boolean",
        hasQuestionToken: true,
        isReadonly: true,
        docs: ["false keeps the JavaScript GEMM even where WebAssembly SIMD is available."],
      },
    ],
  });
  const run =
    layout.mode === "infer"
      ? {
          name: "run",
          docs: ["Runs the model on `inputs` and returns copies of every output."],
          parameters: [{ name: "inputs", type: "Inputs" }],
          returnType: "Outputs",
        }
      : {
          name: "step",
          docs: [
            `One training step on \`batch\`: updates the parameters in place and returns the loss ${docText(JSON.stringify(layout.loss))}.`,
          ],
          parameters: [{ name: "batch", type: "Inputs" }],
          returnType: "number",
        };
  file.addInterface({
    name: "Model",
    isExported: true,
    docs: [`A loaded ${model}: its memory is allocated once.`],
    properties: [
      { name: "inputs", type: "readonly TensorSpec[]", isReadonly: true },
      { name: "outputs", type: "readonly TensorSpec[]", isReadonly: true },
      {
        name: "gemm",
        type: '"wasm" | "js"',
        isReadonly: true,
        docs: ["Which matrix-multiply kernel runs."],
      },
    ],
    methods: [
      run,
      {
        name: "getParams",
        docs: ["Copies of every parameter and state value, by name."],
        returnType: "Params",
      },
      {
        name: "setParams",
        docs: ["Replaces some or all parameters and state values by name."],
        parameters: [
          {
            name: "params",
            type: "Partial<Record<keyof Params, Float32Array | readonly number[]>>",
          },
        ],
        returnType: "void",
      },
    ],
  });
  file.addVariableStatement({
    isExported: true,
    hasDeclareKeyword: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ["The model's inputs: name, dtype and shape."],
    declarations: [{ name: "inputs", type: "readonly TensorSpec[]" }],
  });
  file.addVariableStatement({
    isExported: true,
    hasDeclareKeyword: true,
    declarationKind: VariableDeclarationKind.Const,
    docs: ["The model's outputs: name, dtype and shape."],
    declarations: [{ name: "outputs", type: "readonly TensorSpec[]" }],
  });
  file.addFunction({
    name: "load",
    isExported: true,
    hasDeclareKeyword: true,
    docs: [
      `Loads ${model}: allocates its memory once and reads the parameters from safetensors bytes (by default ${docText(JSON.stringify(layout.weightsFile))} next to the module).`,
    ],
    parameters: [
      { name: "weights", type: "Uint8Array", hasQuestionToken: true },
      { name: "options", type: "LoadOptions", hasQuestionToken: true },
    ],
    returnType: "Promise<Model>",
  });
  file.formatText({ indentSize: 2 });
  return file.getFullText();
}

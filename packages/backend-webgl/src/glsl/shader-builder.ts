import type { Node, Program, ProgramKernel } from "@nnc/core";
import { sizeOf } from "@nnc/core";
import type { TextureLayout } from "../plan.js";
import type { GlslContext, GlslEmitter, PrimitiveOp } from "./emit-context.js";
import { glslType } from "./index-math.js";

/** The shader header: GLSL ES 3.00 with every type at high precision (float32, int32). */
export const SHADER_HEADER = [
  "#version 300 es",
  "precision highp float;",
  "precision highp int;",
  "precision highp sampler2D;",
  "precision highp isampler2D;",
].join("\n");

/** The sampler of a dropout kernel's host-computed mask texture. */
export const MASK_SAMPLER = "u_mask";

/** One kernel's fragment shader and what it samples. */
export interface BuiltShader {
  readonly fragment: string;
  /** Nodes read from textures, in the order of their uniforms `u_t<id>`. */
  readonly inputs: readonly number[];
  /** The dropout node whose mask the shader samples from {@link MASK_SAMPLER}. */
  readonly maskNode?: Node;
}

/** The fetch function of an operand read from its texture: element i at (i % W, i / W). */
function fetchFunction(id: number, dtype: string, layout: TextureLayout): string {
  const type = glslType(dtype);
  const coord =
    layout.height === 1 ? "ivec2(i, 0)" : `ivec2(i % ${layout.width}, i / ${layout.width})`;
  return `${type} t${id}(int i) { return texelFetch(u_t${id}, ${coord}, 0).r; }`;
}

/** The {@link GlslContext} of one kernel's shader. */
class ShaderContext implements GlslContext {
  readonly program: Program;
  readonly inputs: number[] = [];
  maskNode: Node | undefined;
  readonly #inKernel: ReadonlySet<number>;
  readonly #helpers = new Map<string, string>();
  readonly #counters = new Map<string, number>();

  constructor(program: Program, inKernel: ReadonlySet<number>) {
    this.program = program;
    this.#inKernel = inKernel;
  }

  read(operand: number, index: string): string {
    if (this.#inKernel.has(operand)) return `n${operand}(${index})`;
    if (!this.inputs.includes(operand)) this.inputs.push(operand);
    return `t${operand}(${index})`;
  }

  helper(name: string, code: string): string {
    const existing = this.#helpers.get(name);
    if (existing !== undefined && existing !== code) {
      throw new Error(`nnc bug: webgl backend: helper ${name} declared twice with different code`);
    }
    this.#helpers.set(name, code);
    return name;
  }

  local(prefix: string): string {
    const n = this.#counters.get(prefix) ?? 0;
    this.#counters.set(prefix, n + 1);
    return `${prefix}_${n}`;
  }

  hostMask(node: Node): string {
    if (this.maskNode && this.maskNode.id !== node.id) {
      throw new Error("nnc bug: webgl backend: a kernel holds two dropout nodes");
    }
    this.maskNode = node;
    return MASK_SAMPLER;
  }

  helpers(): string[] {
    return [...this.#helpers.values()];
  }
}

/**
 * The fragment shader of one kernel: every node of the kernel becomes `T n<id>(int i)`
 * returning its element i (emitted in kernel order, so callees precede callers), every operand
 * from outside the kernel a texel fetch `T t<id>(int i)`, and `main` writes the last node's
 * element at the fragment's flat index into the output texture.
 */
export function buildShader(
  program: Program,
  kernel: ProgramKernel,
  table: { readonly [P in PrimitiveOp]: GlslEmitter },
  layoutOf: (node: number) => TextureLayout,
): BuiltShader {
  const graph = program.graph;
  const ctx = new ShaderContext(program, new Set(kernel.nodes));
  const functions = kernel.nodes.map((id) => {
    const node = graph.node(id);
    const emit = table[node.op as PrimitiveOp];
    if (!emit) throw new Error(`nnc bug: webgl backend: no kernel for ${node.op}`);
    // An empty value's function is never called; its emitter might divide by a zero extent.
    const body =
      sizeOf(node.type.shape) === 0
        ? `return ${glslType(node.type.dtype) === "float" ? "0.0" : "0"};`
        : emit(ctx, node).trim();
    const lines = body.split("\n").map((l) => `  ${l}`);
    return [
      `// %${id} ${node.op} "${node.name}"`,
      `${glslType(node.type.dtype)} n${id}(int i) {`,
      ...lines,
      "}",
    ].join("\n");
  });
  const last = graph.node(kernel.nodes.at(-1)!);
  const outType = glslType(last.type.dtype);
  const out = layoutOf(last.id);
  const uniforms = ctx.inputs.map((id) => {
    const sampler = glslType(graph.node(id).type.dtype) === "float" ? "sampler2D" : "isampler2D";
    return `uniform ${sampler} u_t${id};`;
  });
  if (ctx.maskNode) uniforms.push(`uniform isampler2D ${MASK_SAMPLER};`);
  const fetches = ctx.inputs.map((id) => {
    const node = graph.node(id);
    return fetchFunction(id, node.type.dtype, layoutOf(id));
  });
  const zero = outType === "float" ? "0.0" : "0";
  const main = [
    `out ${outType} o;`,
    "void main() {",
    `  int idx = int(gl_FragCoord.y) * ${out.width} + int(gl_FragCoord.x);`,
    `  o = idx < ${sizeOf(last.type.shape)} ? n${last.id}(idx) : ${zero};`,
    "}",
  ].join("\n");
  const fragment = [
    SHADER_HEADER,
    ...uniforms,
    ...fetches,
    ...ctx.helpers(),
    ...functions,
    main,
  ].join("\n");
  return {
    fragment: `${fragment}\n`,
    inputs: ctx.inputs,
    ...(ctx.maskNode && { maskNode: ctx.maskNode }),
  };
}

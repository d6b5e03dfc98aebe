import type { Node, Program, ProgramKernel } from "@nnc/core";
import { sizeOf } from "@nnc/core";
import { paddedSize, type TextureLayout, textureLayout } from "../plan.js";
import type {
  GlslContext,
  GlslEmitter,
  GlslEmitterSplit,
  GlslEmitterVec4,
  PrimitiveOp,
  SplitBody,
} from "./emit-context.js";
import { glslType, packedFetch, texelCoord } from "./index-math.js";
import { emitElementwise } from "./ops/elementwise.js";

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
  /**
   * Set when the shader writes `lanes` render targets (a multi-target kernel, see
   * {@link SplitBody}): fragment s of a target computes texels t₀ + j·laneTexels of the result.
   */
  readonly split?: SplitLayout;
}

/** How a multi-target kernel's result texels are spread over its render targets. */
export interface SplitLayout {
  readonly lanes: number;
  readonly extent: number;
  readonly laneTexels: number;
  /** The layout of each target: (result texels) / lanes texels. */
  readonly target: TextureLayout;
}

/** The fetch function of an operand read from its texture: element i of texel i >> 2. */
function fetchFunction(id: number, dtype: string, layout: TextureLayout): string {
  return `${glslType(dtype)} t${id}(int i) { return ${packedFetch(`u_t${id}`, "i", layout)}; }`;
}

/** The whole-texel fetch of a float operand: texel t holds elements 4t … 4t + 3. */
function texelFunction(id: number, layout: TextureLayout): string {
  return `vec4 t${id}_4(int t) { return texelFetch(u_t${id}, ${texelCoord("t", layout)}, 0); }`;
}

/** The {@link GlslContext} of one kernel's shader. */
class ShaderContext implements GlslContext {
  readonly program: Program;
  readonly inputs: number[] = [];
  /** Inputs also read a whole texel at a time. */
  readonly texelInputs = new Set<number>();
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

  readTexel(operand: number, texel: string): string | undefined {
    if (this.#inKernel.has(operand)) return undefined;
    if (this.program.graph.node(operand).type.dtype !== "float32") return undefined;
    if (!this.inputs.includes(operand)) this.inputs.push(operand);
    this.texelInputs.add(operand);
    return `t${operand}_4(${texel})`;
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
 * elements 4·idx … 4·idx + 3 (idx the fragment's texel index) into the output texel.
 */
export function buildShader(
  program: Program,
  kernel: ProgramKernel,
  table: { readonly [P in PrimitiveOp]: GlslEmitter },
  layoutOf: (node: number) => TextureLayout,
  vec4Table: { readonly [P in PrimitiveOp]?: GlslEmitterVec4 } = {},
  splitTable: { readonly [P in PrimitiveOp]?: GlslEmitterSplit } = {},
): BuiltShader {
  const graph = program.graph;
  const ctx = new ShaderContext(program, new Set(kernel.nodes));
  // Render targets and merges are float textures: a kernel whose result is int32 or bool (an
  // epilogue comparing a product) keeps the 4-wide path.
  const floatResult = graph.node(kernel.nodes.at(-1)!).type.dtype === "float32";
  const split = floatResult ? wideNode(program, kernel, table, splitTable, ctx) : undefined;
  const wide = split ? undefined : wideNode(program, kernel, table, vec4Table, ctx);
  const functions = kernel.nodes.map((id) => {
    const node = graph.node(id);
    if (split?.node.id === id) {
      // Each fragment computes the node's texels for every lane once (in main); the scalar
      // function hands out the current lane's, which main sets before the lane's epilogue.
      const type = glslType(node.type.dtype);
      const { lanes } = split.body;
      return [
        `// %${id} ${node.op} ${commentText(node.name)} (${lanes} texels at a time)`,
        ...Array.from({ length: lanes }, (_, j) => `vec4 w${id}_${j};`),
        `void n${id}_lanes(int base) {`,
        ...split.body.body.split("\n").map((l) => `  ${l}`),
        "}",
        `vec4 w${id};`,
        `${type} n${id}(int i) { return w${id}[i & 3]; }`,
      ].join("\n");
    }
    if (wide?.node.id === id) {
      // Each fragment computes the node's 4 elements once (in main); the scalar function
      // hands them out to the epilogue, which reads the node at the fragment's own elements.
      const type = glslType(node.type.dtype);
      return [
        `// %${id} ${node.op} ${commentText(node.name)} (4 elements at a time)`,
        `vec4 n${id}_4(int base) {`,
        ...String(wide.body)
          .trim()
          .split("\n")
          .map((l) => `  ${l}`),
        "}",
        `vec4 w${id};`,
        `${type} n${id}(int i) { return w${id}[i & 3]; }`,
      ].join("\n");
    }
    const emit = table[node.op as PrimitiveOp];
    if (!emit) throw new Error(`nnc bug: webgl backend: no kernel for ${node.op}`);
    // An empty value's function is never called; its emitter might divide by a zero extent.
    const body =
      sizeOf(node.type.shape) === 0
        ? `return ${glslType(node.type.dtype) === "float" ? "0.0" : "0"};`
        : emit(ctx, node).trim();
    const lines = body.split("\n").map((l) => `  ${l}`);
    return [
      `// %${id} ${node.op} ${commentText(node.name)}`,
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
    const scalar = fetchFunction(id, node.type.dtype, layoutOf(id));
    return ctx.texelInputs.has(id) ? `${scalar}\n${texelFunction(id, layoutOf(id))}` : scalar;
  });
  const vecType = outType === "float" ? "vec4" : "ivec4";
  const size = sizeOf(last.type.shape);
  // Each fragment writes one texel: elements 4·idx … 4·idx + 3. Only components that some
  // fragment holds beyond the size (the tail, padding texels) need a bounds check.
  const lastBase = paddedSize(out) - 4;
  const components = ["x", "y", "z", "w"].map((c, k) => {
    const value = `n${last.id}(base${k === 0 ? "" : ` + ${k}`})`;
    return lastBase + k < size
      ? `  o.${c} = ${value};`
      : `  if (base + ${k} < ${size}) o.${c} = ${value};`;
  });
  if (split) {
    return splitShader(
      [SHADER_HEADER, ...uniforms, ...fetches, ...ctx.helpers(), ...functions],
      ctx,
      split,
      last.id,
    );
  }
  const main = [
    `out ${vecType} o;`,
    "void main() {",
    `  int base = (int(gl_FragCoord.y) * ${out.width} + int(gl_FragCoord.x)) * 4;`,
    `  o = ${vecType}(0);`,
    ...(wide
      ? [
          // Texels wholly beyond the size are padding; a partial last texel's extra components
          // are not written (the checks below).
          `  if (base >= ${size}) return;`,
          `  w${wide.node.id} = n${wide.node.id}_4(base);`,
        ]
      : []),
    ...components,
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

/**
 * The shader of a multi-target kernel: fragment s of the `lanes` targets (each of
 * `split.target`'s layout) maps to the result's texel t₀ = (outer·extent + q·lanes)·laneTexels +
 * inner, with (outer, q, inner) the row-major decomposition of s over
 * [outer, extent / lanes, laneTexels]; lane j's texel t₀ + j·laneTexels goes to target j.
 */
function splitShader(
  head: readonly string[],
  ctx: ShaderContext,
  split: { node: Node; body: SplitBody },
  lastId: number,
): BuiltShader {
  const { lanes, extent, laneTexels } = split.body;
  const node = split.node;
  const texels = Math.ceil(sizeOf(node.type.shape) / 4);
  const perTarget = texels / lanes;
  const target = textureLayout(perTarget * 4, "float32");
  const groups = extent / lanes;
  const lane = Array.from({ length: lanes }, (_, j) => j);
  const main = [
    ...lane.map((j) => `layout(location = ${j}) out vec4 o${j};`),
    "void main() {",
    `  int s = int(gl_FragCoord.y) * ${target.width} + int(gl_FragCoord.x);`,
    ...lane.map((j) => `  o${j} = vec4(0);`),
    `  if (s >= ${perTarget}) return;`,
    `  int inner = s % ${laneTexels};`,
    `  int q = s / ${laneTexels};`,
    `  int t0 = ((q / ${groups}) * ${extent} + (q % ${groups}) * ${lanes}) * ${laneTexels} + inner;`,
    `  n${node.id}_lanes(t0 * 4);`,
    ...lane.flatMap((j) => [
      `  w${node.id} = w${node.id}_${j};`,
      ...["x", "y", "z", "w"].map(
        (c, k) => `  o${j}.${c} = n${lastId}(t0 * 4 + ${4 * j * laneTexels + k});`,
      ),
    ]),
    "}",
  ];
  return {
    fragment: `${[...head, ...main].join("\n")}\n`,
    inputs: ctx.inputs,
    ...(ctx.maskNode && { maskNode: ctx.maskNode }),
    split: { lanes, extent, laneTexels, target },
  };
}

/**
 * The kernel's node with a wide path in `wideTable` (4-wide or multi-target), with its body:
 * the one node of the kernel with such an emitter that accepts it, of the result's shape,
 * followed only by elementwise nodes of that shape (which therefore read it at the fragment's
 * own elements).
 */
function wideNode<Body>(
  program: Program,
  kernel: ProgramKernel,
  table: { readonly [P in PrimitiveOp]: GlslEmitter },
  wideTable: { readonly [P in PrimitiveOp]?: (ctx: GlslContext, node: Node) => Body | undefined },
  ctx: GlslContext,
): { node: Node; body: Body } | undefined {
  const nodes = kernel.nodes.map((id) => program.graph.node(id));
  const candidates = nodes.filter((n) => wideTable[n.op as PrimitiveOp]);
  if (candidates.length !== 1) return undefined;
  const node = candidates[0]!;
  const shape = nodes.at(-1)!.type.shape;
  const same = (n: Node) =>
    n.type.shape.length === shape.length && n.type.shape.every((e, d) => e === shape[d]);
  const after = nodes.slice(nodes.indexOf(node) + 1);
  if (!same(node) || sizeOf(shape) === 0) return undefined;
  if (!after.every((n) => same(n) && table[n.op as PrimitiveOp] === emitElementwise)) {
    return undefined;
  }
  const body = wideTable[node.op as PrimitiveOp]!(ctx, node);
  return body === undefined ? undefined : { node, body };
}

/**
 * A node name as GLSL comment text: quoted like JSON, with everything outside printable ASCII
 * escaped, because GLSL's character set is ASCII and a stray line break or a trailing backslash
 * (a line continuation) would turn the rest of a user's name into shader code.
 */
export function commentText(name: string): string {
  return JSON.stringify(name).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

import { type Program, sizeOf } from "@nnc/core";
import type {
  GlslEmitter,
  GlslEmitterSplit,
  GlslEmitterVec4,
  PrimitiveOp,
} from "../glsl/emit-context.js";
import { KERNEL_TABLE, SPLIT_TABLE, VEC4_TABLE } from "../glsl/kernel-table.js";
import { mergeShader } from "../glsl/merge-shader.js";
import { type BuiltShader, buildShader } from "../glsl/shader-builder.js";
import {
  type DropoutMaskTask,
  type PlanBuffer,
  type PlanKernel,
  type TextureLayout,
  textureLayout,
  type WebglPlan,
} from "../plan.js";
import { assignTextures } from "./assign-textures.js";

/**
 * The {@link WebglPlan} of a program: one fragment shader per kernel, texture slots shared as
 * the memory plan reuses bytes, and the state updates. Pure: the same program gives the same
 * plan.
 */
export function emitPlan(
  program: Program,
  table: { readonly [P in PrimitiveOp]: GlslEmitter } = KERNEL_TABLE,
  vec4Table: { readonly [P in PrimitiveOp]?: GlslEmitterVec4 } = table === KERNEL_TABLE
    ? VEC4_TABLE
    : {},
  splitTable: { readonly [P in PrimitiveOp]?: GlslEmitterSplit } = table === KERNEL_TABLE
    ? SPLIT_TABLE
    : {},
): WebglPlan {
  const { graph } = program;
  const layoutOf = (id: number): TextureLayout => {
    const { type } = graph.node(id);
    return textureLayout(sizeOf(type.shape), type.dtype);
  };
  const shaders: BuiltShader[] = program.kernels.map((kernel) =>
    buildShader(program, kernel, table, layoutOf, vec4Table, splitTable),
  );
  const hoisted = hoistedKernels(program, shaders);
  const { textureOf, textures } = assignTextures(
    program,
    shaders.map((s) => s.inputs),
    new Set(program.kernels.filter((_, k) => hoisted.has(k)).map((kn) => kn.nodes.at(-1)!)),
  );
  const allTextures = [...textures];
  // Render targets of multi-target kernels hold a value only between the kernel's draw and its
  // merge: kernels share them by (layout, lane).
  const targetSlots = new Map<string, number>();
  const targetSlot = (layout: TextureLayout, lane: number) => {
    const key = `${layout.width}x${layout.height}:${lane}`;
    let slot = targetSlots.get(key);
    if (slot === undefined) targetSlots.set(key, (slot = allTextures.push(layout) - 1));
    return slot;
  };
  const kernels: PlanKernel[] = program.kernels.map((kernel, k) => {
    const shader = shaders[k]!;
    const output = kernel.nodes.at(-1)!;
    let host: DropoutMaskTask | undefined;
    if (shader.maskNode) {
      const node = shader.maskNode;
      const count = sizeOf(node.type.shape);
      const layout = textureLayout(count, "int32");
      const saltNode = node.inputs[1];
      host = {
        kind: "dropout-mask",
        maskTexture: allTextures.push(layout) - 1,
        count,
        rate: node.attrs.rate as number,
        seed: node.attrs.seed as number,
        ...(saltNode !== undefined && { saltNode }),
        layout,
      };
    }
    const { split } = shader;
    return {
      name: graph.node(output).name,
      fragment: shader.fragment,
      inputs: shader.inputs,
      output,
      ...(host && { host }),
      ...(hoisted.has(k) && { hoisted: true as const }),
      ...(split && {
        split: {
          targets: Array.from({ length: split.lanes }, (_, j) => targetSlot(split.target, j)),
          merge: mergeShader(
            split,
            layoutOf(output),
            Math.ceil(sizeOf(graph.node(output).type.shape) / 4),
          ),
        },
      }),
    };
  });
  const buffers: PlanBuffer[] = [];
  for (const node of graph.nodes) {
    const texture = textureOf.get(node.id);
    if (texture === undefined) continue;
    buffers.push({
      node: node.id,
      name: node.name,
      dtype: node.type.dtype,
      shape: node.type.shape,
      size: sizeOf(node.type.shape),
      layout: layoutOf(node.id),
      texture,
      ...(node.op === "constant" && { constant: node.attrs.value as number[] }),
    });
  }
  const updates = graph.updates.map((u) => {
    const param = graph.findNode(u.param);
    if (!param) throw new Error(`nnc bug: webgl backend: no parameter "${u.param}" to update`);
    return { param: param.id, value: u.node };
  });
  return { version: 1, mode: program.mode, buffers, textures: allTextures, kernels, updates };
}

/**
 * The kernels of an inference program that read only parameters, constants and the results of
 * such kernels (BatchNorm folded into conv weights, transposed weights): their results change
 * only when a parameter is written, so the driver draws them then, not on every run. None in
 * training, where every step updates the parameters, and none with host work (dropout).
 */
function hoistedKernels(program: Program, shaders: readonly BuiltShader[]): Set<number> {
  const hoisted = new Set<number>();
  // State updates change parameters without a write: nothing is hoisted then.
  if (program.mode !== "infer" || program.graph.updates.length > 0) return hoisted;
  const fixed = new Set(
    program.graph.nodes.filter((n) => n.op === "param" || n.op === "constant").map((n) => n.id),
  );
  program.kernels.forEach((kernel, k) => {
    const shader = shaders[k]!;
    if (shader.maskNode || !shader.inputs.every((id) => fixed.has(id))) return;
    // A kernel reading nothing (iota, a fill) is fixed too.
    hoisted.add(k);
    fixed.add(kernel.nodes.at(-1)!);
  });
  return hoisted;
}

const MODULE_PREFIX = "export default ";

/** JSON has no NaN or ±∞: constants carry them as strings. */
function replacer(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
}

/** The emitted module's source: `export default <JSON of the plan>;`. */
export function planSource(plan: WebglPlan): string {
  // U+2028/U+2029 are legal in JSON strings but line terminators to older JavaScript parsers
  // and many tools: escape them, so user names never break the module's text.
  const json = JSON.stringify(plan, replacer).replace(
    /[\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16)}`,
  );
  return `${MODULE_PREFIX}${json};\n`;
}

/** The plan back from an emitted module's source (JSON.parse, no evaluation). */
export function parsePlanSource(source: string): WebglPlan {
  if (!source.startsWith(MODULE_PREFIX)) {
    throw new Error("nnc bug: webgl backend: emitted module does not start with `export default `");
  }
  const json = source.slice(MODULE_PREFIX.length).trim().replace(/;$/, "");
  return JSON.parse(json, (key, value: unknown) =>
    key === "constant" && Array.isArray(value)
      ? value.map((v) => (typeof v === "string" ? Number(v) : v))
      : value,
  ) as WebglPlan;
}

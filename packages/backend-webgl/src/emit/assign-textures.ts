import { type Program, sizeOf } from "@nnc/core";
import { type TextureLayout, textureLayout } from "../plan.js";

/** Which texture slot holds each materialised value. */
export interface TextureAssignment {
  /** Texture slot per node id (only nodes that have a texture). */
  readonly textureOf: ReadonlyMap<number, number>;
  readonly textures: readonly TextureLayout[];
}

/**
 * Assigns texture slots the way the memory plan reuses bytes: kernel results whose planned
 * buffers have the same arena offset, byte size and format share a texture (the planner gives
 * two values the same bytes only when their lifetimes do not overlap). A kernel's output never
 * shares a texture with one of its inputs (WebGL forbids sampling the texture being rendered
 * to); parameters, inputs, constants and empty values get their own. Values computed inside a kernel (not its
 * last node) have no texture: they are recomputed in the shader.
 *
 * Within one placement, a value whose predecessor there is still being read (an in-place
 * result reads it) gets a second texture of the same placement, used in turn. `persistent`
 * values (results that must survive from one run to the next) get textures of their own.
 */
export function assignTextures(
  program: Program,
  kernelInputs: readonly (readonly number[])[],
  persistent: ReadonlySet<number> = new Set(),
): TextureAssignment {
  const { graph } = program;
  const textures: TextureLayout[] = [];
  const textureOf = new Map<number, number>();
  const fresh = (layout: TextureLayout) => textures.push(layout) - 1;
  const layoutOf = (id: number) => {
    const { type } = graph.node(id);
    return textureLayout(sizeOf(type.shape), type.dtype);
  };
  for (const node of graph.nodes) {
    if (node.op === "input" || node.op === "param" || node.op === "constant") {
      textureOf.set(node.id, fresh(layoutOf(node.id)));
    }
  }
  // Last kernel reading each value; values that survive the run never die.
  const lastUse = new Map<number, number>();
  program.kernels.forEach((_, k) => {
    for (const i of kernelInputs[k]!) lastUse.set(i, k);
  });
  for (const o of graph.outputs) lastUse.set(o.node, Number.POSITIVE_INFINITY);
  for (const u of graph.updates) lastUse.set(u.node, Number.POSITIVE_INFINITY);
  // Per planned (offset, bytes, format): the textures holding values of that placement and
  // the value each holds now.
  const shared = new Map<string, { slot: number; holder: number }[]>();
  program.kernels.forEach((kernel, k) => {
    const id = kernel.nodes.at(-1)!;
    const layout = layoutOf(id);
    const buffer = program.buffers[id];
    // A persistent result (a hoisted kernel's) keeps its value across runs: its own texture.
    if (!buffer || buffer.bytes === 0 || persistent.has(id)) {
      textureOf.set(id, fresh(layout));
      return;
    }
    const key = `${buffer.offset}:${buffer.bytes}:${layout.format}:${layout.width}x${layout.height}`;
    let slots = shared.get(key);
    if (!slots) shared.set(key, (slots = []));
    // A value written in place over its operand (or over bytes an operand of this kernel still
    // occupies) takes another texture of the placement whose value is dead: chains of in-place
    // ops ping-pong between two textures.
    const free = slots.find((s) => (lastUse.get(s.holder) ?? -1) < k);
    if (free) {
      free.holder = id;
      textureOf.set(id, free.slot);
    } else {
      const slot = fresh(layout);
      slots.push({ slot, holder: id });
      textureOf.set(id, slot);
    }
  });
  return { textureOf, textures };
}

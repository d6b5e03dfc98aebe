import { type OpAttrMap, sizeOf } from "@nnc/core";
import { textureLayout } from "../../plan.js";
import type { GlslEmitter } from "../emit-context.js";
import { floatLiteral, packedFetch } from "../index-math.js";

// dropout: the mask is core's sequential RNG stream, computed on the host by the driver and
// uploaded to an int texture (see plan.ts DropoutMaskTask); the shader scales kept elements.

/** Inverted dropout with the host-computed mask: x / (1 − rate) where kept, 0 elsewhere. */
export const emitDropout: GlslEmitter = (ctx, node) => {
  const { rate } = node.attrs as unknown as OpAttrMap["dropout"];
  const x = ctx.read(node.inputs[0]!, "i");
  // Every draw is ≥ 0: rate 0 keeps everything and scales by 1.
  if (rate === 0 || sizeOf(node.type.shape) === 0) return `return ${x};`;
  if (!ctx.hostMask) throw new Error("nnc bug: webgl backend: dropout needs a host mask");
  const mask = ctx.hostMask(node);
  const layout = textureLayout(sizeOf(node.type.shape), "int32");
  return `return ${packedFetch(mask, "i", layout)} != 0 ? ${x} * ${floatLiteral(1 / (1 - rate))} : 0.0;`;
};

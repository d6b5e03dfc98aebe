import { type OpAttrMap, sizeOf } from "@nnc/core";
import type { NodeEmitter } from "../emit-context.js";
import { emitCopy } from "./elementwise.js";
import { element, indent, literal } from "./loop-nest.js";

// Kernels of the remaining primitives: dropout.

/**
 * core's dropout mask stream: createRng (sfc32 seeded through splitmix32, 12 draws discarded)
 * and `keep = next() ≥ rate` per element in row-major order. Ported line by line so the mask
 * is bit-identical to the reference's dropoutMask.
 */
const DROPOUT_MASK = `function nncDropoutMask(count, rate, seed) {
  let state = seed >>> 0;
  const splitmix = () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  const mask = new Uint8Array(count);
  for (let i = 0; i < count; i++) mask[i] = next() >= rate ? 1 : 0;
  return mask;
}`;

/**
 * Inverted dropout with core's seeded mask. The mask depends only on the static seed, rate
 * and size, so it is computed once when the module loads (a module-level Uint8Array, shared by
 * every dropout with the same three, such as a forward dropout and its transpose).
 */
export const emitDropout: NodeEmitter = (ctx, node) => {
  const { rate, seed } = node.attrs as unknown as OpAttrMap["dropout"];
  const n = sizeOf(node.type.shape);
  if (n === 0) return "";
  // Every draw is ≥ 0: rate 0 keeps everything and scales by 1.
  if (rate === 0) return emitCopy(ctx, node.inputs[0]!, node.id);
  const x = ctx.ref(node.inputs[0]!);
  const y = ctx.ref(node.id);
  const generate = ctx.helper("nncDropoutMask", DROPOUT_MASK);
  const key = `${n}_${seed}_${String(rate).replace(/\W/g, "_")}`;
  const mask = ctx.helper(
    `nncMask_${key}`,
    `const nncMask_${key} = ${generate}(${n}, ${rate}, ${seed});`,
  );
  const i = ctx.local("i");
  return [
    `for (let ${i} = 0; ${i} < ${n}; ${i}++) {`,
    ...indent([
      `${element(y, i)} = ${mask}[${i}] !== 0 ? ${element(x, i)} * ${literal(1 / (1 - rate))} : 0;`,
    ]),
    "}",
  ].join("\n");
};

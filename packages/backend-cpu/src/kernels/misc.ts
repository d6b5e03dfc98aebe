import { type OpAttrMap, sizeOf } from "@nnc/core";
import type { NodeEmitter } from "../emit-context.js";
import { emitCopy } from "./elementwise.js";
import { element, indent, literal } from "./loop-nest.js";

// Kernels of the remaining primitives: dropout.

// core's dropout stream (dropoutMask), ported so masks are bit-identical to the reference.
// createRng(s) is sfc32 whose words a, b, c, d are splitmix32's first four outputs from state
// s, i.e. fmix32(s + k·0x9e3779b9) for k = 1..4 (splitmix32's output function is MurmurHash3's
// finaliser fmix32), with 12 draws discarded; element i is kept when the i-th draw, t / 2³², is
// ≥ rate. A salted mask uses s = saltSeed(seed, salt) = fmix32(seed ^ fmix32(k + 0x9e3779b9))
// with k the salt as ToUint32 (`>>> 0`). Everything is a plain function over locals: the salted
// kernel runs inside run(), which allocates nothing.

/** MurmurHash3's 32-bit finaliser (splitmix32's output function). */
const FMIX32 = `function nncFmix32(h) {
  let z = h >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}`;

/** Statements declaring sfc32's `a, b, c, d` as createRng(`seed`) leaves them, and `t`. */
const SFC32_SEED = (seed: string) =>
  `let a = nncFmix32(${seed} + 0x9e3779b9);
  let b = nncFmix32(${seed} + 2 * 0x9e3779b9);
  let c = nncFmix32(${seed} + 3 * 0x9e3779b9);
  let d = nncFmix32(${seed} + 4 * 0x9e3779b9);
  let t = 0;`;

/** One sfc32 draw: sets `t` to the next 32-bit output and advances `a, b, c, d`. */
const SFC32_DRAW = `t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;`;

/** The unsalted mask, computed once when the module loads. */
const DROPOUT_MASK = `function nncDropoutMask(count, rate, seed) {
  ${SFC32_SEED("seed")}
  for (let i = 0; i < 12; i++) {
    ${SFC32_DRAW}
  }
  const mask = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    ${SFC32_DRAW}
    mask[i] = t / 4294967296 >= rate ? 1 : 0;
  }
  return mask;
}`;

/**
 * Salted dropout of `n` float32 elements of `F` from index `x` to index `y`, drawing the mask as
 * it goes (the salt is known only at run time); `seed` is the static seed, `salt` the salt's value.
 */
const DROPOUT_SALTED = `function nncDropoutSalted(F, x, y, n, rate, scale, seed, salt) {
  const s = nncFmix32(seed ^ nncFmix32((salt >>> 0) + 0x9e3779b9));
  ${SFC32_SEED("s")}
  for (let i = 0; i < 12; i++) {
    ${SFC32_DRAW}
  }
  for (let i = 0; i < n; i++) {
    ${SFC32_DRAW}
    F[y + i] = t / 4294967296 >= rate ? F[x + i] * scale : 0;
  }
}`;

/**
 * Inverted dropout with core's mask. Unsalted, the mask depends only on the static seed, rate
 * and size, so it is computed once when the module loads (a module-level Uint8Array, shared by
 * every dropout with the same three, such as a forward dropout and its transpose). Salted, the
 * mask depends on the salt's value at run time and is drawn inside the kernel.
 */
export const emitDropout: NodeEmitter = (ctx, node) => {
  const { rate, seed } = node.attrs as unknown as OpAttrMap["dropout"];
  const n = sizeOf(node.type.shape);
  if (n === 0) return "";
  // Every draw is ≥ 0: rate 0 keeps everything and scales by 1, whatever the salt.
  if (rate === 0) return emitCopy(ctx, node.inputs[0]!, node.id);
  const x = ctx.ref(node.inputs[0]!);
  const y = ctx.ref(node.id);
  const scale = literal(1 / (1 - rate));
  ctx.helper("nncFmix32", FMIX32);
  const saltId = node.inputs[1];
  if (saltId !== undefined) {
    const salted = ctx.helper("nncDropoutSalted", DROPOUT_SALTED);
    const salt = element(ctx.ref(saltId), "0");
    return `${salted}(F, ${x.base}, ${y.base}, ${n}, ${rate}, ${scale}, ${seed}, ${salt});`;
  }
  const generate = ctx.helper("nncDropoutMask", DROPOUT_MASK);
  const key = `${n}_${seed}_${String(rate).replace(/\W/g, "_")}`;
  const mask = ctx.helper(
    `nncMask_${key}`,
    `const nncMask_${key} = ${generate}(${n}, ${rate}, ${seed});`,
  );
  const i = ctx.local("i");
  return [
    `for (let ${i} = 0; ${i} < ${n}; ${i}++) {`,
    ...indent([`${element(y, i)} = ${mask}[${i}] !== 0 ? ${element(x, i)} * ${scale} : 0;`]),
    "}",
  ].join("\n");
};

import type { GlslEmitter } from "../emit-context.js";
import { accumulate, decodeIndex, shapeOf, stridesOf, sum, type Term } from "./index-math.js";

/**
 * Batched matrix product `[..., m, k] · [..., k, n]` with NumPy-broadcast batch axes, for
 * float32 and int32 (int arithmetic wraps in GLSL ES 3.00, as the CPU backend's Math.imul does).
 * Each output element decodes its batch index, row and column, maps the batch index into each
 * operand (axes of extent 1 broadcast), and sums over k in a local, unrolled by four.
 */
export const emitMatmul: GlslEmitter = (ctx, node) => {
  const [lhs, rhs] = node.inputs as [number, number];
  const a = shapeOf(ctx, lhs);
  const b = shapeOf(ctx, rhs);
  const out = node.type.shape;
  const rank = out.length;
  const n = out[rank - 1]!;
  const k = a[a.length - 1]!;
  const int = node.type.dtype === "int32";
  const { lines, axes } = decodeIndex(
    ctx,
    "i",
    out,
    out.map((_, d) => (d === rank - 1 ? "col" : d === rank - 2 ? "row" : "bt")),
  );
  /** Terms of the operand's batch offset: the output's batch axes, right-aligned. */
  const batchTerms = (shape: readonly number[]): Term[] => {
    const batch = shape.slice(0, -2);
    const strides = stridesOf(shape);
    const shift = rank - shape.length;
    return batch.flatMap((extent, d): Term[] =>
      extent === 1 ? [] : [[strides[d]!, axes[d + shift]!]],
    );
  };
  const aRow = ctx.local("ar");
  const bCol = ctx.local("bc");
  const acc = ctx.local("acc");
  lines.push(
    `int ${aRow} = ${sum(0, ...batchTerms(a), [k, axes[rank - 2]!])};`,
    `int ${bCol} = ${sum(0, ...batchTerms(b), [1, axes[rank - 1]!])};`,
    `${int ? "int" : "float"} ${acc} = ${int ? "0" : "0.0"};`,
    ...accumulate(ctx, "p", k, acc, (p, offset) => {
      const left = ctx.read(lhs, sum(offset, [1, aRow], [1, p]));
      const right = ctx.read(rhs, sum(offset * n, [1, bCol], [n, p]));
      return `${left} * ${right}`;
    }),
    `return ${acc};`,
  );
  return lines.join("\n");
};

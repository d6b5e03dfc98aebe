import type { Node } from "@nnc/core";
import type {
  GlslContext,
  GlslEmitter,
  GlslEmitterSplit,
  GlslEmitterVec4,
} from "../emit-context.js";
import { accumulate, decodeIndex, shapeOf, stridesOf, sum, type Term } from "./index-math.js";

/**
 * Batched matrix product `[..., m, k] · [..., k, n]` with NumPy-broadcast batch axes, for
 * float32 and int32 (int arithmetic wraps in GLSL ES 3.00, as the CPU backend's Math.imul does).
 * Each output element decodes its batch index, row and column, maps the batch index into each
 * operand (axes of extent 1 broadcast), and sums over k in a local, unrolled by four.
 */
export const emitMatmul: GlslEmitter = (ctx, node) => {
  const [lhs, rhs] = node.inputs as [number, number];
  const { n, k, lines, aRow, bCol } = rowAndColumn(ctx, node, "i");
  const int = node.type.dtype === "int32";
  const acc = ctx.local("acc");
  lines.push(
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

/**
 * The 4-wide matmul for float32 products whose last axis n is a multiple of 4: the 4 elements
 * base … base + 3 are 4 adjacent columns of one row, so each k reads one texel of B (B[k, c … c+3])
 * and one element of A; when k is a multiple of 4 too, one texel of A serves 4 k's (A's rows then
 * start on texel boundaries): 5 texel fetches per 16 multiply-adds instead of 32.
 */
export const emitMatmulVec4: GlslEmitterVec4 = (ctx, node) => {
  const [lhs, rhs] = node.inputs as [number, number];
  const out = node.type.shape;
  if (node.type.dtype !== "float32" || out[out.length - 1]! % 4 !== 0 || !ctx.readTexel) {
    return undefined;
  }
  const { n, k, lines, aRow, bCol } = rowAndColumn(ctx, node, "base");
  // B's texel of row p + offset at columns bCol … bCol + 3 (bCol and n are multiples of 4).
  const bTexel = (p: string, offset: number) =>
    ctx.readTexel!(rhs, `(${sum(offset * n, [1, bCol], [n, p])}) >> 2`);
  if (bTexel("0", 0) === undefined) return undefined;
  const acc = ctx.local("acc");
  lines.push(`vec4 ${acc} = vec4(0.0);`);
  const aTexel = k % 4 === 0 ? ctx.readTexel(lhs, "0") : undefined;
  if (aTexel !== undefined && k > 0) {
    // Texel indices stepped directly (A's row and B's column start on texel boundaries): no
    // shifts in the loop, and B's 4 rows are fixed offsets of one index.
    const p = ctx.local("p");
    const a = ctx.local("a");
    const ta = ctx.local("ta");
    const tb = ctx.local("tb");
    const rowTexels = n / 4;
    lines.push(
      `int ${ta} = ${aRow} >> 2;`,
      `int ${tb} = ${bCol} >> 2;`,
      `for (int ${p} = 0; ${p} < ${k / 4}; ${p}++) {`,
      `  vec4 ${a} = ${ctx.readTexel(lhs, `${ta} + ${p}`)};`,
      `  ${acc} += ${["x", "y", "z", "w"].map((c, q) => `${a}.${c} * ${ctx.readTexel!(rhs, q === 0 ? tb : `${tb} + ${q * rowTexels}`)}`).join(" + ")};`,
      `  ${tb} += ${4 * rowTexels};`,
      "}",
    );
  } else {
    lines.push(
      ...accumulate(ctx, "p", k, acc, (p, offset) => {
        const left = ctx.read(lhs, sum(offset, [1, aRow], [1, p]));
        return `${left} * ${bTexel(p, offset)}`;
      }),
    );
  }
  lines.push(`return ${acc};`);
  return lines.join("\n");
};

/**
 * The multi-target matmul: a fragment computes 4 adjacent columns of `lanes` consecutive rows
 * of one batch entry (4 rows when m is a multiple of 4, else 2), so each B texel it fetches
 * serves every row: per 4 k's, 4 texels of B and `lanes` of A for 16·lanes multiply-adds (8
 * fetches per 64 with 4 lanes, against 5 per 16 for the 4-wide path; W4 on SwiftShader, timed
 * per draw: 161 ms → 66 ms). Needs float32, n and k multiples of 4.
 */
export const emitMatmulSplit: GlslEmitterSplit = (ctx, node) => {
  const [lhs, rhs] = node.inputs as [number, number];
  const out = node.type.shape;
  const m = out[out.length - 2];
  const n = out[out.length - 1]!;
  const lanes = m !== undefined && m % 4 === 0 ? 4 : m !== undefined && m % 2 === 0 ? 2 : 0;
  const k = shapeOf(ctx, lhs).at(-1)!;
  if (node.type.dtype !== "float32" || lanes === 0 || n % 4 !== 0 || k % 4 !== 0 || k === 0) {
    return undefined;
  }
  if (!ctx.readTexel || ctx.readTexel(rhs, "0") === undefined) return undefined;
  if (ctx.readTexel(lhs, "0") === undefined) return undefined;
  const { lines, aRow, bCol } = rowAndColumn(ctx, node, "base");
  const rowTexels = n / 4;
  const p = ctx.local("p");
  const ta = ctx.local("ta");
  const tb = ctx.local("tb");
  const lane = Array.from({ length: lanes }, (_, j) => j);
  const b = [0, 1, 2, 3].map(() => ctx.local("b"));
  const acc = lane.map(() => ctx.local("acc"));
  lines.push(
    ...acc.map((a) => `vec4 ${a} = vec4(0.0);`),
    `int ${ta} = ${aRow} >> 2;`,
    `int ${tb} = ${bCol} >> 2;`,
    `for (int ${p} = 0; ${p} < ${k / 4}; ${p}++) {`,
    // B's rows 4p … 4p + 3 at the fragment's 4 columns, shared by every lane's row.
    ...b.map(
      (name, q) =>
        `  vec4 ${name} = ${ctx.readTexel!(rhs, q === 0 ? tb : `${tb} + ${q * rowTexels}`)};`,
    ),
    ...lane.map((j) => {
      const a = ctx.readTexel!(lhs, `${ta} + ${j * (k / 4)} + ${p}`);
      return `  { vec4 a = ${a}; ${acc[j]} += a.x * ${b[0]} + a.y * ${b[1]} + a.z * ${b[2]} + a.w * ${b[3]}; }`;
    }),
    `  ${tb} += ${4 * rowTexels};`,
    "}",
    ...lane.map((j) => `w${node.id}_${j} = ${acc[j]};`),
  );
  return { lanes, extent: m!, laneTexels: rowTexels, body: lines.join("\n") };
};

/**
 * Decodes flat index `flat` of the product into its batch index, row and column, and declares
 * `aRow` (A's flat index of the row's first element) and `bCol` (B's flat index of the column's
 * first element), batch axes broadcast NumPy-style.
 */
function rowAndColumn(ctx: GlslContext, node: Node, flat: string) {
  const [lhs, rhs] = node.inputs as [number, number];
  const a = shapeOf(ctx, lhs);
  const b = shapeOf(ctx, rhs);
  const out = node.type.shape;
  const rank = out.length;
  const n = out[rank - 1]!;
  const k = a[a.length - 1]!;
  const { lines, axes } = decodeIndex(
    ctx,
    flat,
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
  lines.push(
    `int ${aRow} = ${sum(0, ...batchTerms(a), [k, axes[rank - 2]!])};`,
    `int ${bCol} = ${sum(0, ...batchTerms(b), [1, axes[rank - 1]!])};`,
  );
  return { n, k, lines, aRow, bCol };
}

import type { Conv2dTransposeAttrs } from "@nnc/core";
import type { GlslEmitterSplit } from "../emit-context.js";
import { lanesFor } from "./conv-shared-vec4.js";
import { decodeIndex, shapeOf } from "./index-math.js";

// conv2d_transpose (stride 1, no dilation, one group) reading rows a few texels at a time. The
// fragment's 4 image elements lie in one image row, or straddle two (rows of a width that is
// not a multiple of 4); for image element X of a row and tap kj the cotangent value is column
// X + pl − kj of the matching cotangent row. Per (cotangent channel, tap row), the values every
// element and tap column need are one run of kw + 3 consecutive columns: fetched as 3 texels (an
// unaligned run of at most 11 elements), with a second run when the elements straddle two rows.
// Each lane's kw weights of the tap row are 2 texels. LeNet's conv2 input gradient (16 → 6
// channels, 5×5, 14×14 images): per (channel, tap row) 9 fetches for 60 multiply-adds, where the
// pixel-by-pixel shared loop fetches 35. Entries outside the cotangent are 0 and still multiply
// their weight: exact for finite weights (the scalar path skips such taps instead).

/**
 * The row-run multi-target conv2d_transpose: lanes over the image's channels (4, 3 or 2,
 * whichever divides them), for stride 1, dilation 1, one group, kernels at most 5 wide, and
 * image planes of a multiple of 4 elements. Undefined otherwise.
 */
export const emitConv2dTransposeRowsSplit: GlslEmitterSplit = (ctx, node) => {
  const [input, kernel] = node.inputs as [number, number];
  const attrs = node.attrs as unknown as Conv2dTransposeAttrs;
  const [, c, h, w] = shapeOf(ctx, input) as [number, number, number, number];
  const [, og, kh, kw] = shapeOf(ctx, kernel) as [number, number, number, number];
  const shape = node.type.shape as [number, number, number, number];
  const [, o, ho, wo] = shape;
  const [[pt], [pl]] = attrs.padding as [[number, number], [number, number]];
  const lanes = lanesFor(og);
  const simple =
    attrs.strides.every((s) => s === 1) &&
    attrs.dilations.every((d) => d === 1) &&
    attrs.groups === 1;
  if (node.type.dtype !== "float32" || !simple || lanes === 0 || (ho * wo) % 4 !== 0) {
    return undefined;
  }
  const run = kw + 3;
  // A run (≤ 11 elements from an unaligned start) must fit 3 texels and a weight row 2 texels
  // (≤ 8 elements); 4 elements straddle at most 2 rows when rows hold 4 or more.
  if (kw > 5 || wo < 4 || !ctx.readTexel) return undefined;
  if (ctx.readTexel(input, "0") === undefined || ctx.readTexel(kernel, "0") === undefined) {
    return undefined;
  }
  const id = node.id;
  const plane = h * w;
  const taps = kh * kw;
  const laneList = Array.from({ length: lanes }, (_, j) => j);
  const { lines, axes } = decodeIndex(ctx, "base", shape, ["b", "oc", "oy", "ox"]);
  const [b, oc, oy, ox] = axes as [string, string, string, string];
  const dy = (t: string) => ctx.readTexel!(input, t);
  const wt = (t: string) => ctx.readTexel!(kernel, t);
  /**
   * Lines declaring `float <name>_<m>` (m < run) for cotangent channel `ch`, tap row `ki` and the
   * run of columns starting at `first` in image row `row` (0 outside the cotangent).
   */
  const runOf = (name: string, row: string, first: string, ch: string, ki: string): string[] => [
    `int ${name}y = ${row} + ${pt} - ${ki};`,
    `bool ${name}ok = ${name}y >= 0 && ${name}y < ${h};`,
    `int ${name}f = ${b} * ${c * plane} + ${ch} * ${plane} + ${name}y * ${w} + ${first};`,
    `int ${name}t = ${name}f >> 2;`,
    `vec4 ${name}0 = ${dy(`${name}t`)};`,
    `vec4 ${name}1 = ${dy(`${name}t + 1`)};`,
    `vec4 ${name}2 = ${dy(`${name}t + 2`)};`,
    `float ${name}a[12] = float[12](${[0, 1, 2].flatMap((q) => ["x", "y", "z", "w"].map((comp) => `${name}${q}.${comp}`)).join(", ")});`,
    `int ${name}s = ${name}f & 3;`,
    ...Array.from(
      { length: run },
      (_, m) =>
        `float ${name}_${m} = ${name}ok && ${first} + ${m} >= 0 && ${first} + ${m} < ${w} ? ${name}a[${name}s + ${m}] : 0.0;`,
    ),
  ];
  // Element k lies in row A (element 0's) when ox + k < wo, else in row B (element 3's), at
  // column ox + k or ox + k − wo; either way its tap kj reads run entry k + kw − 1 − kj, with
  // run A starting at column ox + pl − kw + 1 of row A and run B at ox3 − 3 + pl − kw + 1.
  lines.push(
    `int oy3 = ${oy} + (${ox} + 3 >= ${wo} ? 1 : 0);`,
    `int ox3 = ${ox} + 3 - (${ox} + 3 >= ${wo} ? ${wo} : 0);`,
    `bool straddles = oy3 != ${oy};`,
    ...laneList.map((j) => `vec4 acc${j} = vec4(0.0);`),
    `for (int ch = 0; ch < ${c}; ch++) {`,
    `  for (int ki = 0; ki < ${kh}; ki++) {`,
    ...runOf("ra", oy, `${ox} + ${pl - kw + 1}`, "ch", "ki").map((l) => `    ${l}`),
    ...Array.from({ length: run }, (_, m) => `    float rb_${m} = ra_${m};`),
    "    if (straddles) {",
    ...runOf("rc", "oy3", `ox3 + ${pl - kw + 1 - 3}`, "ch", "ki").map((l) => `      ${l}`),
    ...Array.from({ length: run }, (_, m) => `      rb_${m} = rc_${m};`),
    "    }",
    // Lane j's weights of tap row ki: kernel[ch, oc + j, ki, 0 … kw − 1], kw consecutive elements.
    ...laneList.flatMap((j) => [
      `    int wf${j} = ch * ${og * taps} + (${oc} + ${j}) * ${taps} + ki * ${kw};`,
      `    vec4 wa${j} = ${wt(`wf${j} >> 2`)};`,
      `    vec4 wb${j} = ${wt(`(wf${j} >> 2) + 1`)};`,
      `    float wv${j}[8] = float[8](wa${j}.x, wa${j}.y, wa${j}.z, wa${j}.w, wb${j}.x, wb${j}.y, wb${j}.z, wb${j}.w);`,
      `    int ws${j} = wf${j} & 3;`,
      ...Array.from({ length: kw }, (_, kj) => `    float lw${j}_${kj} = wv${j}[ws${j} + ${kj}];`),
    ]),
    // Elements 0 … 3: from run A while in row A; element 0 always is, element 3 only if the
    // elements do not straddle.
    ...[0, 1, 2, 3].flatMap((k) => {
      const inA = k === 0 ? "true" : `${ox} + ${k} < ${wo}`;
      return Array.from({ length: kw }, (_, kj) => {
        const m = k + kw - 1 - kj;
        const value = k === 0 ? `ra_${m}` : `(${inA} ? ra_${m} : rb_${m})`;
        return `    { float v = ${value}; ${laneList.map((j) => `acc${j}.${"xyzw"[k]} += v * lw${j}_${kj};`).join(" ")} }`;
      });
    }),
    "  }",
    "}",
    ...laneList.map((j) => `w${id}_${j} = acc${j};`),
  );
  return { lanes, extent: o, laneTexels: (ho * wo) / 4, body: lines.join("\n") };
};

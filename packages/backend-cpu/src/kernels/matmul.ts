import { type Node, type Program, type Shape, sizeOf, tryBroadcastShapes } from "@nnc/core";
import type { EmitContext, NodeEmitter } from "../emit-context.js";
import { WASM_SIMD_SCRATCH_ALIGN, wasmPackBytes } from "../wasm/gemm-wasm.js";
import { convLowering } from "./conv-geometry.js";

// Matrix products: one cache-blocked, register-tiled GEMM helper per module, shared by matmul
// and by the convolutions lowered to a GEMM (conv.ts).
//
// The helper computes C[m, n] (row-major, contiguous) = or += A[m, k] · B[k, n], where A and B
// are read through arbitrary row and column strides, so a transposed operand costs nothing
// beyond a less sequential packing. The loops follow Goto's blocking: for each NC-wide column
// block of B and each KC-deep slice of k, the slice of B is packed once into strips of 4
// columns (kc × 4, contiguous), then for each MC-tall row block of A, A is packed into panels of
// 4 rows (kc × 4, contiguous), and every 4 × 4 tile of C is computed by a micro-kernel holding
// its 16 sums in locals: per step of k it reads 4 values of each panel and does 16 multiply-adds.
// A strip of B (8 KB) stays in L1 while the panels of A stream from L2.
//
// Packed panels are Float64Array: loading a double skips a float32 → float64 conversion per
// value in the micro-kernel (≈ 10 % faster than Float32Array panels in Node 20). Partial
// panels and strips at the bottom and right edges are packed with zeros, so the 4 × 4 kernel has
// no edge cases; edge tiles go to a separate function running a 2 × 2, 2 × 4, 4 × 2 or 4 × 4
// kernel (a 6-row product — LeNet's 6 channels — does 6 rows of work, not 8: 10–20 % faster on
// W2's first convolution) and storing its valid part. Sums are exact doubles within a KC slice
// and rounded to float32 when stored, once per slice.
//
// Tiles of 4 × 4 were measured against 4 × 3, 3 × 4, 2 × 6, 6 × 2, 4 × 6, 4 × 8 and 8 × 4 on the
// W1 and W4 shapes: 4 × 4 with double panels was the fastest or within noise of it (V8 keeps
// scalar doubles in the 16 XMM registers; larger tiles spill). The block sizes matter little at
// these sizes (within 10 % from 128 to 1024); these keep the packed B slice ≤ 512 KB.

/** Depth of a packed slice of k. */
const KC = 256;
/** Rows of A packed at once (a multiple of 4). */
const MC = 64;
/** Columns of B packed at once (a multiple of 4). */
const NC = 256;

/** The shape of one GEMM call: C[m, n] = A[m, k] · B[k, n]. */
export interface GemmShape {
  readonly m: number;
  readonly k: number;
  readonly n: number;
}

/** Doubles of packing scratch one GEMM call needs: [panels of A, strips of B]. */
function packedSizes({ m, k, n }: GemmShape): [number, number] {
  const kc = Math.min(KC, k);
  const round4 = (x: number) => Math.ceil(x / 4) * 4;
  return [kc * round4(Math.min(MC, m)), kc * round4(Math.min(NC, n))];
}

/**
 * Every float32 GEMM call the program's kernels make (matmul and the convolutions lowered to
 * a GEMM), to size the packing scratch once for the largest.
 */
function programGemms(program: Program): GemmShape[] {
  const shapes: GemmShape[] = [];
  for (const node of program.graph.nodes) {
    if (node.type.dtype !== "float32") continue;
    if (node.op === "matmul") shapes.push(matmulPlan(program, node).gemm);
    else {
      const lowering = convLowering(program.graph, node);
      if (lowering) shapes.push(...lowering.gemms);
    }
  }
  return shapes;
}

/**
 * Where the WebAssembly path keeps its scratch, in bytes of the Wasm memory, after the arena
 * (which starts at byte 0): the GEMM's packed panels of A and strips of B and its edge tile, and
 * the convolutions' im2col/col2im columns and flipped kernels (so every GEMM operand lives in
 * the memory). `end` is the memory size the program needs. The same layout is computed when
 * emitting and when instantiating, from the program alone.
 */
export interface WasmScratchLayout {
  readonly packA: number;
  readonly packB: number;
  readonly edge: number;
  readonly col: number;
  readonly flip: number;
  readonly end: number;
}

export function wasmScratchLayout(program: Program): WasmScratchLayout {
  let packA = 0;
  let packB = 0;
  for (const { m, k, n } of programGemms(program)) {
    const [a, b] = wasmPackBytes(m, k, n);
    packA = Math.max(packA, a);
    packB = Math.max(packB, b);
  }
  let col = 0;
  let flip = 0;
  for (const node of program.graph.nodes) {
    const lowering = convLowering(program.graph, node);
    col = Math.max(col, lowering?.colSize ?? 0);
    flip = Math.max(flip, lowering?.flipSize ?? 0);
  }
  const align = (x: number) => Math.ceil(x / WASM_SIMD_SCRATCH_ALIGN) * WASM_SIMD_SCRATCH_ALIGN;
  const offsets: number[] = [];
  let at = align(program.arenaBytes);
  for (const bytes of [packA, packB, 128, 4 * col, 4 * flip]) {
    offsets.push(at);
    at = align(at + bytes);
  }
  const [a, b, edge, c, f] = offsets as [number, number, number, number, number];
  return { packA: a, packB: b, edge, col: c, flip: f, end: at };
}

/**
 * Declares the module's float32 GEMM helper (with its packing scratch, sized for the largest
 * call in the program) and returns its name. Call it as
 * `nncGemm(A, a, aRowStride, aColStride, B, b, bRowStride, bColStride, C, c, m, k, n, add)`:
 * A, B and C are Float32Arrays, a, b, c element offsets, and `add` (0 or 1) accumulates into C
 * instead of overwriting it. Requires k ≥ 1.
 */
export function declareGemm(ctx: EmitContext): string {
  let sizeA = 0;
  let sizeB = 0;
  for (const shape of programGemms(ctx.program)) {
    const [a, b] = packedSizes(shape);
    sizeA = Math.max(sizeA, a);
    sizeB = Math.max(sizeB, b);
  }
  const layout = wasmScratchLayout(ctx.program);
  return ctx.helper("nncGemm", gemmSource(Math.max(sizeA, 16), Math.max(sizeB, 16), layout));
}

/** A GEMM call statement; `shape` must be one of those {@link programGemms} reported. */
export function gemmCall(
  gemm: string,
  a: GemmOperand,
  b: GemmOperand,
  c: { readonly array: string; readonly offset: string | number },
  { m, k, n }: GemmShape,
  add: boolean | string,
): string {
  const operand = (x: GemmOperand) => `${x.array}, ${x.offset}, ${x.rowStride}, ${x.colStride}`;
  const accumulate = typeof add === "string" ? add : add ? 1 : 0;
  return `${gemm}(${operand(a)}, ${operand(b)}, ${c.array}, ${c.offset}, ${m}, ${k}, ${n}, ${accumulate});`;
}

/** A matrix operand of a GEMM call: the array, the offset of element (0, 0) and its strides. */
export interface GemmOperand {
  readonly array: string;
  readonly offset: string | number;
  readonly rowStride: number;
  readonly colStride: number;
}

/**
 * The micro-kernel of an edge tile: `rows` × `cols` sums (rows, cols ∈ {2, 4}) over packed
 * panels whose rows and strips stay 4 wide (zero-padded), saved into nncGemmEdge.
 */
function edgeKernel(rows: number, cols: number): string {
  const sums: string[] = [];
  const body: string[] = [];
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < cols; q++) sums.push(`c${r}${q} = 0`);
  }
  body.push(
    `const ${[...Array(cols).keys()].map((q) => `b${q} = PB[qb${q ? ` + ${q}` : ""}]`).join(", ")};`,
  );
  for (let r = 0; r < rows; r++) {
    body.push(`x = PA[qa${r ? ` + ${r}` : ""}];`);
    body.push([...Array(cols).keys()].map((q) => `c${r}${q} += x * b${q};`).join(" "));
  }
  const save = [];
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < cols; q++) save.push(`E[${4 * r + q}] = c${r}${q};`);
  }
  return [
    `let ${sums.join(", ")}, x;`,
    "for (; qb < end; qb += 4, qa += 4) {",
    ...body.map((line) => `  ${line}`),
    "}",
    save.join(" "),
  ].join("\n");
}

/**
 * A tile at the bottom or right edge (h × w with h or w < 4): the smallest of the 2×2, 2×4,
 * 4×2 and 4×4 micro-kernels that covers it (a 6-row product costs 6, not 8, rows of work), then
 * a store of its h × w part.
 */
function edgeTileSource(): string {
  const variant = (rows: number, cols: number, depth: number) =>
    edgeKernel(rows, cols)
      .split("\n")
      .map((line) => `${"  ".repeat(depth)}${line}`)
      .join("\n");
  return `function nncGemmEdgeTile(C, o, n, qa, qb, kc, h, w, store) {
  const PA = nncGemmPackA, PB = nncGemmPackB, E = nncGemmEdge;
  const end = qb + kc * 4;
  if (h <= 2) {
    if (w <= 2) {
${variant(2, 2, 3)}
    } else {
${variant(2, 4, 3)}
    }
  } else if (w <= 2) {
${variant(4, 2, 2)}
  } else {
${variant(4, 4, 2)}
  }
  for (let r = 0; r < h; r++, o += n) {
    for (let q = 0; q < w; q++) C[o + q] = store ? E[4 * r + q] : C[o + q] + E[4 * r + q];
  }
}`;
}

/**
 * The GEMM helper: with the WebAssembly path (`nncWasm` given to createProgram; A, B and C are
 * then views of the Wasm memory) a call of the Wasm SIMD kernel on byte addresses, else the
 * JavaScript GEMM, whose packing scratch is only allocated when it is used.
 */
function gemmSource(sizeA: number, sizeB: number, layout: WasmScratchLayout): string {
  return `const nncWasmGemm = nncWasm ? nncWasm.gemm : null;
const nncGemmPackA = nncWasmGemm ? null : new Float64Array(${sizeA});
const nncGemmPackB = nncWasmGemm ? null : new Float64Array(${sizeB});
const nncGemmEdge = nncWasmGemm ? null : new Float64Array(16);
${edgeTileSource()}
function nncGemm(A, a, ars, acs, B, b, brs, bcs, C, c, m, k, n, add) {
  if (nncWasmGemm !== null) {
    nncWasmGemm(A.byteOffset + 4 * a, ars, acs, B.byteOffset + 4 * b, brs, bcs, C.byteOffset + 4 * c, m, k, n, add, ${layout.packA}, ${layout.packB}, ${layout.edge});
    return;
  }
  const PA = nncGemmPackA, PB = nncGemmPackB;
  for (let jc = 0; jc < n; jc += ${NC}) {
    const nc = Math.min(${NC}, n - jc);
    const strips = (nc + 3) >> 2;
    for (let pc = 0; pc < k; pc += ${KC}) {
      const kc = Math.min(${KC}, k - pc);
      // The first slice of k overwrites C unless the caller accumulates.
      const store = pc === 0 && !add;
      for (let s = 0; s < strips; s++) {
        const w = Math.min(4, nc - 4 * s);
        let d = s * kc * 4;
        let src = b + pc * brs + (jc + 4 * s) * bcs;
        if (w === 4) {
          const b2 = 2 * bcs, b3 = 3 * bcs;
          for (let p = 0; p < kc; p++, d += 4, src += brs) {
            PB[d] = B[src]; PB[d + 1] = B[src + bcs]; PB[d + 2] = B[src + b2]; PB[d + 3] = B[src + b3];
          }
        } else {
          for (let p = 0; p < kc; p++, d += 4, src += brs) {
            for (let q = 0; q < 4; q++) PB[d + q] = q < w ? B[src + q * bcs] : 0;
          }
        }
      }
      for (let ic = 0; ic < m; ic += ${MC}) {
        const mc = Math.min(${MC}, m - ic);
        const panels = (mc + 3) >> 2;
        for (let t = 0; t < panels; t++) {
          const h = Math.min(4, mc - 4 * t);
          let d = t * kc * 4;
          let src = a + (ic + 4 * t) * ars + pc * acs;
          if (h === 4) {
            const a2 = 2 * ars, a3 = 3 * ars;
            for (let p = 0; p < kc; p++, d += 4, src += acs) {
              PA[d] = A[src]; PA[d + 1] = A[src + ars]; PA[d + 2] = A[src + a2]; PA[d + 3] = A[src + a3];
            }
          } else {
            for (let p = 0; p < kc; p++, d += 4, src += acs) {
              for (let r = 0; r < 4; r++) PA[d + r] = r < h ? A[src + r * ars] : 0;
            }
          }
        }
        for (let s = 0; s < strips; s++) {
          const w = Math.min(4, nc - 4 * s);
          for (let t = 0; t < panels; t++) {
            const h = Math.min(4, mc - 4 * t);
            let o = c + (ic + 4 * t) * n + jc + 4 * s;
            if (h < 4 || w < 4) {
              nncGemmEdgeTile(C, o, n, t * kc * 4, s * kc * 4, kc, h, w, store);
              continue;
            }
            let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
            let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
            let qa = t * kc * 4, qb = s * kc * 4;
            const end = qb + kc * 4;
            for (; qb < end; qb += 4, qa += 4) {
              const b0 = PB[qb], b1 = PB[qb + 1], b2 = PB[qb + 2], b3 = PB[qb + 3];
              let x = PA[qa];
              c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
              x = PA[qa + 1];
              c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
              x = PA[qa + 2];
              c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
              x = PA[qa + 3];
              c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
            }
            if (store) {
              C[o] = c00; C[o + 1] = c01; C[o + 2] = c02; C[o + 3] = c03; o += n;
              C[o] = c10; C[o + 1] = c11; C[o + 2] = c12; C[o + 3] = c13; o += n;
              C[o] = c20; C[o + 1] = c21; C[o + 2] = c22; C[o + 3] = c23; o += n;
              C[o] = c30; C[o + 1] = c31; C[o + 2] = c32; C[o + 3] = c33;
            } else {
              C[o] += c00; C[o + 1] += c01; C[o + 2] += c02; C[o + 3] += c03; o += n;
              C[o] += c10; C[o + 1] += c11; C[o + 2] += c12; C[o + 3] += c13; o += n;
              C[o] += c20; C[o + 1] += c21; C[o + 2] += c22; C[o + 3] += c23; o += n;
              C[o] += c30; C[o + 1] += c31; C[o + 2] += c32; C[o + 3] += c33;
            }
          }
        }
      }
    }
  }
}`;
}

/**
 * int32 matrix product with wrapping arithmetic (Math.imul and `| 0`), as int32 math wraps in
 * core. Rare (index arithmetic), so a plain row-by-row loop.
 */
const GEMM_INT32 = `function nncGemmInt32(A, a, ars, acs, B, b, brs, bcs, C, c, m, k, n) {
  for (let i = 0; i < m; i++) {
    const ci = c + i * n;
    for (let j = 0; j < n; j++) C[ci + j] = 0;
    for (let p = 0; p < k; p++) {
      const x = A[a + i * ars + p * acs];
      const bp = b + p * brs;
      for (let j = 0; j < n; j++) C[ci + j] = (C[ci + j] + Math.imul(x, B[bp + j * bcs])) | 0;
    }
  }
}`;

/** How one matmul node is computed: GEMM calls over its (collapsed) broadcast batch. */
interface MatmulPlan {
  /** The shape of every GEMM call. */
  readonly gemm: GemmShape;
  /** Batch loops (outermost first): extent and the element step of A, B and C per iteration. */
  readonly loops: readonly { extent: number; a: number; b: number; c: number }[];
}

/**
 * Plans a matmul: m, k, n and the broadcast batch as loops. When B is shared by every batch
 * element and A is not broadcast, the batch folds into m: `[b, m, k] · [k, n]` is one
 * `[b·m, k] · [k, n]` product (dense layers over a batch of sequences), which packs B once.
 */
function matmulPlan(program: Program, node: Node): MatmulPlan {
  const [lhs, rhs] = node.inputs.map((i) => program.graph.node(i).type.shape) as [Shape, Shape];
  const m = lhs[lhs.length - 2]!;
  const k = lhs[lhs.length - 1]!;
  const n = rhs[rhs.length - 1]!;
  const batchA = lhs.slice(0, -2);
  const batchB = rhs.slice(0, -2);
  const batch = tryBroadcastShapes(batchA, batchB)!;
  const strides = (own: Shape, block: number) => {
    const lead = batch.length - own.length;
    const out = batch.map(() => 0);
    let stride = block;
    for (let axis = batch.length - 1; axis >= lead; axis--) {
      if (own[axis - lead] !== 1) out[axis] = stride;
      stride *= own[axis - lead]!;
    }
    return out;
  };
  const sa = strides(batchA, m * k);
  const sb = strides(batchB, k * n);
  const sc = strides(batch, m * n);
  const loops: { extent: number; a: number; b: number; c: number }[] = [];
  batch.forEach((extent, axis) => {
    if (extent === 1) return;
    const step = { extent, a: sa[axis]!, b: sb[axis]!, c: sc[axis]! };
    const last = loops.at(-1);
    // Neighbouring axes walked as one by all three operands merge into one loop.
    if (
      last &&
      last.a === step.a * extent &&
      last.b === step.b * extent &&
      last.c === step.c * extent
    ) {
      loops[loops.length - 1] = { ...step, extent: last.extent * extent };
    } else {
      loops.push(step);
    }
  });
  const total = sizeOf(batch);
  if (loops.every((l) => l.b === 0) && sizeOf(batchA) === total) {
    return { gemm: { m: total * m, k, n }, loops: [] };
  }
  return { gemm: { m, k, n }, loops };
}

/**
 * Batched matrix product over the last two axes with NumPy batch broadcasting: float32 through
 * the blocked GEMM helper, int32 with wrapping arithmetic. Batch axes become loops of helper
 * calls (or fold into the rows when B is shared, see {@link matmulPlan}).
 */
export const emitMatmul: NodeEmitter = (ctx, node) => {
  const size = sizeOf(node.type.shape);
  if (size === 0) return "";
  const [lhs, rhs] = node.inputs.map((i) => ctx.ref(i));
  const out = ctx.ref(node.id);
  const plan = matmulPlan(ctx.program, node);
  const { m, k, n } = plan.gemm;
  if (k === 0) return `${out.view}.fill(0, ${out.base}, ${out.base + size});`;
  const int32 = node.type.dtype === "int32";
  const gemm = int32 ? ctx.helper("nncGemmInt32", GEMM_INT32) : declareGemm(ctx);
  const view = out.view;
  // One running offset per operand and loop level (none where the operand is broadcast); the
  // innermost call adds them up.
  const offsets = plan.loops.map((loop) => ({
    i: ctx.local("t"),
    a: loop.a === 0 ? "" : ctx.local("oa"),
    b: loop.b === 0 ? "" : ctx.local("ob"),
    c: ctx.local("oc"),
  }));
  const sumOf = (base: number, key: "a" | "b" | "c") =>
    [base === 0 ? "" : String(base), ...offsets.map((o) => o[key])].filter((s) => s).join(" + ") ||
    "0";
  const call = `${gemm}(${view}, ${sumOf(lhs!.base, "a")}, ${k}, 1, ${view}, ${sumOf(rhs!.base, "b")}, ${n}, 1, ${view}, ${sumOf(out.base, "c")}, ${m}, ${k}, ${n}${int32 ? "" : ", 0"});`;
  let code = call;
  for (let level = plan.loops.length - 1; level >= 0; level--) {
    const loop = plan.loops[level]!;
    const o = offsets[level]!;
    const vars = (["a", "b", "c"] as const).filter((key) => o[key]);
    const init = [`let ${o.i} = 0`, ...vars.map((key) => `${o[key]} = 0`)].join(", ");
    const step = [`${o.i}++`, ...vars.map((key) => `${o[key]} += ${loop[key]}`)].join(", ");
    code = [
      `for (${init}; ${o.i} < ${loop.extent}; ${step}) {`,
      ...code.split("\n").map((line) => `  ${line}`),
      "}",
    ].join("\n");
  }
  return code;
};

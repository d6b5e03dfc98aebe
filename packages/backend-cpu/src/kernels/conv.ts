import type { EmitContext, NodeEmitter } from "../emit-context.js";
import {
  type ConvGeometry,
  type ConvLowering,
  convLowering,
  gatherGeometry,
} from "./conv-geometry.js";
import { declareGemm, gemmCall, wasmScratchLayout } from "./matmul.js";

// Convolutions over NCHW activations. Each node is lowered (conv-geometry.ts) either to the
// module's blocked GEMM through im2col, per batch element and group, or to direct loops for thin
// products (depthwise). Both are module-level helpers taking the static geometry as literal
// arguments, so a program with many convolutions holds each loop nest once.
//
// Geometry in the argument lists below, in this order: image channels ci, rows hi, columns wi;
// response rows hr, columns wr; kernel kh, kw; strides sh, sw; dilations dh, dw; padding top pt,
// left pl. Response row y, tap i reads image row y·sh − pt + i·dh; the response rows whose tap
// lands inside the image are [y0, y1) with y0 = ⌈(pt − i·dh) / sh⌉ and
// y1 = ⌊(hi − 1 + pt − i·dh) / sh⌋ + 1, clamped to [0, hr] (columns alike).

/**
 * im2col of one group of image channels: col[(c·kh + i)·kw + j][y·wr + x] =
 * image[c, y·sh − pt + i·dh, x·sw − pl + j·dw], or 0 in the padding.
 */
const IM2COL = `function nncIm2col(X, x, cig, hi, wi, hr, wr, kh, kw, sh, sw, dh, dw, pt, pl, col) {
  let d = 0;
  for (let c = 0; c < cig; c++) {
    const plane = x + c * hi * wi;
    for (let i = 0; i < kh; i++) {
      const oy = i * dh - pt;
      const y0 = Math.min(hr, Math.max(0, Math.ceil(-oy / sh)));
      const y1 = Math.max(y0, Math.min(hr, Math.floor((hi - 1 - oy) / sh) + 1));
      for (let j = 0; j < kw; j++) {
        const ox = j * dw - pl;
        const x0 = Math.min(wr, Math.max(0, Math.ceil(-ox / sw)));
        const x1 = Math.max(x0, Math.min(wr, Math.floor((wi - 1 - ox) / sw) + 1));
        for (let y = 0; y < hr; y++, d += wr) {
          if (y < y0 || y >= y1) {
            for (let q = 0; q < wr; q++) col[d + q] = 0;
            continue;
          }
          const src = plane + (y * sh + oy) * wi + ox;
          let q = 0;
          for (; q < x0; q++) col[d + q] = 0;
          if (sw === 1) for (; q < x1; q++) col[d + q] = X[src + q];
          else for (; q < x1; q++) col[d + q] = X[src + q * sw];
          for (; q < wr; q++) col[d + q] = 0;
        }
      }
    }
  }
}`;

/** The adjoint of im2col: adds col into one group of image channels (the caller zeroed them). */
const COL2IM = `function nncCol2im(col, Y, y, cig, hi, wi, hr, wr, kh, kw, sh, sw, dh, dw, pt, pl) {
  let d = 0;
  for (let c = 0; c < cig; c++) {
    const plane = y + c * hi * wi;
    for (let i = 0; i < kh; i++) {
      const oy = i * dh - pt;
      const y0 = Math.min(hr, Math.max(0, Math.ceil(-oy / sh)));
      const y1 = Math.max(y0, Math.min(hr, Math.floor((hi - 1 - oy) / sh) + 1));
      for (let j = 0; j < kw; j++, d += hr * wr) {
        const ox = j * dw - pl;
        const x0 = Math.min(wr, Math.max(0, Math.ceil(-ox / sw)));
        const x1 = Math.max(x0, Math.min(wr, Math.floor((wi - 1 - ox) / sw) + 1));
        for (let r = y0; r < y1; r++) {
          const dst = plane + (r * sh + oy) * wi + ox;
          const src = d + r * wr;
          for (let q = x0; q < x1; q++) Y[dst + q * sw] += col[src + q];
        }
      }
    }
  }
}`;

/**
 * Direct conv2d: each response plane accumulated in doubles over (c, i, j), one kernel weight
 * at a time over the rows and columns its tap reaches.
 */
const CONV2D_DIRECT = `function nncConv2dDirect(X, x, K, k, Y, y, batch, groups, ci, hi, wi, cr, hr, wr, kh, kw, sh, sw, dh, dw, pt, pl) {
  const cig = ci / groups, crg = cr / groups, pixels = hr * wr, acc = nncConvAcc;
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < cr; r++) {
      for (let p = 0; p < pixels; p++) acc[p] = 0;
      const image = x + (b * ci + Math.floor(r / crg) * cig) * hi * wi;
      let w = k + r * cig * kh * kw;
      for (let c = 0; c < cig; c++) {
        const plane = image + c * hi * wi;
        for (let i = 0; i < kh; i++) {
          const oy = i * dh - pt;
          const y0 = Math.min(hr, Math.max(0, Math.ceil(-oy / sh)));
          const y1 = Math.max(y0, Math.min(hr, Math.floor((hi - 1 - oy) / sh) + 1));
          for (let j = 0; j < kw; j++, w++) {
            const weight = K[w];
            const ox = j * dw - pl;
            const x0 = Math.min(wr, Math.max(0, Math.ceil(-ox / sw)));
            const x1 = Math.max(x0, Math.min(wr, Math.floor((wi - 1 - ox) / sw) + 1));
            for (let row = y0; row < y1; row++) {
              const src = plane + (row * sh + oy) * wi + ox;
              const dst = row * wr;
              for (let q = x0; q < x1; q++) acc[dst + q] += weight * X[src + q * sw];
            }
          }
        }
      }
      const out = y + (b * cr + r) * pixels;
      for (let p = 0; p < pixels; p++) Y[out + p] = acc[p];
    }
  }
}`;

/**
 * Direct conv2d_transpose: each image plane accumulated in doubles, scattering every response
 * value of its group through each kernel tap (the adjoint of the loops above).
 */
const CONV2D_TRANSPOSE_DIRECT = `function nncConv2dTransposeDirect(R, x, K, k, Y, y, batch, groups, ci, hi, wi, cr, hr, wr, kh, kw, sh, sw, dh, dw, pt, pl) {
  const cig = ci / groups, crg = cr / groups, pixels = hr * wr, size = hi * wi, acc = nncConvAcc;
  for (let b = 0; b < batch; b++) {
    for (let cc = 0; cc < ci; cc++) {
      for (let p = 0; p < size; p++) acc[p] = 0;
      const group = Math.floor(cc / cig), c = cc - group * cig;
      for (let r = group * crg; r < (group + 1) * crg; r++) {
        const response = x + (b * cr + r) * pixels;
        let w = k + (r * cig + c) * kh * kw;
        for (let i = 0; i < kh; i++) {
          const oy = i * dh - pt;
          const y0 = Math.min(hr, Math.max(0, Math.ceil(-oy / sh)));
          const y1 = Math.max(y0, Math.min(hr, Math.floor((hi - 1 - oy) / sh) + 1));
          for (let j = 0; j < kw; j++, w++) {
            const weight = K[w];
            const ox = j * dw - pl;
            const x0 = Math.min(wr, Math.max(0, Math.ceil(-ox / sw)));
            const x1 = Math.max(x0, Math.min(wr, Math.floor((wi - 1 - ox) / sw) + 1));
            for (let row = y0; row < y1; row++) {
              const dst = (row * sh + oy) * wi + ox;
              const src = response + row * wr;
              for (let q = x0; q < x1; q++) acc[dst + q * sw] += weight * R[src + q];
            }
          }
        }
      }
      const out = y + (b * ci + cc) * size;
      for (let p = 0; p < size; p++) Y[out + p] = acc[p];
    }
  }
}`;

/**
 * Direct conv2d_backward_kernel: each kernel element is one dot product, in a double, of the
 * response plane with the image window its tap reads, over the batch.
 */
const CONV2D_KERNEL_DIRECT = `function nncConv2dKernelDirect(X, x, R, rr, K, k, batch, groups, ci, hi, wi, cr, hr, wr, kh, kw, sh, sw, dh, dw, pt, pl) {
  const cig = ci / groups, crg = cr / groups, pixels = hr * wr;
  let w = k;
  for (let r = 0; r < cr; r++) {
    const group = Math.floor(r / crg);
    for (let c = 0; c < cig; c++) {
      for (let i = 0; i < kh; i++) {
        const oy = i * dh - pt;
        const y0 = Math.min(hr, Math.max(0, Math.ceil(-oy / sh)));
        const y1 = Math.max(y0, Math.min(hr, Math.floor((hi - 1 - oy) / sh) + 1));
        for (let j = 0; j < kw; j++, w++) {
          const ox = j * dw - pl;
          const x0 = Math.min(wr, Math.max(0, Math.ceil(-ox / sw)));
          const x1 = Math.max(x0, Math.min(wr, Math.floor((wi - 1 - ox) / sw) + 1));
          let acc = 0;
          for (let b = 0; b < batch; b++) {
            const plane = x + (b * ci + group * cig + c) * hi * wi;
            const response = rr + (b * cr + r) * pixels;
            for (let row = y0; row < y1; row++) {
              const src = plane + (row * sh + oy) * wi + ox;
              const dst = response + row * wr;
              for (let q = x0; q < x1; q++) acc += R[dst + q] * X[src + q * sw];
            }
          }
          K[w] = acc;
        }
      }
    }
  }
}`;

/** The largest scratch any convolution of the program needs, per kind. */
function scratchSize(ctx: EmitContext, kind: "colSize" | "flipSize" | "accSize"): number {
  let size = 0;
  for (const node of ctx.program.graph.nodes) {
    size = Math.max(size, convLowering(ctx.program.graph, node)?.[kind] ?? 0);
  }
  return size;
}

/** Declares the im2col scratch (sized for the program's largest) and returns its name. */
function declareCol(ctx: EmitContext): string {
  const size = scratchSize(ctx, "colSize");
  // In the Wasm memory with the WebAssembly GEMM, which reads its operands there.
  const at = wasmScratchLayout(ctx.program).col;
  return ctx.helper(
    "nncConvCol",
    `const nncConvCol = nncWasm ? new Float32Array(arena, ${at}, ${size}) : new Float32Array(${size});`,
  );
}

/** Declares a direct-loop helper with its accumulator scratch and returns its name. */
function declareDirect(ctx: EmitContext, name: string, code: string): string {
  const size = Math.max(scratchSize(ctx, "accSize"), 1);
  ctx.helper("nncConvAcc", `const nncConvAcc = new Float64Array(${size});`);
  return ctx.helper(name, code);
}

/** The per-group geometry arguments of im2col/col2im (cig instead of ci). */
function groupArgs(g: ConvGeometry): string {
  return [g.cig, g.hi, g.wi, g.hr, g.wr, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl].join(", ");
}

/** The full geometry of the direct helpers: batch, groups, ci, hi, wi, cr, hr, wr, kh, … pl. */
function directArgs(g: ConvGeometry): string {
  return [
    g.batch,
    g.groups,
    g.ci,
    g.hi,
    g.wi,
    g.cr,
    g.hr,
    g.wr,
    g.kh,
    g.kw,
    g.sh,
    g.sw,
    g.dh,
    g.dw,
    g.pt,
    g.pl,
  ].join(", ");
}

/** Loops over batch elements and groups around `body(b, group)` (extent-1 loops omitted). */
function batchGroupLoops(
  ctx: EmitContext,
  g: ConvGeometry,
  body: (b: string, group: string) => string[],
): string {
  const b = g.batch > 1 ? ctx.local("b") : "0";
  const group = g.groups > 1 ? ctx.local("g") : "0";
  let lines = body(b, group);
  if (g.groups > 1) {
    lines = [
      `for (let ${group} = 0; ${group} < ${g.groups}; ${group}++) {`,
      ...indented(lines),
      "}",
    ];
  }
  if (g.batch > 1) {
    lines = [`for (let ${b} = 0; ${b} < ${g.batch}; ${b}++) {`, ...indented(lines), "}"];
  }
  return lines.join("\n");
}

function indented(lines: readonly string[]): string[] {
  return lines.flatMap((l) => l.split("\n")).map((l) => `  ${l}`);
}

/** `base + factor·index` as a short expression (index "0" folds away). */
function offset(base: number, ...terms: [string, number][]): string {
  const parts = [base === 0 ? "" : String(base)];
  for (const [index, factor] of terms) {
    if (index === "0" || factor === 0) continue;
    parts.push(factor === 1 ? index : `${index} * ${factor}`);
  }
  return parts.filter((p) => p).join(" + ") || "0";
}

/**
 * conv2d (NCHW input, OIHW kernel, strides, explicit padding, dilations, groups): per batch
 * element and group, im2col then one GEMM `kernel[crg, taps] · col[taps, pixels]` written
 * straight into the output planes (pointwise convolutions skip im2col); depthwise and other
 * thin convolutions run direct loops (see convLowering).
 */
export const emitConv2d: NodeEmitter = (ctx, node) => {
  const lowering = convLowering(ctx.program.graph, node);
  if (!lowering) return "";
  const g = lowering.geometry;
  const x = ctx.ref(node.inputs[0]!).base;
  const w = ctx.ref(node.inputs[1]!).base;
  const y = ctx.ref(node.id).base;
  if (lowering.path === "direct") {
    const direct = declareDirect(ctx, "nncConv2dDirect", CONV2D_DIRECT);
    return `${direct}(F, ${x}, F, ${w}, F, ${y}, ${directArgs(g)});`;
  }
  return conv2dByGemm(ctx, g, lowering, x, { array: "F", base: w }, y);
};

/**
 * The GEMM lowering of conv2d geometry `g`: image at `x`, OIHW kernel in `kernel`, response at
 * `y` (all element offsets; the kernel may live in a scratch array).
 */
function conv2dByGemm(
  ctx: EmitContext,
  g: ConvGeometry,
  lowering: ConvLowering,
  x: number,
  kernel: { readonly array: string; readonly base: number },
  y: number,
): string {
  const gemm = declareGemm(ctx);
  const { pointwise } = lowering;
  const col = pointwise ? "" : declareCol(ctx);
  const im2col = pointwise ? "" : ctx.helper("nncIm2col", IM2COL);
  const imageSize = g.hi * g.wi;
  return batchGroupLoops(ctx, g, (b, group) => {
    const image = offset(x, [b, g.ci * imageSize], [group, g.cig * imageSize]);
    const lines = pointwise ? [] : [`${im2col}(F, ${image}, ${groupArgs(g)}, ${col});`];
    const source = pointwise
      ? { array: "F", offset: image, rowStride: g.pixels, colStride: 1 }
      : { array: col, offset: 0, rowStride: g.pixels, colStride: 1 };
    const weights = {
      array: kernel.array,
      offset: offset(kernel.base, [group, g.crg * g.taps]),
      rowStride: g.taps,
      colStride: 1,
    };
    const response = offset(y, [b, g.cr * g.pixels], [group, g.crg * g.pixels]);
    lines.push(
      gemmCall(gemm, weights, source, { array: "F", offset: response }, lowering.gemms[0]!, false),
    );
    return lines;
  });
}

/**
 * Reverses a kernel [cr, cig, kh, kw] spatially and swaps its channel axes within each group,
 * into [groups, cig, crg, kh, kw]: the kernel of the conv2d a stride-1 conv2d_transpose equals.
 */
const FLIP_KERNEL = `function nncFlipKernel(K, k, cr, groups, cig, kh, kw, out) {
  const crg = cr / groups, taps = kh * kw;
  for (let r = 0; r < cr; r++) {
    const group = Math.floor(r / crg), rg = r - group * crg;
    for (let c = 0; c < cig; c++) {
      const src = k + (r * cig + c) * taps;
      const dst = ((group * cig + c) * crg + rg) * taps + taps - 1;
      for (let t = 0; t < taps; t++) out[dst - t] = K[src + t];
    }
  }
}`;

/**
 * conv2d_transpose (NCHW input, IOHW kernel, outputPadding). At stride 1, gathered: the conv2d of
 * the input with the flipped kernel (see gatherGeometry), through im2col and the GEMM. Strided,
 * scattered: per batch element and group, one GEMM `kernelᵀ[taps, crg] · input[crg, pixels]`
 * into the col scratch, then col2im adds it into the zeroed output (cropping what falls in the
 * padding). Pointwise ones read or write in place; thin ones run direct loops.
 */
export const emitConv2dTranspose: NodeEmitter = (ctx, node) => {
  const lowering = convLowering(ctx.program.graph, node);
  if (!lowering) return "";
  const g = lowering.geometry;
  const response = ctx.ref(node.inputs[0]!).base;
  const w = ctx.ref(node.inputs[1]!).base;
  const y = ctx.ref(node.id).base;
  if (lowering.path === "direct") {
    const direct = declareDirect(ctx, "nncConv2dTransposeDirect", CONV2D_TRANSPOSE_DIRECT);
    return `${direct}(F, ${response}, F, ${w}, F, ${y}, ${directArgs(g)});`;
  }
  if (lowering.transpose === "gather") {
    const size = scratchSize(ctx, "flipSize");
    const at = wasmScratchLayout(ctx.program).flip;
    const flipped = ctx.helper(
      "nncConvFlip",
      `const nncConvFlip = nncWasm ? new Float32Array(arena, ${at}, ${size}) : new Float32Array(${size});`,
    );
    const flip = ctx.helper("nncFlipKernel", FLIP_KERNEL);
    const kernelArgs = [g.cr, g.groups, g.cig, g.kh, g.kw].join(", ");
    return [
      `${flip}(F, ${w}, ${kernelArgs}, ${flipped});`,
      conv2dByGemm(ctx, gatherGeometry(g), lowering, response, { array: flipped, base: 0 }, y),
    ].join("\n");
  }
  const gemm = declareGemm(ctx);
  const { pointwise } = lowering;
  const col = pointwise ? "" : declareCol(ctx);
  const col2im = pointwise ? "" : ctx.helper("nncCol2im", COL2IM);
  const imageSize = g.hi * g.wi;
  const loops = batchGroupLoops(ctx, g, (b, group) => {
    const image = offset(y, [b, g.ci * imageSize], [group, g.cig * imageSize]);
    const call = gemmCall(
      gemm,
      { array: "F", offset: offset(w, [group, g.crg * g.taps]), rowStride: 1, colStride: g.taps },
      {
        array: "F",
        offset: offset(response, [b, g.cr * g.pixels], [group, g.crg * g.pixels]),
        rowStride: g.pixels,
        colStride: 1,
      },
      pointwise ? { array: "F", offset: image } : { array: col, offset: 0 },
      lowering.gemms[0]!,
      false,
    );
    return pointwise ? [call] : [call, `${col2im}(${col}, F, ${image}, ${groupArgs(g)});`];
  });
  const size = g.batch * g.ci * imageSize;
  return pointwise ? loops : [`F.fill(0, ${y}, ${y + size});`, loops].join("\n");
};

/**
 * conv2d_backward_kernel (the OIHW kernel's gradient from conv2d's input and output cotangent):
 * per batch element and group, im2col of the input then one GEMM
 * `cotangent[crg, pixels] · colᵀ[pixels, taps]` accumulated over the batch into the kernel
 * gradient; thin ones run one dot product per kernel element.
 */
export const emitConv2dBackwardKernel: NodeEmitter = (ctx, node) => {
  const lowering = convLowering(ctx.program.graph, node);
  if (!lowering) return "";
  const g = lowering.geometry;
  const x = ctx.ref(node.inputs[0]!).base;
  const response = ctx.ref(node.inputs[1]!).base;
  const k = ctx.ref(node.id).base;
  if (lowering.path === "direct") {
    const direct = ctx.helper("nncConv2dKernelDirect", CONV2D_KERNEL_DIRECT);
    return `${direct}(F, ${x}, F, ${response}, F, ${k}, ${directArgs(g)});`;
  }
  const gemm = declareGemm(ctx);
  const { pointwise } = lowering;
  const col = pointwise ? "" : declareCol(ctx);
  const im2col = pointwise ? "" : ctx.helper("nncIm2col", IM2COL);
  const imageSize = g.hi * g.wi;
  return batchGroupLoops(ctx, g, (b, group) => {
    const image = offset(x, [b, g.ci * imageSize], [group, g.cig * imageSize]);
    const lines = pointwise ? [] : [`${im2col}(F, ${image}, ${groupArgs(g)}, ${col});`];
    const source = pointwise
      ? { array: "F", offset: image, rowStride: 1, colStride: g.pixels }
      : { array: col, offset: 0, rowStride: 1, colStride: g.pixels };
    lines.push(
      gemmCall(
        gemm,
        {
          array: "F",
          offset: offset(response, [b, g.cr * g.pixels], [group, g.crg * g.pixels]),
          rowStride: g.pixels,
          colStride: 1,
        },
        source,
        { array: "F", offset: offset(k, [group, g.crg * g.taps]) },
        lowering.gemms[0]!,
        b === "0" ? false : `${b} === 0 ? 0 : 1`,
      ),
    );
    return lines;
  });
};

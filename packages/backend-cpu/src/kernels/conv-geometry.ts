import type { Conv2dAttrs, Graph, Node, Pair } from "@nnc/core";
import type { GemmShape } from "./matmul.js";

// The three convolution primitives are one relation between an "image" (conv2d's input), a
// "response" (conv2d's output) and a kernel [Cr, Ci / groups, kh, kw]:
//
//   response[b, r, y, x] = Σ_{c, i, j} kernel[r, c, i, j] ·
//                          image[b, grp(r)·Ci/groups + c, y·sh − pt + i·dh, x·sw − pl + j·dw]
//
// (image positions outside the image are zero padding). conv2d computes the response,
// conv2d_transpose the image (its IOHW kernel has exactly this layout: [C_in = Cr, C_out /
// groups, kh, kw]; image positions outside the output are cropped), conv2d_backward_kernel the
// kernel. With im2col — col[(c, i, j), (y, x)] = image[…] — each is a GEMM per batch element
// and group (see convLowering). This file holds the shape logic shared by conv.ts, which emits
// the code, and matmul.ts, which sizes the GEMM scratch for every call in the program.

/** The static geometry of a convolution primitive in image/response/kernel terms. */
export interface ConvGeometry {
  readonly op: "conv2d" | "conv2d_transpose" | "conv2d_backward_kernel";
  readonly batch: number;
  readonly groups: number;
  /** Image channels, rows, columns. */
  readonly ci: number;
  readonly hi: number;
  readonly wi: number;
  /** Response channels, rows, columns. */
  readonly cr: number;
  readonly hr: number;
  readonly wr: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  /** Top and left padding: image row of response row y, tap i is y·sh − pt + i·dh. */
  readonly pt: number;
  readonly pl: number;
  /** Image channels per group (the kernel's second extent). */
  readonly cig: number;
  /** Response channels per group. */
  readonly crg: number;
  /** Kernel taps per response channel: cig · kh · kw (the GEMM's inner extent for conv2d). */
  readonly taps: number;
  /** Response pixels per channel: hr · wr. */
  readonly pixels: number;
}

/** The geometry of a conv2d, conv2d_transpose or conv2d_backward_kernel node, else undefined. */
export function convGeometry(graph: Graph, node: Node): ConvGeometry | undefined {
  const shapeOf = (i: number) => graph.node(node.inputs[i]!).type.shape;
  const attrs = node.attrs as unknown as Conv2dAttrs & { kernel?: Pair };
  let image: readonly number[];
  let response: readonly number[];
  let kernel: Pair;
  switch (node.op) {
    case "conv2d": {
      image = shapeOf(0);
      response = node.type.shape;
      const w = shapeOf(1);
      kernel = [w[2]!, w[3]!];
      break;
    }
    case "conv2d_transpose": {
      image = node.type.shape;
      response = shapeOf(0);
      const w = shapeOf(1);
      kernel = [w[2]!, w[3]!];
      break;
    }
    case "conv2d_backward_kernel":
      image = shapeOf(0);
      response = shapeOf(1);
      kernel = attrs.kernel!;
      break;
    default:
      return undefined;
  }
  const [batch, ci, hi, wi] = image as [number, number, number, number];
  const [, cr, hr, wr] = response as [number, number, number, number];
  const { groups } = attrs;
  const cig = ci / groups;
  return {
    op: node.op,
    batch,
    groups,
    ci,
    hi,
    wi,
    cr,
    hr,
    wr,
    kh: kernel[0],
    kw: kernel[1],
    sh: attrs.strides[0],
    sw: attrs.strides[1],
    dh: attrs.dilations[0],
    dw: attrs.dilations[1],
    pt: attrs.padding[0][0],
    pl: attrs.padding[1][0],
    cig,
    crg: cr / groups,
    taps: cig * kernel[0] * kernel[1],
    pixels: hr * wr,
  };
}

/**
 * True when im2col is the identity: a 1×1 kernel at stride 1 without padding reads the image
 * as it is, so col is the image's [channels, pixels] block itself.
 */
export function isPointwise(g: ConvGeometry): boolean {
  return (
    g.kh === 1 &&
    g.kw === 1 &&
    g.sh === 1 &&
    g.sw === 1 &&
    g.pt === 0 &&
    g.pl === 0 &&
    g.hi === g.hr &&
    g.wi === g.wr
  );
}

/**
 * Forces a lowering for every convolution node emitted while set (tests and benchmarks compare
 * the paths on the same shapes); `undefined` fields apply the rules of {@link convLowering}.
 */
export const convPathOverride: {
  path: "gemm" | "direct" | undefined;
  transpose: "gather" | "scatter" | undefined;
} = { path: undefined, transpose: undefined };

/** How conv.ts computes a convolution node (see {@link convLowering}). */
export interface ConvLowering {
  readonly geometry: ConvGeometry;
  /** Through the GEMM helper, or by direct loops. */
  readonly path: "gemm" | "direct";
  /**
   * For a conv2d_transpose through the GEMM: "scatter" computes col = kernelᵀ · input and adds
   * it into the output (col2im); "gather" (stride 1 only) computes the output as a conv2d of the
   * input with the flipped kernel (see {@link gatherGeometry}).
   */
  readonly transpose?: "gather" | "scatter";
  /** Whether im2col is the identity (the GEMM reads the image, or writes it, in place). */
  readonly pointwise: boolean;
  /** The GEMM calls (one shape per distinct call; empty for the direct path). */
  readonly gemms: readonly GemmShape[];
  /** float32 elements of col scratch it needs (im2col, or the scattered GEMM result). */
  readonly colSize: number;
  /** float32 elements of flipped-kernel scratch it needs (the gathered transpose). */
  readonly flipSize: number;
  /** float64 elements of accumulator scratch it needs (direct path). */
  readonly accSize: number;
}

/**
 * A stride-1 conv2d_transpose as the conv2d it equals: the image row Y gathers response rows
 * y = Y + pt − i·dh, i.e. with the taps reversed (i' = kh − 1 − i) a conv2d of the response with
 * top padding (kh − 1)·dh − pt (left alike; negative padding crops), whose kernel is the original
 * one flipped in both spatial axes with its two channel axes swapped within each group.
 */
export function gatherGeometry(g: ConvGeometry): ConvGeometry {
  return {
    ...g,
    op: "conv2d",
    ci: g.cr,
    hi: g.hr,
    wi: g.wr,
    cr: g.ci,
    hr: g.hi,
    wr: g.wi,
    pt: (g.kh - 1) * g.dh - g.pt,
    pl: (g.kw - 1) * g.dw - g.pl,
    cig: g.crg,
    crg: g.cig,
    taps: g.crg * g.kh * g.kw,
    pixels: g.hi * g.wi,
  };
}

/**
 * Chooses how conv.ts computes a convolution node, and the scratch each way needs; undefined
 * for other ops or when the node computes nothing.
 *
 * GEMM per batch element b and group g:
 * - conv2d: response[r, p] = kernel[r, t] · col[t, p] (m = crg, k = taps, n = pixels);
 * - conv2d_transpose, gathered (stride 1): the conv2d of {@link gatherGeometry};
 * - conv2d_transpose, scattered: col[t, p] = kernelᵀ[t, r] · response[r, p] (m = taps,
 *   k = crg, n = pixels), then col2im adds col into the image;
 * - conv2d_backward_kernel: kernel[r, t] += response[r, p] · colᵀ[p, t] (m = crg,
 *   k = pixels, n = taps), accumulated over the batch.
 *
 * The rules, measured in Node 20 (bench-matmul.ts for the W2/W3 shapes, where the GEMM is 2–5×
 * faster, plus depthwise and few-channel convolutions of 1–8 channels per group and 3×3 / 5×5
 * kernels): the GEMM wins as soon as a group has 4 response channels (conv2d's output channels,
 * conv2d_transpose's input channels), whichever op and kernel size; with 1 or 2 the direct loops
 * are 1.3–3× faster (the GEMM would pad its 4-wide tiles with zeros and still pay for im2col).
 * A stride-1 transpose is gathered when it has more output than input channels per group
 * (cig > crg), else scattered: the gathered GEMM has cig rows and copies crg·kh·kw rows of
 * im2col per output pixel, the scattered one reduces over only crg and adds cig·kh·kw rows back
 * in col2im. Measured: W2's conv2 input gradient (cig 6, crg 16) 4.5 ms scattered vs 13 ms
 * gathered; 32 → 4 channels, 3×3, 8×32×32: 5.4 ms gathered vs 14.5 ms scattered; equal
 * channels (W3) within 10 %.
 */
export function convLowering(graph: Graph, node: Node): ConvLowering | undefined {
  const g = convGeometry(graph, node);
  if (!g) return undefined;
  const outputs =
    g.op === "conv2d"
      ? g.batch * g.cr * g.pixels
      : g.op === "conv2d_transpose"
        ? g.batch * g.ci * g.hi * g.wi
        : g.cr * g.taps;
  if (outputs === 0) return undefined;
  const none = { colSize: 0, flipSize: 0, accSize: 0 };
  // A GEMM needs every extent ≥ 1; degenerate shapes take the direct loops, which handle them.
  const possible = g.batch > 0 && g.pixels > 0 && g.crg > 0 && g.cig > 0;
  const preferred = g.crg >= 4;
  if (!possible || (convPathOverride.path ?? (preferred ? "gemm" : "direct")) === "direct") {
    const accSize = g.op === "conv2d" ? g.pixels : g.op === "conv2d_transpose" ? g.hi * g.wi : 0;
    return { geometry: g, path: "direct", pointwise: false, gemms: [], ...none, accSize };
  }
  if (g.op === "conv2d_transpose") {
    const strided = g.sh !== 1 || g.sw !== 1;
    const rule = g.cig > g.crg ? "gather" : "scatter";
    const transpose = strided ? "scatter" : (convPathOverride.transpose ?? rule);
    if (transpose === "gather") {
      const c = gatherGeometry(g);
      const pointwise = isPointwise(c);
      return {
        geometry: g,
        path: "gemm",
        transpose,
        pointwise,
        gemms: [{ m: c.crg, k: c.taps, n: c.pixels }],
        ...none,
        colSize: pointwise ? 0 : c.taps * c.pixels,
        flipSize: g.ci * g.crg * g.kh * g.kw,
      };
    }
    const pointwise = isPointwise(g);
    return {
      geometry: g,
      path: "gemm",
      transpose,
      pointwise,
      gemms: [{ m: g.taps, k: g.crg, n: g.pixels }],
      ...none,
      colSize: pointwise ? 0 : g.taps * g.pixels,
    };
  }
  const pointwise = isPointwise(g);
  const gemm: GemmShape =
    g.op === "conv2d" ? { m: g.crg, k: g.taps, n: g.pixels } : { m: g.crg, k: g.pixels, n: g.taps };
  return {
    geometry: g,
    path: "gemm",
    pointwise,
    gemms: [gemm],
    ...none,
    colSize: pointwise ? 0 : g.taps * g.pixels,
  };
}

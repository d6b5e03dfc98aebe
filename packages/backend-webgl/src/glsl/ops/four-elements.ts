import type { Node } from "@nnc/core";
import type { GlslContext, GlslEmitter } from "../emit-context.js";
import { bind, decodeIndex, sum } from "./index-math.js";

// The fragment's 4 elements for the convolutions' shared-loop paths (conv2d, conv2d_transpose,
// conv2d_backward_kernel): decoded once, with a fallback to the scalar gather for a texel whose
// elements do not share the axes the shared loop assumes.

/** How {@link fourElements} decodes and guards a fragment's elements. */
export interface FourElementsOptions {
  /** The node's scalar gather, declared as helper `<name><id>` for the fallback. */
  readonly scalar: GlslEmitter;
  readonly name: string;
  /** Local-name prefixes of the node's 4 axes. */
  readonly prefixes: readonly [string, string, string, string];
  /** How many leading axes the 4 elements must share (else the fallback): 1 or 2. */
  readonly leadingAxes: 1 | 2;
  /** Lanes of a multi-target kernel (1 for the 4-wide path). */
  readonly lanes?: number;
  /** Lane j's elements lie j·laneElements after lane 0's. */
  readonly laneElements?: number;
}

/**
 * The 4 elements base … base + 3 of an NCHW-like node (clamped to its last element at the tail),
 * decoded into axes, and an early return through the scalar gather when they do not share their
 * `leadingAxes` first axes; with several lanes the early return sets every lane's `w<id>_<j>`.
 */
export function fourElements(
  ctx: GlslContext,
  node: Node,
  options: FourElementsOptions,
): { lines: string[]; elements: string[]; decoded: [string, string, string, string][] } {
  const { scalar, name, prefixes, leadingAxes, lanes = 1, laneElements = 0 } = options;
  const shape = node.type.shape;
  const size = shape.reduce((a, b) => a * b, 1);
  const body = scalar(ctx, node)
    .split("\n")
    .map((l) => `  ${l}`);
  const fallback = ctx.helper(
    `${name}${node.id}`,
    [`float ${name}${node.id}(int i) {`, ...body, "}"].join("\n"),
  );
  const lines: string[] = [];
  const elements = [0, 1, 2, 3].map((k) =>
    bind(
      ctx,
      lines,
      "e",
      k === 0 ? "base" : size % 4 === 0 ? `base + ${k}` : `min(base + ${k}, ${size - 1})`,
    ),
  );
  const decoded = elements.map((e) => {
    const d = decodeIndex(ctx, e, shape, prefixes);
    lines.push(...d.lines);
    return d.axes as [string, string, string, string];
  });
  const leading = (k: number) =>
    leadingAxes === 1 ? decoded[k]![0] : sum(0, [shape[1]!, decoded[k]![0]!], [1, decoded[k]![1]!]);
  const gathered = (j: number) =>
    `vec4(${elements.map((e) => `${fallback}(${j === 0 ? e : `${e} + ${j * laneElements}`})`).join(", ")})`;
  const differ = `${leading(0)} != ${leading(3)}`;
  lines.push(
    lanes === 1
      ? `if (${differ}) return ${gathered(0)};`
      : `if (${differ}) { ${Array.from({ length: lanes }, (_, j) => `w${node.id}_${j} = ${gathered(j)};`).join(" ")} return; }`,
  );
  return { lines, elements, decoded };
}

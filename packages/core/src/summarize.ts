import type { Graph, Node } from "./graph.js";
import type { Conv2dAttrs, Pool2dAttrs } from "./op-attrs.js";
import { type Shape, sizeOf } from "./shape.js";

/** One row of a model summary: a layer (a top-level name scope) or an unscoped op. */
export interface SummaryRow {
  /** The layer's name (`conv1`) or the node's name for unscoped ops. */
  readonly name: string;
  /** The layer's main op (`conv2d`, `max_pool2d`, `matmul`, ...). */
  readonly op: string;
  /** Full output shape, batch axis included (NCHW for images). */
  readonly outputShape: Shape;
  /** Trainable parameter elements the layer owns. */
  readonly params: number;
  /**
   * Receptive field `[height, width]` of one output element in input pixels, or null when the
   * graph has no NCHW input upstream.
   */
  readonly receptiveField: readonly [number, number] | null;
}

/** A model summary: per-layer rows and totals. */
export interface Summary {
  readonly rows: readonly SummaryRow[];
  /** Trainable parameter elements. */
  readonly trainableParams: number;
  /** Non-trainable parameter elements (BatchNorm running statistics). */
  readonly nonTrainableParams: number;
}

// The op that names a layer's row, in order of preference (a conv layer also holds an add).
const MAIN_OPS = [
  "conv2d",
  "conv2d_transpose",
  "dense",
  "matmul",
  "max_pool2d",
  "avg_pool2d",
  "batch_norm",
  "dropout",
  "flatten",
];

interface Field {
  readonly size: readonly [number, number];
  readonly jump: readonly [number, number];
}

/**
 * Summarises a graph per layer: output shape, parameter count and receptive field. Layers are
 * the top-level name scopes the layer helpers create (`conv1/...`); ops built outside any scope
 * get a row each. Shapes are reported as built; the text form prints NCHW as H×W×C.
 */
export function summarize(graph: Graph): Summary {
  const groups = new Map<string, Node[]>();
  for (const node of graph.nodes) {
    if (node.op === "input" || node.op === "param" || node.op === "constant") continue;
    const key = node.name.includes("/") ? node.name.slice(0, node.name.indexOf("/")) : node.name;
    const members = groups.get(key) ?? [];
    members.push(node);
    groups.set(key, members);
  }
  const fields = receptiveFields(graph);
  const outputIds = new Set(graph.outputs.map((o) => o.node));
  const counted = new Set<number>();
  const rows: SummaryRow[] = [];
  for (const [name, members] of groups) {
    const ids = new Set(members.map((m) => m.id));
    // The layer's output: its last node read outside the layer (not e.g. a running-stat update).
    const exits = members.filter(
      (m) => outputIds.has(m.id) || graph.consumers[m.id]!.some((c) => !ids.has(c)),
    );
    const output = exits[exits.length - 1] ?? members[members.length - 1]!;
    const main =
      MAIN_OPS.map((op) => members.find((m) => m.op === op)).find(Boolean) ?? members[0]!;
    let params = 0;
    for (const member of members) {
      for (const input of member.inputs) {
        const source = graph.node(input);
        if (source.op === "param" && source.attrs.trainable !== false && !counted.has(input)) {
          counted.add(input);
          params += sizeOf(source.type.shape);
        }
      }
    }
    const field = fields[output.id];
    rows.push({
      name,
      op: main.op,
      outputShape: output.type.shape,
      params,
      receptiveField: field ? [field.size[0], field.size[1]] : null,
    });
  }
  let trainableParams = 0;
  let nonTrainableParams = 0;
  for (const p of graph.params) {
    if (p.attrs.trainable === false) nonTrainableParams += sizeOf(p.type.shape);
    else trainableParams += sizeOf(p.type.shape);
  }
  return { rows, trainableParams, nonTrainableParams };
}

/**
 * Receptive field per node by the usual recurrence along the spatial path: a window of extent
 * k (dilation d) at stride s grows the field by (k − 1)·d·jump and multiplies the jump by s.
 */
function receptiveFields(graph: Graph): (Field | undefined)[] {
  const fields: (Field | undefined)[] = [];
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((i) => fields[i]);
    const first = inputs[0];
    switch (node.op) {
      case "input":
        fields.push(node.type.shape.length === 4 ? { size: [1, 1], jump: [1, 1] } : undefined);
        continue;
      case "param":
      case "constant":
        fields.push(undefined);
        continue;
      case "conv2d": {
        const attrs = node.attrs as unknown as Conv2dAttrs;
        const w = graph.node(node.inputs[1]!).type.shape;
        fields.push(first && grow(first, [w[2]!, w[3]!], attrs.dilations, attrs.strides));
        continue;
      }
      case "max_pool2d":
      case "avg_pool2d": {
        const attrs = node.attrs as unknown as Pool2dAttrs;
        fields.push(first && grow(first, attrs.kernel, [1, 1], attrs.strides));
        continue;
      }
      case "conv2d_transpose": {
        const attrs = node.attrs as unknown as Conv2dAttrs;
        const w = graph.node(node.inputs[1]!).type.shape;
        if (!first) {
          fields.push(undefined);
          continue;
        }
        // Upsampling divides the jump; the kernel then spans (k − 1)·d output steps.
        const jump: [number, number] = [
          first.jump[0] / attrs.strides[0],
          first.jump[1] / attrs.strides[1],
        ];
        fields.push({
          size: [
            first.size[0] + Math.ceil((w[2]! - 1) * attrs.dilations[0] * jump[0]),
            first.size[1] + Math.ceil((w[3]! - 1) * attrs.dilations[1] * jump[1]),
          ],
          jump,
        });
        continue;
      }
      default: {
        const known = inputs.filter((f): f is Field => f !== undefined);
        if (known.length === 0) {
          fields.push(undefined);
          continue;
        }
        const merged: Field = {
          size: [
            Math.max(...known.map((f) => f.size[0])),
            Math.max(...known.map((f) => f.size[1])),
          ],
          jump: [
            Math.max(...known.map((f) => f.jump[0])),
            Math.max(...known.map((f) => f.jump[1])),
          ],
        };
        // Leaving the NCHW layout (flatten, reshape): every output sees the whole spatial extent.
        const source = graph.node(node.inputs[inputs.indexOf(known[0])]!);
        const spatialIn = source.type.shape.length === 4;
        const spatialOut = node.type.shape.length === 4;
        if (spatialIn && !spatialOut) {
          const [h, w] = [source.type.shape[2]!, source.type.shape[3]!];
          fields.push({
            size: [
              merged.size[0] + (h - 1) * merged.jump[0],
              merged.size[1] + (w - 1) * merged.jump[1],
            ],
            jump: merged.jump,
          });
        } else {
          fields.push(merged);
        }
      }
    }
  }
  return fields;
}

function grow(
  field: Field,
  kernel: readonly number[],
  dilations: readonly number[],
  strides: readonly number[],
): Field {
  return {
    size: [
      field.size[0] + (kernel[0]! - 1) * dilations[0]! * field.jump[0],
      field.size[1] + (kernel[1]! - 1) * dilations[1]! * field.jump[1],
    ],
    jump: [field.jump[0] * strides[0]!, field.jump[1] * strides[1]!],
  };
}

/** A per-example shape as in papers: NCHW as `H×W×C`, otherwise the non-batch extents. */
export function formatExampleShape(shape: Shape): string {
  if (shape.length === 4) return `${shape[2]}×${shape[3]}×${shape[1]}`;
  if (shape.length <= 1) return shape.length === 0 ? "scalar" : `${shape[0]}`;
  return shape.slice(1).join("×");
}

/** Renders a summary as an aligned text table (output shapes per example, H×W×C). */
export function formatSummary(summary: Summary): string {
  const header = ["layer", "op", "output (H×W×C)", "params", "receptive field"];
  const body = summary.rows.map((r) => [
    r.name,
    r.op,
    formatExampleShape(r.outputShape),
    r.params.toLocaleString("en-US"),
    r.receptiveField ? `${r.receptiveField[0]}×${r.receptiveField[1]}` : "-",
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const numeric = [false, false, false, true, false];
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  const total = summary.trainableParams + summary.nonTrainableParams;
  return [
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...body.map(line),
    "",
    `total params: ${total.toLocaleString("en-US")} (trainable ${summary.trainableParams.toLocaleString("en-US")}, non-trainable ${summary.nonTrainableParams.toLocaleString("en-US")})`,
  ].join("\n");
}

import { formatShape, type Graph, type Shape } from "@nnc/core";
import { groupKernels, type Kernel } from "../passes/fuse-elementwise.js";
import type { BufferPlan, BufferPlanOptions } from "./buffer-plan.js";
import { planBuffers } from "./plan-buffers.js";
import { type ResidualSelection, selectResiduals, valueBytes } from "./select-residuals.js";

/** A forward value kept for the backward pass. */
export interface KeptActivation {
  readonly name: string;
  readonly shape: Shape;
  readonly bytes: number;
}

/** What a compiled program needs in memory, planned and naive (DESIGN.md "Executables"). */
export interface MemoryReport {
  /** Trainable parameters. */
  readonly paramBytes: number;
  /** Non-trainable state: optimizer slots, learning rate and step, BatchNorm running statistics. */
  readonly optimizerStateBytes: number;
  /** Graph inputs (one batch). */
  readonly inputBytes: number;
  /** Forward values the backward part reads, after recomputation of cheap ones. */
  readonly keptActivations: readonly KeptActivation[];
  readonly keptBytes: number;
  /** The activation region of the arena: its peak with lifetimes and reuse planned. */
  readonly peakArenaBytes: number;
  /** The whole arena: parameters, state, inputs, constants and activations. */
  readonly arenaBytes: number;
  /** The naive plan: keep every forward value, give every value its own buffer. */
  readonly naive: { readonly keptBytes: number; readonly peakArenaBytes: number };
  /** peakArenaBytes / naive.peakArenaBytes. */
  readonly ratio: number;
}

/** A graph ready for a backend: rematerialised, scheduled, with every buffer placed. */
export interface MemoryPlan {
  /** The graph to run (with recomputation duplicated into the backward part). */
  readonly graph: Graph;
  readonly selection: ResidualSelection;
  /** The kernels to run, in order (their nodes concatenated are the schedule). */
  readonly kernels: readonly Kernel[];
  readonly buffers: BufferPlan;
  readonly report: MemoryReport;
}

/** Options of {@link planMemory}. */
export interface MemoryPlanOptions extends BufferPlanOptions {
  /** Recompute cheap forward values in the backward part instead of keeping them (default true). */
  readonly recompute?: boolean;
}

/**
 * Plans a program's memory: chooses the activations to keep for the backward pass (min-cut over
 * byte sizes), schedules forward then backward, and places every value in one arena with
 * lifetimes, in-place reuse and alignment. Returns the plan and its report against the naive
 * plan (keep everything, no reuse).
 */
export function planMemory(graph: Graph, options: MemoryPlanOptions = {}): MemoryPlan {
  const selection = selectResiduals(graph, { recompute: options.recompute ?? true });
  const { forward } = selection;
  // Kernels never straddle the forward/backward boundary, and the schedule runs each kernel's
  // nodes back to back (forward kernels first), so planned lifetimes match execution.
  const kernels = orderKernels(
    groupKernels(selection.graph, (a, b) => forward.has(a) === forward.has(b)),
    forward,
  );
  const schedule = kernels.flatMap((k) => k.nodes);
  const buffers = planBuffers(selection.graph, schedule, options);

  const naiveSelection = selectResiduals(graph, { recompute: false });
  const naiveBuffers = planBuffers(naiveSelection.graph, naiveSelection.schedule, {
    ...options,
    reuse: false,
    inPlace: false,
  });
  const naiveKept = [...naiveSelection.forward].reduce(
    (n, id) => n + valueBytes(graph.node(id)),
    0,
  );

  const planned = selection.graph;
  let paramBytes = 0;
  let optimizerStateBytes = 0;
  for (const p of planned.params) {
    if (p.attrs.trainable === false) optimizerStateBytes += valueBytes(p);
    else paramBytes += valueBytes(p);
  }
  const keptActivations = selection.kept.map((id) => {
    const node = planned.node(id);
    return { name: node.name, shape: node.type.shape, bytes: valueBytes(node) };
  });
  const peakArenaBytes = buffers.activationBytes;
  return {
    graph: planned,
    selection,
    kernels,
    buffers,
    report: {
      paramBytes,
      optimizerStateBytes,
      inputBytes: planned.inputs.reduce((n, node) => n + valueBytes(node), 0),
      keptActivations,
      keptBytes: keptActivations.reduce((n, k) => n + k.bytes, 0),
      peakArenaBytes,
      arenaBytes: buffers.arenaBytes,
      naive: { keptBytes: naiveKept, peakArenaBytes: naiveBuffers.activationBytes },
      ratio: naiveBuffers.activationBytes === 0 ? 1 : peakArenaBytes / naiveBuffers.activationBytes,
    },
  };
}

/** Renders a memory report as text (for `nnc compile` and report.md). */
export function formatMemoryReport(report: MemoryReport): string {
  // Small programs (the seeds) would read "0.0 KiB": below 1 KiB, print bytes.
  const kib = (bytes: number) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`);
  const lines = [
    `parameters         ${kib(report.paramBytes)}`,
    `optimizer state    ${kib(report.optimizerStateBytes)}`,
    `inputs             ${kib(report.inputBytes)}`,
    `kept activations   ${kib(report.keptBytes)} (naive ${kib(report.naive.keptBytes)})`,
    `peak activations   ${kib(report.peakArenaBytes)} (naive ${kib(report.naive.peakArenaBytes)}, ${(report.ratio * 100).toFixed(1)} %)`,
    `arena total        ${kib(report.arenaBytes)}`,
  ];
  if (report.keptActivations.length) {
    lines.push("", "kept for the backward pass:");
    for (const k of report.keptActivations)
      lines.push(`  ${k.name}  ${formatShape(k.shape)}  ${k.bytes} B`);
  }
  return lines.join("\n");
}

/** Kernels in a valid execution order: forward first, each part by its last node (a topological order). */
function orderKernels(kernels: readonly Kernel[], forward: ReadonlySet<number>): Kernel[] {
  const last = (k: Kernel) => k.nodes[k.nodes.length - 1]!;
  const byRoot = (a: Kernel, b: Kernel) => last(a) - last(b);
  return [
    ...kernels.filter((k) => forward.has(last(k))).sort(byRoot),
    ...kernels.filter((k) => !forward.has(last(k))).sort(byRoot),
  ];
}

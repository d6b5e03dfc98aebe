/**
 * The browser harness's markdown table: a column per WebGL library (median and min–max), then
 * nnc-webgl's speed-up over each peer (peer time / nnc time: above 1, nnc is faster).
 */
import { CHECK_STEPS } from "../check.js";
import type { BrowserLibraryId } from "../libraries/library.js";
import type { Timing, TimingPlan } from "../measure.js";
import { Footnotes, formatRatio, formatTiming, markdownRow } from "../table.js";
import type { BrowserCell, BrowserWorkloadResult } from "./run-workload.js";
import { WEBGL_TOLERANCE } from "./run-workload.js";

const NNC: BrowserLibraryId = "nnc-webgl";

/** The markdown table, its legend and its footnotes. */
export function renderBrowserTable(
  libraries: readonly BrowserLibraryId[],
  workloads: readonly BrowserWorkloadResult[],
  plan: TimingPlan,
): string {
  const notes = new Footnotes();
  const peers = libraries.includes(NNC) ? libraries.filter((id) => id !== NNC) : [];
  const rows: string[][] = [];
  for (const { workload, cells } of workloads) {
    const nnc = timed(cells.get(NNC));
    rows.push([
      `${workload.row} (ms)`,
      ...libraries.map((id) => {
        const cell = cells.get(id);
        if (!cell) return "";
        if (cell.status !== "timed") {
          const label = cell.status === "disagrees" ? "disagrees" : "n/a";
          return `${label} ${notes.add(id, workload.id, cell.reason)}`;
        }
        const steps = cell.timing.steps !== plan.steps ? ` n=${cell.timing.steps}` : "";
        return `${formatTiming(cell.timing)}${steps}`;
      }),
      ...peers.map((id) => {
        const peer = timed(cells.get(id));
        return nnc && peer ? formatRatio(peer.median / nnc.median) : "—";
      }),
    ]);
    const { flops } = workload;
    if (flops !== undefined) {
      rows.push([
        `${workload.id} GFLOP/s (at the median)`,
        ...libraries.map((id) => {
          const t = timed(cells.get(id));
          return t ? (flops / (t.median * 1e6)).toFixed(1) : "";
        }),
        ...peers.map(() => ""),
      ]);
    }
  }
  const header = ["workload", ...libraries, ...peers.map((id) => `${NNC} vs ${id}`)];
  const lines = [
    markdownRow(header),
    markdownRow(header.map((_, i) => (i === 0 ? "---" : "---:"))),
    ...rows.map(markdownRow),
  ];
  const legend = [
    `Times in ms: median (min–max) of ${plan.steps} timed runs after ${plan.warmup} warm-up ` +
      `run${plan.warmup === 1 ? "" : "s"} ` +
      `(n=… where a slow library got fewer, to fit a ${plan.budgetMs / 1000} s budget per cell); ` +
      "every run ends with its loss or output read back from the GPU.",
  ];
  if (peers.length > 0) {
    legend.push(
      `\`${NNC} vs …\` = that library's median / ${NNC}'s median: above 1, nnc is faster.`,
    );
  }
  const references = [...new Set(workloads.map((w) => w.reference).filter((r) => r !== undefined))];
  if (references.length > 0) {
    legend.push(
      `Every figure comes after an agreement check against ${references.join(" / ")}: the ` +
        `losses of the first ${CHECK_STEPS} SGD steps, or every output value, within ` +
        `${WEBGL_TOLERANCE} of the reference (relative to max(1, |reference|)).`,
    );
  }
  return [...lines, "", ...legend, ...notes.render()].join("\n");
}

function timed(cell: BrowserCell | undefined): Timing | undefined {
  return cell?.status === "timed" ? cell.timing : undefined;
}

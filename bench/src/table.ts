/**
 * Renders the results as one markdown table (workload × library) with footnotes for the cells
 * that have no figure, readable in a terminal and pasted as is into bench/README.md.
 */
import { CHECK_STEPS, TOLERANCE } from "./check.js";
import type { LibraryId } from "./libraries/library.js";
import type { Timing, TimingPlan } from "./measure.js";
import type { Cell, WorkloadResult } from "./run-workload.js";

const NNC: LibraryId = "nnc-cpu";

/** Everything the table shows. */
export interface TableInput {
  readonly libraries: readonly LibraryId[];
  readonly workloads: readonly WorkloadResult[];
  /** M1: the W2 row, whose processes' peak RSS and nnc plan are the memory figures. */
  readonly memory: WorkloadResult | undefined;
  /** Peak RSS of a process with no library loaded. */
  readonly baselineRssBytes: number | undefined;
  readonly plan: TimingPlan;
}

/** Bytes in MiB with one decimal. */
export function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

/** The markdown table, its legend and its footnotes. */
export function renderTable(input: TableInput): string {
  const { libraries, workloads, memory, baselineRssBytes, plan } = input;
  const notes = new Footnotes();
  const rows: string[][] = [];
  const missing = (id: LibraryId, row: string, cell: { status: string; reason: string }) =>
    `${cell.status === "disagrees" ? "disagrees" : "n/a"} ${notes.add(id, row, cell.reason)}`;

  for (const { workload, cells } of workloads) {
    const nnc = timed(cells.get(NNC));
    rows.push([
      `${workload.row} (ms)`,
      ...libraries.map((id) => {
        const cell = cells.get(id);
        if (!cell) return "";
        if (cell.status !== "timed") return missing(id, workload.id, cell);
        const ratio = id !== NNC && nnc ? ` · ${formatRatio(nnc.median / cell.timing.median)}` : "";
        const steps = cell.timing.steps !== plan.steps ? ` n=${cell.timing.steps}` : "";
        return `${formatTiming(cell.timing)}${ratio}${steps}`;
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
      ]);
    }
  }

  if (memory) {
    const nncCell = memory.cells.get(NNC);
    const nncRss = nncCell?.status === "timed" ? nncCell.peakRssBytes : undefined;
    rows.push([
      "M1 peak RSS, W2 step (MiB)",
      ...libraries.map((id) => {
        const cell = memory.cells.get(id);
        if (!cell) return "";
        if (cell.status !== "timed") return missing(id, "M1", cell);
        const ratio =
          id !== NNC && nncRss !== undefined ? ` · ${formatRatio(nncRss / cell.peakRssBytes)}` : "";
        return `${mib(cell.peakRssBytes)}${ratio}`;
      }),
    ]);
    rows.push([
      "M1 planned arena, W2 step (MiB)",
      ...libraries.map((id) => {
        const cell = memory.cells.get(id);
        if (cell?.status !== "timed" || !cell.memory) return "";
        const { peakArenaBytes, naivePeakArenaBytes } = cell.memory;
        return `${mib(peakArenaBytes)} (naive plan ${mib(naivePeakArenaBytes)})`;
      }),
    ]);
  }

  const header = ["workload", ...libraries];
  const lines = [
    markdownRow(header),
    markdownRow(header.map((_, i) => (i === 0 ? "---" : "---:"))),
    ...rows.map(markdownRow),
  ];
  const legend = [
    `Times in ms: median (min–max) of ${plan.steps} timed runs after ${plan.warmup} warm-up runs ` +
      `(n=… where a slow library got fewer, to fit a ${plan.budgetMs / 1000} s budget per cell).`,
    "`· r×` = nnc-cpu / that library (time or RSS): below 1, nnc is faster or smaller.",
  ];
  const references = [...new Set(workloads.map((w) => w.reference).filter((r) => r !== undefined))];
  if (references.length > 0) {
    legend.push(
      `Every figure comes after an agreement check against ${references.join(" / ")}: the ` +
        `losses of the first ${CHECK_STEPS} SGD steps, or every output value, within ` +
        `${TOLERANCE} of the reference (relative to max(1, |reference|)).`,
    );
  }
  if (memory && baselineRssBytes !== undefined) {
    legend.push(
      `M1: peak RSS of each library's W2 process (its own process), which includes Node + tsx: ` +
        `${mib(baselineRssBytes)} MiB with no library loaded.`,
    );
  }
  return [...lines, "", ...legend, ...notes.render()].join("\n");
}

function timed(cell: Cell | undefined): Timing | undefined {
  return cell?.status === "timed" ? cell.timing : undefined;
}

/** "median (min–max)" in ms. */
export function formatTiming(t: Timing): string {
  return `${formatMs(t.median)} (${formatMs(t.min)}–${formatMs(t.max)})`;
}

/** Three significant digits for the usual range, whole numbers from 100 ms. */
function formatMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

/** A ratio with two or three significant digits and "×". */
export function formatRatio(r: number): string {
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2)}×`;
}

/** One markdown table row. */
export function markdownRow(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/** Numbered reasons for missing cells; one note per library and reason, listing its rows. */
export class Footnotes {
  readonly #notes: Array<{ library: LibraryId; reason: string; rows: string[] }> = [];

  /** Records `reason` for `library` on `row`; returns the note's marker, e.g. "[2]". */
  add(library: LibraryId, row: string, reason: string): string {
    let index = this.#notes.findIndex((n) => n.library === library && n.reason === reason);
    if (index < 0) index = this.#notes.push({ library, reason, rows: [] }) - 1;
    const note = this.#notes[index]!;
    if (!note.rows.includes(row)) note.rows.push(row);
    return `[${index + 1}]`;
  }

  /** The notes as lines (a blank line first), or nothing without notes. */
  render(): string[] {
    if (this.#notes.length === 0) return [];
    return [
      "",
      ...this.#notes.map((n, i) => `[${i + 1}] ${n.library} (${n.rows.join(", ")}): ${n.reason}`),
    ];
  }
}

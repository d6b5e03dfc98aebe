/**
 * One workload across the libraries, each in its own process (cell.ts): the reference library
 * first, then every other one is checked against it and timed only if it agrees. A library that
 * cannot run the workload is recorded with the reason.
 */
import { CellProcess, type LibraryInfo } from "./cell.js";
import { allFinite, compare, describeObservation, type Observation, TOLERANCE } from "./check.js";
import type { LibraryId, PlannedMemory } from "./libraries/library.js";
import type { Timing, TimingPlan } from "./measure.js";
import type { Workload } from "./workloads.js";

/** The library every other one is checked against (independent of nnc, mature float32 kernels). */
export const REFERENCE_LIBRARY: LibraryId = "tfjs-cpu";

/** One cell of the table. */
export type Cell =
  | {
      readonly status: "timed";
      readonly library: LibraryInfo;
      readonly timing: Timing;
      /** Deviation from the reference; undefined for the reference itself. */
      readonly deviation: number | undefined;
      /** Peak RSS of the cell's process. */
      readonly peakRssBytes: number;
      readonly memory?: PlannedMemory;
    }
  | { readonly status: "unsupported" | "disagrees" | "failed"; readonly reason: string };

/** A workload's row: a cell per library that was asked to run it. */
export interface WorkloadResult {
  readonly workload: Workload;
  readonly reference: LibraryId | undefined;
  readonly cells: ReadonlyMap<LibraryId, Cell>;
}

/** The reference library first, then the others in column order. */
export function runOrder(libraries: readonly LibraryId[]): LibraryId[] {
  return [
    ...libraries.filter((id) => id === REFERENCE_LIBRARY),
    ...libraries.filter((id) => id !== REFERENCE_LIBRARY),
  ];
}

/** Checks, then times, `workload` in every library; logs one line per library as it goes. */
export async function runWorkload(
  workload: Workload,
  libraries: readonly LibraryId[],
  plan: TimingPlan,
  log: (line: string) => void,
): Promise<WorkloadResult> {
  log(`\n${workload.id}: ${workload.title}`);
  const cells = new Map<LibraryId, Cell>();
  let reference: Reference | undefined;
  for (const id of runOrder(libraries)) {
    const outcome = await runCell(id, workload, plan, reference);
    log(`  ${id.padEnd(12)}${outcome.summary}`);
    cells.set(id, outcome.cell);
    reference ??= outcome.observation && { id, observation: outcome.observation };
  }
  return { workload, reference: reference?.id, cells };
}

interface Reference {
  readonly id: LibraryId;
  readonly observation: Observation;
}

interface CellOutcome {
  readonly cell: Cell;
  /** What the library computed, when it got that far. */
  readonly observation?: Observation;
  /** The log line. */
  readonly summary: string;
}

/** One library on one workload, in its own process: check against `reference`, then time. */
async function runCell(
  id: LibraryId,
  workload: Workload,
  plan: TimingPlan,
  reference: Reference | undefined,
): Promise<CellOutcome> {
  const child = new CellProcess(id, workload.id);
  try {
    const checked = await child.next();
    if (checked.type !== "checked") {
      const reason = "reason" in checked ? checked.reason : `unexpected "${checked.type}" message`;
      const status = checked.type === "unsupported" ? "unsupported" : "failed";
      return { cell: { status, reason }, summary: `${status}: ${reason}` };
    }
    const { observation } = checked;
    if (!allFinite(observation)) {
      child.send({ type: "stop" });
      const reason = `non-finite result (${describeObservation(observation)})`;
      return { cell: { status: "failed", reason }, summary: `failed: ${reason}` };
    }
    let check = `reference: ${describeObservation(observation)}`;
    let deviation: number | undefined;
    if (reference) {
      const agreement = compare(reference.observation, observation);
      if (!agreement.ok) {
        child.send({ type: "stop" });
        const reason =
          `${describeObservation(observation)}; deviation ` +
          `${agreement.deviation.toExponential(2)} from ${reference.id} > ${TOLERANCE}`;
        return {
          cell: { status: "disagrees", reason },
          summary: `DISAGREES, not timed: ${reason}`,
        };
      }
      deviation = agreement.deviation;
      check = `agrees with ${reference.id} (deviation ${deviation.toExponential(1)})`;
    }
    child.send({ type: "time", plan });
    const timed = await child.next();
    if (timed.type !== "timed") {
      const reason = "reason" in timed ? timed.reason : `unexpected "${timed.type}" message`;
      return {
        cell: { status: "failed", reason },
        observation,
        summary: `failed while timing: ${reason}`,
      };
    }
    const t = timed.timing;
    const summary =
      `${check}; ${t.median.toFixed(3)} ms (${t.min.toFixed(3)}–${t.max.toFixed(3)}) over ` +
      `${t.steps} runs after ${t.warmup} warm-up; setup ${checked.setupMs.toFixed(0)} ms, check ` +
      `runs ${checked.checkMs.toFixed(0)} ms; peak RSS ${(timed.peakRssBytes / 2 ** 20).toFixed(1)} MiB`;
    const cell: Cell = {
      status: "timed",
      library: checked.library,
      timing: t,
      deviation,
      peakRssBytes: timed.peakRssBytes,
      ...(timed.memory && { memory: timed.memory }),
    };
    return { cell, observation, summary };
  } finally {
    await child.close();
  }
}

/** Peak RSS of a process that loads no library (the floor every RSS figure includes). */
export async function baselineRss(): Promise<number | undefined> {
  const cell = new CellProcess("none", "W1");
  const message = await cell.next();
  await cell.close();
  return message.type === "baseline" ? message.peakRssBytes : undefined;
}

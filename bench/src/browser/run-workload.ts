/**
 * One workload across the WebGL libraries in the browser, a fresh page per library: the
 * reference (tfjs-webgl) first, then every other library is checked against it and timed only
 * if it agrees, as in the Node harness (../run-workload.ts).
 */
import { allFinite, compare, describeObservation, type Observation, TOLERANCE } from "../check.js";
import type { BrowserLibraryId } from "../libraries/library.js";
import type { Timing, TimingPlan } from "../measure.js";
import type { Workload } from "../workloads.js";
import type { PlainObservation } from "./protocol.js";
import type { BrowserSession } from "./session.js";

/** The library every other one is checked against (independent of nnc). */
export const BROWSER_REFERENCE: BrowserLibraryId = "tfjs-webgl";

/**
 * Largest accepted deviation in the browser, relative to max(1, largest |reference value|): the
 * Node harness's. GPU float32 math did not call for a looser one: under SwiftShader, jax-js-webgl
 * and nnc-webgl deviated from tfjs-webgl by at most 1.9e-7 (W1, W2 losses), 1.6e-6 (W3 outputs)
 * and 0 (W4), well inside 1e-4.
 */
export const WEBGL_TOLERANCE = TOLERANCE;

/** One cell of the browser table. */
export type BrowserCell =
  | {
      readonly status: "timed";
      readonly timing: Timing;
      /** Deviation from the reference; undefined for the reference itself. */
      readonly deviation: number | undefined;
      readonly setupMs: number;
      readonly checkMs: number;
    }
  | { readonly status: "unsupported" | "disagrees" | "failed"; readonly reason: string };

/** A workload's row in the browser table. */
export interface BrowserWorkloadResult {
  readonly workload: Workload;
  readonly reference: BrowserLibraryId | undefined;
  readonly cells: ReadonlyMap<BrowserLibraryId, BrowserCell>;
}

interface Reference {
  readonly id: BrowserLibraryId;
  readonly observation: Observation;
}

/** Checks, then times, `workload` in every library; logs one line per library as it goes. */
export async function runBrowserWorkload(
  session: BrowserSession,
  workload: Workload,
  libraries: readonly BrowserLibraryId[],
  plan: TimingPlan,
  log: (line: string) => void,
): Promise<BrowserWorkloadResult> {
  log(`\n${workload.id}: ${workload.title}`);
  const order = [
    ...libraries.filter((id) => id === BROWSER_REFERENCE),
    ...libraries.filter((id) => id !== BROWSER_REFERENCE),
  ];
  const cells = new Map<BrowserLibraryId, BrowserCell>();
  let reference: Reference | undefined;
  for (const id of order) {
    let outcome: CellOutcome;
    try {
      outcome = await runCell(session, id, workload, plan, reference);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      outcome = { cell: { status: "failed", reason }, summary: `failed: ${reason}` };
    }
    log(`  ${id.padEnd(13)}${outcome.summary}`);
    cells.set(id, outcome.cell);
    reference ??= outcome.observation && { id, observation: outcome.observation };
  }
  return { workload, reference: reference?.id, cells };
}

interface CellOutcome {
  readonly cell: BrowserCell;
  readonly observation?: Observation;
  readonly summary: string;
}

async function runCell(
  session: BrowserSession,
  id: BrowserLibraryId,
  workload: Workload,
  plan: TimingPlan,
  reference: Reference | undefined,
): Promise<CellOutcome> {
  const page = await session.openCell();
  try {
    const prepared = await page.prepare(id, workload.id);
    if (prepared.status !== "checked") {
      const { status, reason } = prepared;
      return { cell: { status, reason }, summary: `${status}: ${reason}` };
    }
    const observation = toObservation(prepared.observation);
    if (!allFinite(observation)) {
      const reason = `non-finite result (${describeObservation(observation)})`;
      return { cell: { status: "failed", reason }, summary: `failed: ${reason}` };
    }
    let check = `reference: ${describeObservation(observation)}`;
    let deviation: number | undefined;
    if (reference) {
      const agreement = compare(reference.observation, observation, WEBGL_TOLERANCE);
      if (!agreement.ok) {
        const reason =
          `${describeObservation(observation)}; deviation ` +
          `${agreement.deviation.toExponential(2)} from ${reference.id} > ${WEBGL_TOLERANCE}`;
        return {
          cell: { status: "disagrees", reason },
          summary: `DISAGREES, not timed: ${reason}`,
        };
      }
      deviation = agreement.deviation;
      check = `agrees with ${reference.id} (deviation ${deviation.toExponential(1)})`;
    }
    const timed = await page.time(plan);
    if (timed.status !== "timed") {
      return {
        cell: { status: "failed", reason: timed.reason },
        observation,
        summary: `failed while timing: ${timed.reason}`,
      };
    }
    const t = timed.timing;
    const { setupMs, checkMs } = prepared;
    const summary =
      `${check}; ${t.median.toFixed(3)} ms (${t.min.toFixed(3)}–${t.max.toFixed(3)}) over ` +
      `${t.steps} runs after ${t.warmup} warm-up; setup ${setupMs.toFixed(0)} ms, check runs ` +
      `${checkMs.toFixed(0)} ms`;
    return {
      cell: { status: "timed", timing: t, deviation, setupMs, checkMs },
      observation,
      summary,
    };
  } finally {
    await page.close();
  }
}

function toObservation(plain: PlainObservation): Observation {
  return plain.kind === "losses"
    ? { kind: "losses", values: [...plain.values] }
    : { kind: "output", values: Float32Array.from(plain.values) };
}

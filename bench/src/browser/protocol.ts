/**
 * What crosses between the Node side of the browser harness (main.ts) and the page (page.ts):
 * plain JSON values only, since Playwright serialises them between the two.
 */
import type { BrowserLibraryId } from "../libraries/library.js";
import type { Timing, TimingPlan } from "../measure.js";
import type { WorkloadId } from "../workloads.js";

/** An observation as plain numbers (check.ts's `Observation` with an array instead of a Float32Array). */
export interface PlainObservation {
  readonly kind: "losses" | "output";
  readonly values: readonly number[];
}

/** The page's answer to `prepare`: what the library computed in the check runs, or why it could not. */
export type PreparedCell =
  | {
      readonly status: "checked";
      readonly threads: number;
      readonly observation: PlainObservation;
      /** Loading the library, building/compiling the model and uploading the weights. */
      readonly setupMs: number;
      /** The check runs (including any shader compilation or tracing on first use). */
      readonly checkMs: number;
    }
  | { readonly status: "unsupported" | "failed"; readonly reason: string };

/** The page's answer to `time`. */
export type TimedCell =
  | { readonly status: "timed"; readonly timing: Timing }
  | { readonly status: "failed"; readonly reason: string };

/** The WebGL implementation the page sees. */
export interface GlEnvironment {
  /** UNMASKED_RENDERER_WEBGL (or RENDERER when the debug extension is missing). */
  readonly renderer: string;
  readonly vendor: string;
  /** The WebGL2 VERSION string. */
  readonly version: string;
}

/** `globalThis.nncBench`, installed by the page. */
export interface NncBench {
  /** Loads the library, prepares the workload and runs the check steps; keeps the runner for `time`. */
  prepare(libraryId: BrowserLibraryId, workloadId: WorkloadId): Promise<PreparedCell>;
  /** Times the prepared workload with `plan`, then disposes of it. */
  time(plan: TimingPlan): Promise<TimedCell>;
  /** `prepare` then `time` in one call (handy from the devtools console). */
  cell(
    libraryId: BrowserLibraryId,
    workloadId: WorkloadId,
    plan: TimingPlan,
  ): Promise<{ readonly prepared: PreparedCell; readonly timed?: TimedCell }>;
  /** The renderer, vendor and version of a fresh WebGL2 context; undefined without WebGL2. */
  environment(): GlEnvironment | undefined;
}

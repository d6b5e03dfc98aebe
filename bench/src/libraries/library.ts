import type { Workload } from "../workloads.js";

/** The libraries the Node harness (`pnpm bench`) compares, in column order. */
export const LIBRARY_IDS = ["nnc-cpu", "tfjs-cpu", "tfjs-wasm", "jax-js-wasm", "ort-wasm"] as const;

/** The libraries the browser harness (`pnpm bench:browser`) compares, in column order. */
export const BROWSER_LIBRARY_IDS = ["nnc-webgl", "tfjs-webgl", "jax-js-webgl"] as const;

/** A column of the Node table. */
export type NodeLibraryId = (typeof LIBRARY_IDS)[number];

/** A column of the browser table. */
export type BrowserLibraryId = (typeof BROWSER_LIBRARY_IDS)[number];

/** A column of either table. */
export type LibraryId = NodeLibraryId | BrowserLibraryId;

/** What one run produces: a training step's loss, or an inference's output (row-major). */
export type RunResult = number | Float32Array;

/** A workload set up in one library: weights loaded, code compiled or traced as it does. */
export interface Runner {
  /**
   * One timed unit on batch `index` of the workload: a training step (forward, backward, SGD
   * update; returns the loss) or one inference (returns the output). Host arrays in, host
   * values out, so the work is finished when it returns.
   */
  run(index: number): RunResult | Promise<RunResult>;
  /** nnc: the planned arena of the compiled program (M1). */
  readonly memory?: PlannedMemory;
  /** Frees the library's buffers. */
  dispose(): void;
}

/** nnc's memory plan figures (exe.report.memory). */
export interface PlannedMemory {
  readonly peakArenaBytes: number;
  readonly naivePeakArenaBytes: number;
  readonly paramBytes: number;
}

/** A library adapter: it builds each workload's model with the library's own API. */
export interface Library {
  readonly id: LibraryId;
  /** Threads the library computes with here. */
  readonly threads: number;
  /** Sets `workload` up; throws {@link UnsupportedWorkload} when the library cannot run it. */
  prepare(workload: Workload): Promise<Runner>;
}

/** Thrown by `prepare` or `run` when a library cannot run a workload (not a wrong result). */
export class UnsupportedWorkload extends Error {
  override readonly name = "UnsupportedWorkload";
}

/** The npm packages behind each peer column (nnc is this workspace). */
export const LIBRARY_PACKAGES: Readonly<Record<LibraryId, readonly string[]>> = {
  "nnc-cpu": [],
  "tfjs-cpu": ["@tensorflow/tfjs"],
  "tfjs-wasm": ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm"],
  "jax-js-wasm": ["@jax-js/jax"],
  "ort-wasm": ["onnxruntime-web"],
  "nnc-webgl": [],
  "tfjs-webgl": ["@tensorflow/tfjs"],
  "jax-js-webgl": ["@jax-js/jax"],
};

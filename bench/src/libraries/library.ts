import { readFileSync } from "node:fs";
import type { Workload } from "../workloads.js";

/** The libraries the harness compares, in column order. */
export const LIBRARY_IDS = ["nnc-cpu", "tfjs-cpu", "tfjs-wasm", "jax-js-wasm", "ort-wasm"] as const;

/** A column of the table. */
export type LibraryId = (typeof LIBRARY_IDS)[number];

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
};

/** The installed version of a dependency of bench/ (from its package.json). */
export function packageVersion(name: string): string {
  const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}

/** Loads one library adapter (adapters are loaded lazily, so a child process only loads its own). */
export async function loadLibrary(id: LibraryId): Promise<Library> {
  switch (id) {
    case "nnc-cpu":
      return (await import("./nnc.js")).nncCpu();
    case "tfjs-cpu":
      return (await import("./tfjs.js")).tfjs("cpu");
    case "tfjs-wasm":
      return (await import("./tfjs.js")).tfjs("wasm");
    case "jax-js-wasm":
      return (await import("./jax.js")).jaxWasm();
    case "ort-wasm":
      return (await import("./ort.js")).ortWasm();
  }
}

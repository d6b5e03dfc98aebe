/**
 * The browser side of `pnpm bench:browser`, bundled by main.ts: installs `globalThis.nncBench`,
 * which loads one library adapter, prepares a workload, runs the check steps and times it, in
 * this page only (main.ts opens a fresh page per cell). Every run returns host values (losses
 * or outputs read back from the GPU), so the GPU work of a run is finished when it is timed.
 */
import { CHECK_STEPS, observe } from "../check.js";
import {
  type BrowserLibraryId,
  type Library,
  type Runner,
  type RunResult,
  UnsupportedWorkload,
} from "../libraries/library.js";
import { BatchCursor, measure, runOnce } from "../measure.js";
import { makeWorkload } from "../workloads.js";
import type { GlEnvironment, NncBench, PreparedCell, TimedCell } from "./protocol.js";

/** Adapters load lazily (separate chunks), so a page only evaluates its own library. */
async function loadBrowserLibrary(id: BrowserLibraryId): Promise<Library> {
  switch (id) {
    case "nnc-webgl":
      return (await import("../libraries/nnc-webgl.js")).nncWebgl();
    case "tfjs-webgl":
      return (await import("../libraries/tfjs.js")).tfjs("webgl");
    case "jax-js-webgl":
      return (await import("../libraries/jax.js")).jax("webgl");
  }
}

let prepared: { runner: Runner; batches: BatchCursor } | undefined;

function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const first = error.message.split("\n")[0] ?? "";
  return first === "" ? error.name : first;
}

const bench: NncBench = {
  async prepare(libraryId, workloadId) {
    if (prepared) throw new Error("this page already prepared a cell: open a fresh page per cell");
    try {
      const setupStart = performance.now();
      const library = await loadBrowserLibrary(libraryId);
      const workload = makeWorkload(workloadId);
      const runner = await library.prepare(workload);
      const setupMs = performance.now() - setupStart;
      const batches = new BatchCursor(workload.batches.length);
      prepared = { runner, batches };
      const results: RunResult[] = [];
      const checkStart = performance.now();
      for (let i = 0; i < (workload.mode === "train" ? CHECK_STEPS : 1); i++) {
        const result = await runOnce(runner, batches.next());
        // An output may alias library memory that a later run reuses: keep a copy.
        results.push(result instanceof Float32Array ? Float32Array.from(result) : result);
      }
      const checkMs = performance.now() - checkStart;
      const observation = observe(results);
      return {
        status: "checked",
        threads: library.threads,
        observation: { kind: observation.kind, values: Array.from(observation.values) },
        setupMs,
        checkMs,
      } satisfies PreparedCell;
    } catch (error) {
      const status = error instanceof UnsupportedWorkload ? "unsupported" : "failed";
      return { status, reason: reason(error) };
    }
  },

  async time(plan) {
    if (!prepared) return { status: "failed", reason: "no prepared cell" };
    const { runner, batches } = prepared;
    try {
      return { status: "timed", timing: await measure(runner, batches, plan) } satisfies TimedCell;
    } catch (error) {
      return { status: "failed", reason: reason(error) };
    } finally {
      runner.dispose();
      prepared = undefined;
    }
  },

  async cell(libraryId, workloadId, plan) {
    const checked = await bench.prepare(libraryId, workloadId);
    if (checked.status !== "checked") return { prepared: checked };
    return { prepared: checked, timed: await bench.time(plan) };
  },

  environment() {
    const gl = new OffscreenCanvas(1, 1).getContext("webgl2");
    if (!gl) return undefined;
    const debug = gl.getExtension("WEBGL_debug_renderer_info");
    const environment: GlEnvironment = {
      renderer: String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER)),
      vendor: String(gl.getParameter(debug ? debug.UNMASKED_VENDOR_WEBGL : gl.VENDOR)),
      version: String(gl.getParameter(gl.VERSION)),
    };
    gl.getExtension("WEBGL_lose_context")?.loseContext();
    return environment;
  },
};

(globalThis as { nncBench?: NncBench }).nncBench = bench;

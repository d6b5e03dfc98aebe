/**
 * Child process of one cell (see cell.ts): loads one library, prepares one workload, runs the
 * check, then times it if the parent says so, and reports its peak RSS.
 * argv: <library id | "none"> <workload id>
 */

import type { ParentMessage, WorkerMessage } from "./cell.js";
import { CHECK_STEPS, observe } from "./check.js";
import { type NodeLibraryId, type RunResult, UnsupportedWorkload } from "./libraries/library.js";
import { loadLibrary } from "./libraries/load.js";
import { BatchCursor, measure, runOnce } from "./measure.js";
import { makeWorkload, type WorkloadId } from "./workloads.js";

/** Sends a message and resolves once it is written, so exiting right after cannot lose it. */
function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    process.send!(message, undefined, undefined, () => resolve());
  });
}

/** Peak RSS of this process (ru_maxrss is in KiB on Linux). */
function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

function nextParentMessage(): Promise<ParentMessage> {
  return new Promise((resolve) => process.once("message", (m: ParentMessage) => resolve(m)));
}

async function main(libraryId: NodeLibraryId | "none", workloadId: WorkloadId): Promise<void> {
  if (libraryId === "none") {
    await send({ type: "baseline", peakRssBytes: peakRss() });
    return;
  }
  const library = await loadLibrary(libraryId);
  const workload = makeWorkload(workloadId);
  const setupStart = performance.now();
  const runner = await library.prepare(workload);
  const setupMs = performance.now() - setupStart;
  try {
    const batches = new BatchCursor(workload.batches.length);
    const results: RunResult[] = [];
    const checkStart = performance.now();
    for (let i = 0; i < (workload.mode === "train" ? CHECK_STEPS : 1); i++) {
      const result = await runOnce(runner, batches.next());
      // An output may alias library memory that a later run reuses: keep a copy.
      results.push(result instanceof Float32Array ? Float32Array.from(result) : result);
    }
    const checkMs = performance.now() - checkStart;
    const { id, threads } = library;
    const observation = observe(results);
    await send({ type: "checked", library: { id, threads }, observation, setupMs, checkMs });
    const reply = await nextParentMessage();
    if (reply.type === "stop") return;
    const timing = await measure(runner, batches, reply.plan);
    await send({
      type: "timed",
      timing,
      peakRssBytes: peakRss(),
      ...(runner.memory && { memory: runner.memory }),
    });
  } finally {
    runner.dispose();
  }
}

const [libraryId, workloadId] = process.argv.slice(2) as [NodeLibraryId | "none", WorkloadId];
// Exit explicitly: some libraries keep handles (worker pools, timers) that would keep us alive.
main(libraryId, workloadId).then(
  () => process.exit(0),
  async (error: unknown) => {
    const unsupported = error instanceof UnsupportedWorkload;
    const reason = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    await send({ type: unsupported ? "unsupported" : "failed", reason });
    process.exit(0);
  },
);

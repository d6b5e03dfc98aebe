/**
 * One cell of the table runs in a child process of its own (one library, one workload): no
 * library shares a heap, a garbage collector or globals with another, and the child's peak RSS
 * belongs to that library alone (M1). The parent drives it over IPC: the child prepares the
 * workload and reports what it computed; only if that agrees with the reference does the parent
 * let it time.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Observation } from "./check.js";
import type { LibraryId, PlannedMemory } from "./libraries/library.js";
import type { Timing, TimingPlan } from "./measure.js";
import type { WorkloadId } from "./workloads.js";

/** A library as a child describes it. */
export interface LibraryInfo {
  readonly id: LibraryId;
  readonly threads: number;
}

/** Child → parent. */
export type WorkerMessage =
  | {
      readonly type: "checked";
      readonly library: LibraryInfo;
      readonly observation: Observation;
      /** Building/compiling/loading the model. */
      readonly setupMs: number;
      /** The check runs (including any JIT compilation on first use). */
      readonly checkMs: number;
    }
  | {
      readonly type: "timed";
      readonly timing: Timing;
      /** Peak resident set size of the child process, in bytes. */
      readonly peakRssBytes: number;
      readonly memory?: PlannedMemory;
    }
  | { readonly type: "unsupported" | "failed"; readonly reason: string }
  | { readonly type: "baseline"; readonly peakRssBytes: number };

/** Parent → child, after "checked". */
export type ParentMessage =
  | { readonly type: "time"; readonly plan: TimingPlan }
  | { readonly type: "stop" };

const WORKER = fileURLToPath(new URL("./cell-worker.ts", import.meta.url));

/** A cell that has not finished after this long is killed and recorded as failed. */
const CELL_TIMEOUT_MS = 15 * 60_000;

/** A running cell process, answered one message at a time. */
export class CellProcess {
  readonly #child: ChildProcess;
  readonly #queue: WorkerMessage[] = [];
  #waiting: ((message: WorkerMessage) => void) | undefined;
  #stderr = "";
  #exited = false;

  /** Starts the child for `library` on `workload` ("none": the Node + tsx baseline). */
  constructor(library: LibraryId | "none", workload: WorkloadId) {
    // Same Node flags as this process: tsx's loader and the "source" export condition.
    this.#child = fork(WORKER, [library, workload], {
      execArgv: process.execArgv,
      serialization: "advanced",
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    this.#child.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-4000);
    });
    const watchdog = setTimeout(() => {
      this.#stderr += `\nkilled after ${CELL_TIMEOUT_MS / 60_000} minutes`;
      this.#child.kill();
    }, CELL_TIMEOUT_MS).unref();
    this.#child.on("message", (message: WorkerMessage) => this.#deliver(message));
    this.#child.on("exit", (code, signal) => {
      clearTimeout(watchdog);
      this.#exited = true;
      const lastLine = this.#stderr.trim().split("\n").slice(-1)[0];
      this.#deliver({
        type: "failed",
        reason: `the process exited (${signal ?? `code ${code}`})${lastLine ? `: ${lastLine}` : ""}`,
      });
    });
  }

  /** The next message from the child. */
  next(): Promise<WorkerMessage> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  send(message: ParentMessage): void {
    if (!this.#exited) this.#child.send(message);
  }

  /** Waits for the child to exit (it exits by itself after "timed" or "stop"). */
  async close(): Promise<void> {
    if (this.#exited) return;
    await new Promise<void>((resolve) => this.#child.once("exit", () => resolve()));
  }

  #deliver(message: WorkerMessage): void {
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      waiting(message);
    } else {
      this.#queue.push(message);
    }
  }
}

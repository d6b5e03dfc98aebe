import type { Runner, RunResult } from "./libraries/library.js";

/** How many units to time. */
export interface TimingPlan {
  /** Untimed runs first (JIT warm-up, caches, lazy compilation). */
  readonly warmup: number;
  /** Timed runs when they fit in the budget. */
  readonly steps: number;
  /** Timed runs never go below this, whatever the budget. */
  readonly minSteps: number;
  /** Wall-clock budget of the timed runs; slow libraries get fewer runs (≥ minSteps). */
  readonly budgetMs: number;
}

/** The distribution of one cell's run times, in milliseconds. */
export interface Timing {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Timed runs. */
  readonly steps: number;
  readonly warmup: number;
}

/** Cycles through a workload's batches across calls, so every run sees the next batch. */
export class BatchCursor {
  #next = 0;

  constructor(readonly count: number) {}

  next(): number {
    const index = this.#next;
    this.#next = (this.#next + 1) % this.count;
    return index;
  }
}

/** Runs once and waits for the result (asynchronous only for libraries whose API is). */
export async function runOnce(runner: Runner, index: number): Promise<RunResult> {
  const result = runner.run(index);
  return result instanceof Promise ? await result : result;
}

/** Warms up, then times single runs; the step count shrinks to fit the budget, never below minSteps. */
export async function measure(
  runner: Runner,
  batches: BatchCursor,
  plan: TimingPlan,
): Promise<Timing> {
  const warmupTimes: number[] = [];
  for (let i = 0; i < plan.warmup; i++) warmupTimes.push(await timeOnce(runner, batches));
  const estimate = median(warmupTimes);
  const steps = Math.max(plan.minSteps, Math.min(plan.steps, Math.floor(plan.budgetMs / estimate)));
  const samples: number[] = [];
  for (let i = 0; i < steps; i++) samples.push(await timeOnce(runner, batches));
  return {
    median: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    steps,
    warmup: plan.warmup,
  };
}

async function timeOnce(runner: Runner, batches: BatchCursor): Promise<number> {
  const index = batches.next();
  const start = performance.now();
  const result = runner.run(index);
  if (result instanceof Promise) await result;
  return performance.now() - start;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

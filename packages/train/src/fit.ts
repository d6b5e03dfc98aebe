import { LEARNING_RATE_PARAM, type TensorFeeds } from "@nnc/compiler";
import { NncError } from "@nnc/core";
import type { Checkpoint } from "./checkpoint.js";
import { BatchBuffers, type Dataset, epochOrder, layoutDataset } from "./dataset.js";
import {
  type EarlyStopping,
  type EarlyStoppingOptions,
  observeEpoch,
  resolveEarlyStopping,
} from "./early-stopping.js";
import type { Evaluator } from "./evaluator.js";
import type { EpochRecord, StepRecord, TrainingHistory } from "./history.js";
import { countCorrect } from "./metrics.js";
import { nonFiniteLossError } from "./non-finite-error.js";
import type { NonFiniteProbe } from "./non-finite-probe.js";
import {
  createProgressReporter,
  type ProgressMode,
  type ProgressReporter,
  type ProgressStream,
} from "./progress.js";
import type { LearningRateSchedule } from "./schedules.js";
import type { Trainer, TrainerOptions } from "./trainer.js";
import type { TrainerState } from "./trainer-state.js";
import { yieldToEventLoop } from "./yield-to-event-loop.js";

/** Options of {@link Trainer.fit}. */
export interface FitOptions {
  /** Epochs of the whole run (a resumed run counts the epochs before the checkpoint). */
  readonly epochs: number;
  /** Held-out data evaluated after every epoch (loss, accuracy). */
  readonly validation?: Dataset;
  /** Shuffle the examples every epoch (default true); the order depends on `seed` and the epoch. */
  readonly shuffle?: boolean;
  /** Seed of the shuffles; default 0. */
  readonly seed?: number;
  /** Learning-rate schedule; default the optimizer's constant rate. */
  readonly schedule?: LearningRateSchedule;
  readonly earlyStopping?: EarlyStoppingOptions;
  /** "auto" (default: a bar on a TTY, plain lines otherwise), "bar", "lines", "none", or your own reporter. */
  readonly progress?: ProgressMode | ProgressReporter;
  /** Where progress goes; default process.stderr in Node, nowhere in browsers. */
  readonly progressStream?: ProgressStream;
  /** Save a checkpoint to `path` after every epoch and every `everySteps` steps. */
  readonly checkpoint?: { readonly path: string; readonly everySteps?: number };
  /** Continue from this checkpoint file (or checkpoint object) before training. */
  readonly resumeFrom?: string | Checkpoint;
  /** Stop (resumably) after this many steps of the whole run, e.g. to split a run in tests. */
  readonly maxSteps?: number;
  /** Stop at the next step boundary when aborted (a "stop" button); the run can be resumed. */
  readonly signal?: AbortSignal;
  /**
   * Check every node's value on every step (slow): training stops at the first step where any
   * value is NaN or ±Inf, naming the node, even if the loss is still finite.
   */
  readonly debug?: boolean;
  /**
   * Keep a copy of the parameters before each step so a non-finite loss can be traced to its
   * first non-finite node. Default: when parameters and optimizer state fit in 64 MiB.
   */
  readonly snapshotBeforeStep?: boolean;
  /** Called after every step (for live curves). */
  readonly onStep?: (record: StepRecord) => void;
  /** Called after every epoch, after validation. */
  readonly onEpochEnd?: (record: EpochRecord) => void | Promise<void>;
}

/** What {@link Trainer.fit} did. */
export interface FitResult {
  readonly history: TrainingHistory;
  /** Why the run ended. */
  readonly stopReason: "epochs" | "early-stopping" | "max-steps" | "aborted";
  /** Steps run by this call. */
  readonly steps: number;
  readonly seconds: number;
  /** The best epoch by the early-stopping monitor, when early stopping is on. */
  readonly bestEpoch?: number;
}

/** What the fit loop needs from its trainer. @internal */
export interface FitContext {
  readonly trainer: Trainer;
  readonly options: TrainerOptions;
  readonly evaluator: Evaluator;
  getState(): TrainerState;
  getBest(): Record<string, Float32Array> | undefined;
  setBest(best: Record<string, Float32Array> | undefined): void;
  probe(): Promise<NonFiniteProbe>;
}

const SNAPSHOT_LIMIT_BYTES = 64 * 2 ** 20;
// Yield to the event loop at least this often, so browsers repaint and stop buttons work.
const YIELD_EVERY_MS = 50;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The training loop behind {@link Trainer.fit}. @internal */
export async function runFit(
  ctx: FitContext,
  data: Dataset,
  options: FitOptions,
): Promise<FitResult> {
  const { trainer } = ctx;
  const exe = trainer.executable;
  const batch = trainer.batchSize;
  checkFitOptions(options);
  if (typeof options.resumeFrom === "string") await trainer.load(options.resumeFrom);
  else if (options.resumeFrom !== undefined) trainer.restore(options.resumeFrom);
  const layout = layoutDataset(data, exe.inputs, "fit: training data");
  if (options.validation) layoutDataset(options.validation, exe.inputs, "fit: validation data");
  const stepsPerEpoch = Math.floor(layout.count / batch);
  if (stepsPerEpoch === 0) {
    throw new NncError(
      "NNC7002",
      `fit: the training data holds ${layout.count} examples, fewer than one batch of ${batch}`,
    );
  }
  const seed = options.seed ?? 0;
  const shuffle = options.shuffle ?? true;
  // Mutated in place: the trainer's history and a checkpoint taken from onStep are always current.
  const state = ctx.getState() as Mutable<TrainerState>;
  const history = state.history as { steps: StepRecord[]; epochs: EpochRecord[] };
  const binding = { seed, shuffle, batchSize: batch, examples: layout.count };
  if (state.run && JSON.stringify(state.run) !== JSON.stringify(binding)) {
    throw new NncError(
      "NNC5003",
      `fit: the checkpoint was taken in a run with ${JSON.stringify(state.run)}, but this run has ${JSON.stringify(binding)}; a resumed run must use the same data size, batch size, seed and shuffling`,
    );
  }
  state.run = binding;
  const accuracy = ctx.options.accuracy;
  const stopping = options.earlyStopping
    ? resolveEarlyStopping(options.earlyStopping, !!options.validation, !!accuracy)
    : undefined;
  const reporter = resolveReporter(options);
  const totalSteps = options.epochs * stepsPerEpoch;
  const snapshot =
    options.snapshotBeforeStep ?? stateBytes(exe.program.graph.params) <= SNAPSHOT_LIMIT_BYTES;
  const buffers = new BatchBuffers(exe.inputs, layout);
  let lr = exe.getParams()[LEARNING_RATE_PARAM]?.[0] ?? ctx.options.optimizer.lr;
  const started = performance.now();
  let lastYield = started;
  let stepsRun = 0;
  let stopReason: FitResult["stopReason"] = state.stopped ? "early-stopping" : "epochs";

  const saveCheckpoint = async () => {
    if (options.checkpoint) await trainer.save(options.checkpoint.path);
  };

  try {
    epochs: while (!state.stopped && state.epochsDone < options.epochs) {
      const epoch = state.epochsDone + 1;
      const order = epochOrder(layout.count, seed, epoch, shuffle);
      let progress = state.epochProgress as Mutable<TrainerState["epochProgress"]>;
      let epochStart = performance.now() - progress.seconds * 1000;
      for (let i = state.stepInEpoch; i < stepsPerEpoch; i++) {
        if (options.signal?.aborted) {
          stopReason = "aborted";
          break epochs;
        }
        if (options.maxSteps !== undefined && state.step >= options.maxSteps) {
          stopReason = "max-steps";
          break epochs;
        }
        const feeds = buffers.fill(data, order, i * batch, batch);
        const step = state.step + 1;
        if (options.schedule) {
          lr = options.schedule.lr({ step, epoch, stepsPerEpoch, totalSteps });
          exe.setParams({ [LEARNING_RATE_PARAM]: [lr] });
        }
        const before = snapshot || options.debug ? exe.getParams() : undefined;
        if (options.debug) await checkEveryNode(ctx, before!, feeds, step, epoch, i, stepsPerEpoch);
        const loss = exe.step(feeds);
        if (!Number.isFinite(loss)) {
          const culprit = before ? (await ctx.probe()).firstNonFinite(before, feeds) : undefined;
          // Leave the trainer on the last good parameters, so they can be saved or inspected.
          if (before) exe.setParams(before);
          throw nonFiniteLossError({
            loss,
            step,
            epoch,
            batch: i + 1,
            stepsPerEpoch,
            culprit,
            traced: !!before,
          });
        }
        const correct = accuracy
          ? countCorrect(exe.readOutput(accuracy.output), feeds[accuracy.labels]!, batch)
          : 0;
        progress = {
          lossSum: progress.lossSum + loss,
          correct: progress.correct + correct,
          examples: progress.examples + batch,
          seconds: (performance.now() - epochStart) / 1000,
        };
        state.epochProgress = progress;
        state.step = step;
        state.stepInEpoch = i + 1;
        stepsRun++;
        const record: StepRecord = { step, epoch, loss, lr };
        history.steps.push(record);
        options.onStep?.(record);
        const elapsed = (performance.now() - started) / 1000;
        reporter.update({
          epoch,
          epochs: options.epochs,
          step: i + 1,
          stepsPerEpoch,
          loss: progress.lossSum / (progress.examples / batch),
          ...(accuracy && { accuracy: progress.correct / progress.examples }),
          examplesPerSecond: progress.seconds > 0 ? progress.examples / progress.seconds : 0,
          etaSeconds: (elapsed / stepsRun) * (totalSteps - step),
          lr,
        });
        if (options.checkpoint?.everySteps && step % options.checkpoint.everySteps === 0) {
          await saveCheckpoint();
        }
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      }
      const validation = options.validation
        ? await ctx.evaluator.evaluate(options.validation, exe.getParams())
        : undefined;
      const seconds = (performance.now() - epochStart) / 1000;
      const record: EpochRecord = {
        epoch,
        loss: progress.lossSum / (progress.examples / batch),
        ...(accuracy && { accuracy: progress.correct / progress.examples }),
        ...(validation && { valLoss: validation.loss }),
        ...(validation?.accuracy !== undefined && { valAccuracy: validation.accuracy }),
        lr,
        seconds,
        examplesPerSecond: progress.examples / seconds,
      };
      history.epochs.push(record);
      state.epochsDone = epoch;
      state.stepInEpoch = 0;
      state.epochProgress = { lossSum: 0, correct: 0, examples: 0, seconds: 0 };
      reporter.epochEnd(record, options.epochs);
      if (stopping) applyEarlyStopping(ctx, stopping, state, record, reporter);
      if (state.stopped) stopReason = "early-stopping";
      await options.onEpochEnd?.(record);
      await saveCheckpoint();
      epochStart = performance.now();
    }
    if (stopping?.restoreBest && (state.stopped || state.epochsDone >= options.epochs)) {
      const best = ctx.getBest();
      if (best) exe.setParams(best);
    }
  } finally {
    reporter.done();
  }
  return {
    history: state.history,
    stopReason,
    steps: stepsRun,
    seconds: (performance.now() - started) / 1000,
    ...(stopping && state.earlyStopping && { bestEpoch: state.earlyStopping.bestEpoch }),
  };
}

function applyEarlyStopping(
  ctx: FitContext,
  rule: EarlyStopping,
  state: Mutable<TrainerState>,
  record: EpochRecord,
  reporter: ProgressReporter,
): void {
  const seen = observeEpoch(
    rule,
    state.earlyStopping ?? { best: null, bestEpoch: 0, wait: 0 },
    record,
  );
  state.earlyStopping = seen.state;
  if (seen.improved && rule.restoreBest) ctx.setBest(ctx.trainer.modelParams());
  if (seen.stop) {
    state.stopped = true;
    reporter.note(
      `early stopping: ${rule.monitor} has not improved for ${seen.state.wait} epoch${seen.state.wait === 1 ? "" : "s"}; best was epoch ${seen.state.bestEpoch} (${rule.monitor} ${seen.state.best})`,
    );
  }
}

async function checkEveryNode(
  ctx: FitContext,
  params: Record<string, Float32Array>,
  feeds: TensorFeeds,
  step: number,
  epoch: number,
  index: number,
  stepsPerEpoch: number,
): Promise<void> {
  const culprit = (await ctx.probe()).firstNonFinite(params, feeds);
  if (culprit) {
    throw nonFiniteLossError({
      step,
      epoch,
      batch: index + 1,
      stepsPerEpoch,
      culprit,
      traced: true,
    });
  }
}

function resolveReporter(options: FitOptions): ProgressReporter {
  const progress = options.progress ?? "auto";
  return typeof progress === "object"
    ? progress
    : createProgressReporter(progress, options.progressStream);
}

function stateBytes(params: readonly { type: { shape: readonly number[] } }[]): number {
  return params.reduce((n, p) => n + 4 * p.type.shape.reduce((a, d) => a * d, 1), 0);
}

function checkFitOptions(options: FitOptions): void {
  if (options === null || typeof options !== "object") {
    throw new NncError("NNC7003", "fit: expected an options object, e.g. { epochs: 10 }");
  }
  if (!Number.isInteger(options.epochs) || options.epochs < 1) {
    throw new NncError("NNC7003", `fit: epochs must be a positive integer, got ${options.epochs}`);
  }
  if (options.seed !== undefined && !Number.isInteger(options.seed)) {
    throw new NncError("NNC7003", `fit: seed must be an integer, got ${options.seed}`);
  }
  if (
    options.maxSteps !== undefined &&
    !(Number.isInteger(options.maxSteps) && options.maxSteps >= 0)
  ) {
    throw new NncError(
      "NNC7003",
      `fit: maxSteps must be a non-negative integer, got ${options.maxSteps}`,
    );
  }
  const every = options.checkpoint?.everySteps;
  if (every !== undefined && !(Number.isInteger(every) && every >= 1)) {
    throw new NncError(
      "NNC7003",
      `fit: checkpoint.everySteps must be a positive integer, got ${every}`,
    );
  }
  if (options.checkpoint && typeof options.checkpoint.path !== "string") {
    throw new NncError("NNC7003", "fit: checkpoint.path must be a file path");
  }
}

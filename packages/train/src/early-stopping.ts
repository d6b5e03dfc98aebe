import { NncError } from "@nnc/core";
import type { EpochRecord } from "./history.js";

/** The quantity early stopping watches: lower is better for losses, higher for accuracies. */
export type Monitor = "loss" | "accuracy" | "val_loss" | "val_accuracy";

/** Options of early stopping (Keras's EarlyStopping). */
export interface EarlyStoppingOptions {
  /** Default "val_loss" when validation data is given, else "loss". */
  readonly monitor?: Monitor;
  /** Epochs without improvement before stopping. */
  readonly patience: number;
  /** The smallest change that counts as an improvement; default 0. */
  readonly minDelta?: number;
  /** Put back the parameters of the best epoch when stopping or finishing; default true. */
  readonly restoreBest?: boolean;
}

/** Early stopping's progress, part of a checkpoint's trainer state. */
export interface EarlyStoppingState {
  readonly best: number | null;
  readonly bestEpoch: number;
  /** Epochs since the best one. */
  readonly wait: number;
}

/** The early stopping rule with its options resolved. */
export interface EarlyStopping {
  readonly monitor: Monitor;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBest: boolean;
}

/** Validates the options and fills in the defaults. */
export function resolveEarlyStopping(
  options: EarlyStoppingOptions,
  hasValidation: boolean,
  hasAccuracy: boolean,
): EarlyStopping {
  const monitor = options.monitor ?? (hasValidation ? "val_loss" : "loss");
  if (!["loss", "accuracy", "val_loss", "val_accuracy"].includes(monitor)) {
    throw new NncError(
      "NNC7003",
      `earlyStopping: monitor must be "loss", "accuracy", "val_loss" or "val_accuracy", got ${JSON.stringify(monitor)}`,
    );
  }
  if (monitor.startsWith("val_") && !hasValidation) {
    throw new NncError("NNC7003", `earlyStopping: monitoring ${monitor} needs validation data`);
  }
  if (monitor.endsWith("accuracy") && !hasAccuracy) {
    throw new NncError(
      "NNC7003",
      `earlyStopping: monitoring ${monitor} needs the trainer's accuracy option`,
    );
  }
  if (!Number.isInteger(options.patience) || options.patience < 0) {
    throw new NncError(
      "NNC7003",
      `earlyStopping: patience must be a non-negative integer, got ${options.patience}`,
    );
  }
  const minDelta = options.minDelta ?? 0;
  if (!(minDelta >= 0)) {
    throw new NncError("NNC7003", `earlyStopping: minDelta must be ≥ 0, got ${minDelta}`);
  }
  return {
    monitor,
    patience: options.patience,
    minDelta,
    restoreBest: options.restoreBest ?? true,
  };
}

/** The monitored value of an epoch. */
export function monitoredValue(record: EpochRecord, monitor: Monitor): number {
  const value = {
    loss: record.loss,
    accuracy: record.accuracy,
    val_loss: record.valLoss,
    val_accuracy: record.valAccuracy,
  }[monitor];
  return value ?? Number.NaN;
}

/** Early stopping's state after an epoch, and whether that epoch is the new best. */
export function observeEpoch(
  rule: EarlyStopping,
  state: EarlyStoppingState,
  record: EpochRecord,
): { readonly state: EarlyStoppingState; readonly improved: boolean; readonly stop: boolean } {
  const value = monitoredValue(record, rule.monitor);
  const sign = rule.monitor.endsWith("accuracy") ? 1 : -1;
  const improved =
    Number.isFinite(value) && (state.best === null || sign * (value - state.best) > rule.minDelta);
  const next: EarlyStoppingState = improved
    ? { best: value, bestEpoch: record.epoch, wait: 0 }
    : { ...state, wait: state.wait + 1 };
  return { state: next, improved, stop: !improved && next.wait >= rule.patience };
}

import type { EpochRecord } from "./history.js";

/** What the display shows while an epoch runs. */
export interface ProgressSnapshot {
  /** 1-based. */
  readonly epoch: number;
  readonly epochs: number;
  /** Steps done in this epoch. */
  readonly step: number;
  readonly stepsPerEpoch: number;
  /** Running mean loss of this epoch. */
  readonly loss: number;
  /** Running training accuracy of this epoch, in [0, 1]. */
  readonly accuracy?: number;
  readonly examplesPerSecond: number;
  /** Estimated time left for the whole run. */
  readonly etaSeconds: number;
  readonly lr: number;
}

/** Receives the training loop's progress and shows it to a person. */
export interface ProgressReporter {
  /** Called after every step; cheap, because drawing is throttled. */
  update(snapshot: ProgressSnapshot): void;
  epochEnd(record: EpochRecord, epochs: number): void;
  /** A message line (e.g. "early stopping: val_loss has not improved for 3 epochs"). */
  note(text: string): void;
  done(): void;
}

/** `"auto"` draws a bar on a terminal and plain lines elsewhere; `"none"` writes nothing. */
export type ProgressMode = "auto" | "bar" | "lines" | "none";

/** Where progress goes: anything with `write`, like `process.stderr`. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const REDRAW_INTERVAL_MS = 100;
/** Plain-lines mode prints mid-epoch lines only for epochs projected to last longer than this. */
const LONG_EPOCH_SECONDS = 10;
const DEFAULT_COLUMNS = 80;
const BAR_MIN_CELLS = 10;
const BAR_MAX_CELLS = 40;
const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
const CLEAR_TO_END = "\x1b[K";

/**
 * Creates the reporter for `mode`, writing to `stream` (default: `process.stderr` when there is
 * one; with no stream at all it is silent) and timing redraws with `clock` (milliseconds).
 */
export function createProgressReporter(
  mode: ProgressMode = "auto",
  stream: ProgressStream | undefined = defaultStream(),
  clock: () => number = () => performance.now(),
): ProgressReporter {
  if (mode === "none" || stream === undefined) return silentReporter();
  if (mode === "bar" || (mode === "auto" && stream.isTTY === true)) {
    return barReporter(stream, clock);
  }
  return linesReporter(stream, clock);
}

const LR_PRIORITY = 6;

/**
 * One bar line, fitted to `width` columns: single spaces, then no learning rate, then no bar,
 * then fewer fields by priority.
 */
export function formatProgressLine(snapshot: ProgressSnapshot, width: number): string {
  return fitLine(progressFields(snapshot), width, barFraction(snapshot));
}

/**
 * The permanent summary line of one epoch, e.g.
 * `epoch 3/10  loss 0.1234  acc 96.1%  val_loss 0.0987  val_acc 97.3%  lr 1.0e-3  12.3 s  4,210 ex/s`.
 */
export function formatEpochLine(record: EpochRecord, epochs: number): string {
  const parts = [`epoch ${record.epoch}/${epochs}`, `loss ${formatLoss(record.loss)}`];
  if (record.accuracy !== undefined) parts.push(`acc ${formatPercent(record.accuracy)}`);
  if (record.valLoss !== undefined) parts.push(`val_loss ${formatLoss(record.valLoss)}`);
  if (record.valAccuracy !== undefined) parts.push(`val_acc ${formatPercent(record.valAccuracy)}`);
  parts.push(`lr ${formatLr(record.lr)}`, `${formatSeconds(record.seconds)} s`);
  // A zero-length epoch has no meaningful throughput; omit it rather than print Infinity.
  if (record.seconds > 0 && hasThroughput(record.examplesPerSecond)) {
    parts.push(`${formatThroughput(record.examplesPerSecond)} ex/s`);
  }
  return parts.join("  ");
}

/** Formats a duration as m:ss, or h:mm:ss from an hour on; unknown durations become "—". */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return "—";
  const total = Math.max(0, Math.round(seconds));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  return h > 0 ? `${h}:${pad2(m)}:${pad2(s)}` : `${m}:${pad2(s)}`;
}

function defaultStream(): ProgressStream | undefined {
  // Reached through globalThis so the module loads in browsers, where there is no process.
  const proc = (globalThis as { process?: { stderr?: ProgressStream } }).process;
  return proc?.stderr;
}

function silentReporter(): ProgressReporter {
  return { update() {}, epochEnd() {}, note() {}, done() {} };
}

function barReporter(stream: ProgressStream, clock: () => number): ProgressReporter {
  let lastDraw = Number.NEGATIVE_INFINITY;
  // The bar currently on screen, redrawn after a note so the note does not erase it.
  let visibleLine: string | undefined;
  // Writing into the last column makes some terminals wrap, so leave it free.
  const width = () =>
    (stream.columns !== undefined && stream.columns > 0 ? stream.columns : DEFAULT_COLUMNS) - 1;
  return {
    update(snapshot) {
      const now = clock();
      const lastStep = snapshot.step >= snapshot.stepsPerEpoch;
      if (!lastStep && now - lastDraw < REDRAW_INTERVAL_MS) return;
      lastDraw = now;
      visibleLine = formatProgressLine(snapshot, width());
      stream.write(`\r${visibleLine}${CLEAR_TO_END}`);
    },
    epochEnd(record, epochs) {
      stream.write(`\r${formatEpochLine(record, epochs)}${CLEAR_TO_END}\n`);
      visibleLine = undefined;
    },
    note(text) {
      const redraw = visibleLine === undefined ? "" : `${visibleLine}${CLEAR_TO_END}`;
      stream.write(`\r${sanitize(text)}${CLEAR_TO_END}\n${redraw}`);
    },
    done() {
      // Keep an unfinished epoch's last bar on screen and move below it.
      if (visibleLine !== undefined) stream.write("\n");
      visibleLine = undefined;
    },
  };
}

function linesReporter(stream: ProgressStream, clock: () => number): ProgressReporter {
  let epoch = Number.NaN;
  let previousStep = 0;
  // The first report seen in this epoch (not necessarily step 1: fit may resume mid-epoch).
  let firstStep = 0;
  let firstStepTime = 0;
  let printedTenths = 0;
  return {
    update(snapshot) {
      const now = clock();
      const tenths = Math.floor((10 * snapshot.step) / snapshot.stepsPerEpoch);
      if (snapshot.epoch !== epoch || snapshot.step <= previousStep) {
        epoch = snapshot.epoch;
        firstStep = snapshot.step;
        firstStepTime = now;
        printedTenths = tenths;
      }
      previousStep = snapshot.step;
      // The last tenth is the epoch line's job.
      if (!(tenths > printedTenths && tenths < 10)) return;
      const secondsPerStep = (now - firstStepTime) / 1000 / (snapshot.step - firstStep);
      if (!(secondsPerStep * snapshot.stepsPerEpoch > LONG_EPOCH_SECONDS)) return;
      printedTenths = tenths;
      stream.write(`${joinFields(progressFields(snapshot), "  ")}\n`);
    },
    epochEnd(record, epochs) {
      stream.write(`${formatEpochLine(record, epochs)}\n`);
    },
    note(text) {
      stream.write(`${sanitize(text)}\n`);
    },
    done() {},
  };
}

interface Field {
  readonly text: string;
  /** Lower numbers are kept longer when the line is too narrow. */
  readonly priority: number;
}

/** The bar line's fields in display order; the bar itself sits after the first. */
function progressFields(snapshot: ProgressSnapshot): Field[] {
  const fields: Field[] = [
    { text: `epoch ${snapshot.epoch}/${snapshot.epochs}`, priority: 0 },
    { text: `${snapshot.step}/${snapshot.stepsPerEpoch}`, priority: 2 },
    { text: `loss ${formatLoss(snapshot.loss)}`, priority: 1 },
  ];
  if (snapshot.accuracy !== undefined) {
    fields.push({ text: `acc ${formatPercent(snapshot.accuracy)}`, priority: 4 });
  }
  if (hasThroughput(snapshot.examplesPerSecond)) {
    fields.push({ text: `${formatThroughput(snapshot.examplesPerSecond)} ex/s`, priority: 5 });
  }
  fields.push({ text: `lr ${formatLr(snapshot.lr)}`, priority: LR_PRIORITY });
  if (Number.isFinite(snapshot.etaSeconds)) {
    fields.push({ text: `ETA ${formatEta(snapshot.etaSeconds)}`, priority: 3 });
  }
  return fields;
}

/**
 * The most informative line that fits: all fields with a bar, then the bar without the
 * learning rate, then no bar and fewer fields by priority. Each is tried with double spaces,
 * then single ones.
 */
function fitLine(fields: readonly Field[], width: number, fraction: number): string {
  if (width <= 0) return "";
  const first = fields[0];
  if (first === undefined) return "";
  // The bar is worth more than the learning rate (which only changes slowly): on an
  // 80-column terminal it stays, and lr goes first.
  const withoutLr = fields.filter((f) => f.priority < LR_PRIORITY);
  for (const candidate of [fields, withoutLr]) {
    for (const separator of ["  ", " "]) {
      const withoutBar = textWidth(joinFields(candidate, separator));
      // The bar takes the room left over, within bounds; "|" on each side.
      const cells = Math.min(BAR_MAX_CELLS, width - withoutBar - separator.length - 2);
      if (cells >= BAR_MIN_CELLS) {
        const bar: Field = { text: `|${drawBar(fraction, cells)}|`, priority: 0 };
        return joinFields([first, bar, ...candidate.slice(1)], separator);
      }
    }
  }
  const byPriority = [...fields].sort((a, b) => a.priority - b.priority);
  for (let keep = fields.length; keep >= 1; keep--) {
    const kept = new Set(byPriority.slice(0, keep));
    const shown = fields.filter((f) => kept.has(f));
    for (const separator of ["  ", " "]) {
      const line = joinFields(shown, separator);
      if (textWidth(line) <= width) return line;
    }
  }
  return Array.from(first.text).slice(0, width).join("");
}

function joinFields(fields: readonly Field[], separator: string): string {
  return fields.map((f) => f.text).join(separator);
}

/** Columns taken by `text`: one per code point (every character used here is narrow). */
function textWidth(text: string): number {
  return Array.from(text).length;
}

function barFraction(snapshot: ProgressSnapshot): number {
  const fraction = snapshot.step / snapshot.stepsPerEpoch;
  return Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
}

/** A bar of `cells` characters with eighth-cell resolution. */
function drawBar(fraction: number, cells: number): string {
  const eighths = Math.floor(fraction * cells * 8);
  const full = Math.floor(eighths / 8);
  const partial = full < cells ? EIGHTHS[eighths % 8]! : "";
  return "█".repeat(full) + partial + " ".repeat(cells - full - partial.length);
}

/** Non-finite values as "NaN", "Inf" or "-Inf", or undefined for finite ones. */
function nonFinite(value: number): string | undefined {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return undefined;
}

/** Four significant digits without trailing zeros; `toPrecision` does not depend on the locale. */
function formatLoss(value: number): string {
  const special = nonFinite(value);
  if (special !== undefined) return special;
  const [mantissa = "", exponent] = value.toPrecision(4).split("e");
  const trimmed = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
  return exponent === undefined ? trimmed : `${trimmed}e${exponent}`;
}

function formatPercent(fraction: number): string {
  return nonFinite(fraction) ?? `${(fraction * 100).toFixed(1)}%`;
}

function formatLr(lr: number): string {
  return nonFinite(lr) ?? lr.toExponential(1);
}

function formatSeconds(seconds: number): string {
  return nonFinite(seconds) ?? seconds.toFixed(1);
}

function hasThroughput(examplesPerSecond: number): boolean {
  return Number.isFinite(examplesPerSecond) && examplesPerSecond > 0;
}

function formatThroughput(examplesPerSecond: number): string {
  return examplesPerSecond < 10 ? examplesPerSecond.toFixed(1) : groupThousands(examplesPerSecond);
}

/** Rounds to an integer and separates thousands with commas, whatever the locale. */
function groupThousands(value: number): string {
  const digits = Math.round(value).toString();
  // Beyond 1e21 toString switches to exponent notation, which has no thousands to group.
  if (digits.includes("e")) return digits;
  return digits.replace(/\B(?=(\d{3})+$)/g, ",");
}

function pad2(value: number): string {
  return value.toString().padStart(2, "0");
}

/** Control characters would move the cursor or garble logs; show them as spaces. */
function sanitize(text: string): string {
  return Array.from(text, (c) => {
    const code = c.charCodeAt(0);
    return (code < 0x20 && c !== "\n") || code === 0x7f ? " " : c;
  }).join("");
}

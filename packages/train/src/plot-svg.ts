import { NncError } from "@nnc/core";
import type { EpochRecord, TrainingHistory } from "./history.js";

/** Size and title of the picture {@link renderTrainingCurves} draws. */
export interface CurveOptions {
  readonly title?: string;
  /** Pixels; default 720. */
  readonly width?: number;
  /** Pixels; default 560 with an accuracy panel, 320 without. */
  readonly height?: number;
}

/** Ticks of one axis: evenly spaced round numbers covering the data. */
export interface NiceTicks {
  readonly values: readonly number[];
  /** The spacing, 1, 2 or 5 times a power of ten. */
  readonly step: number;
  /** Decimals that print every tick exactly. */
  readonly decimals: number;
}

/** Per-step points beyond this are averaged in buckets, so long runs stay small files. */
export const MAX_STEP_POINTS = 2000;

const MIN_WIDTH = 240;
const MIN_HEIGHT = 160;
const FONT = "system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif";
const TRAIN_COLOR = "#1f77b4";
const VAL_COLOR = "#e8710a";
/** Markers only where they can be told apart. */
const MAX_MARKERS = 60;
const MARGIN = { left: 60, right: 18, header: 24, bottom: 40, gap: 14 };
const TITLE_HEIGHT = 30;
/** Rough width of a character of 11 px text, to lay out the legend without measuring. */
const CHAR_WIDTH = 6.2;

/**
 * A standalone SVG of training curves: loss (per-step train loss, faint; per-epoch train and
 * held-out loss) and, when recorded, accuracy (per-epoch train and held-out), as two panels.
 * Non-finite values are left out; a history with nothing to draw gives an SVG saying "no data".
 */
export function renderTrainingCurves(history: TrainingHistory, options: CurveOptions = {}): string {
  const loss = lossSeries(history);
  const accuracy = accuracySeries(history.epochs);
  const panels = [loss, accuracy].filter((p): p is Panel => p !== undefined);
  const width = checkSize("width", options.width ?? 720, MIN_WIDTH);
  const height = checkSize("height", options.height ?? (panels.length > 1 ? 560 : 320), MIN_HEIGHT);
  const body: string[] = [];
  body.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  let top = MARGIN.gap;
  if (options.title !== undefined) {
    body.push(
      `<text x="${width / 2}" y="${top + 16}" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(options.title)}</text>`,
    );
    top += TITLE_HEIGHT;
  }
  if (panels.length === 0) {
    body.push(
      `<text class="no-data" x="${width / 2}" y="${(top + height) / 2}" text-anchor="middle" font-size="14" fill="#666666">no data</text>`,
    );
  }
  const panelHeight = (height - top) / Math.max(1, panels.length);
  for (const [i, panel] of panels.entries()) {
    body.push(drawPanel(panel, width, top + i * panelHeight, panelHeight));
  }
  const label = escapeXml(options.title ?? "training curves");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="11" role="img" aria-label="${label}">`,
    `<title>${label}</title>`,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

/**
 * Round-number ticks (1, 2 or 5 × 10ⁿ apart) from at or below `lo` to at or above `hi`, about
 * `target` intervals; with `integer`, never closer than 1 apart.
 */
export function niceTicks(lo: number, hi: number, target = 5, integer = false): NiceTicks {
  if (!(hi > lo)) hi = lo + (integer ? 1 : Math.max(1, Math.abs(lo) * 0.1));
  const raw = (hi - lo) / target;
  const exponent = Math.floor(Math.log10(raw));
  const mantissa = raw / 10 ** exponent;
  const nice = mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10;
  // Parsed from decimal text, so 1e-4 is the double nearest 0.0001, not 10 × 1e-5.
  let step = Number(`${nice}e${exponent}`);
  if (integer) step = Math.max(1, step);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  // The tolerance keeps 0.30000000000000004 / 0.1 from adding a tick.
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const values: number[] = [];
  for (let k = first; k <= last; k++) values.push(Number((k * step).toFixed(decimals)));
  return { values, step, decimals };
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A point of a series; `undefined` marks a gap (a non-finite value). */
type Point = readonly [x: number, y: number] | undefined;

interface Series {
  readonly name: string;
  readonly className: string;
  readonly points: readonly Point[];
  readonly color: string;
  readonly faint?: boolean;
  readonly dashed?: boolean;
}

interface Panel {
  readonly id: "loss" | "accuracy";
  readonly label: string;
  readonly xLabel: string;
  readonly series: readonly Series[];
  readonly x: NiceTicks;
  readonly y: NiceTicks;
  readonly yUnit: string;
}

function lossSeries(history: TrainingHistory): Panel | undefined {
  const stepPoints = thin(history.steps.map((s) => finitePoint(s.step, s.loss)));
  const byStep = stepPoints.some((p) => p !== undefined);
  // Epoch summaries sit at the epoch's last step, so they line up with the per-step curve.
  const lastStep = new Map<number, number>();
  for (const s of history.steps) {
    if (Number.isFinite(s.step))
      lastStep.set(s.epoch, Math.max(lastStep.get(s.epoch) ?? 0, s.step));
  }
  const stepsPerEpoch = estimateStepsPerEpoch(lastStep);
  const epochX = (e: number) => (byStep ? (lastStep.get(e) ?? e * stepsPerEpoch) : e);
  const series: Series[] = [];
  if (byStep) {
    series.push({
      name: "train (per step)",
      className: "train-step",
      points: stepPoints,
      color: TRAIN_COLOR,
      faint: true,
    });
  }
  const train = history.epochs.map((r) => finitePoint(epochX(r.epoch), r.loss));
  if (train.some((p) => p !== undefined)) {
    series.push({ name: "train", className: "train-epoch", points: train, color: TRAIN_COLOR });
  }
  const held = history.epochs.map((r) => finitePoint(epochX(r.epoch), r.valLoss));
  if (held.some((p) => p !== undefined)) {
    series.push({
      name: "validation",
      className: "val-epoch",
      points: held,
      color: VAL_COLOR,
      dashed: true,
    });
  }
  if (series.length === 0) return undefined;
  const [, xHi] = extent(series, 0);
  const [yLo, yHi] = extent(series, 1);
  return {
    id: "loss",
    label: "loss",
    xLabel: byStep ? "step" : "epoch",
    series,
    x: niceTicks(0, xHi, 6, true),
    y: niceTicks(lossAxisStart(yLo, yHi), yHi, 5),
    yUnit: "",
  };
}

/**
 * A linear loss axis from 0, so the eye reads ratios of losses correctly, unless every loss sits
 * in a narrow band far from 0 (a likelihood near its floor, 0.68 → 0.655): then the axis zooms
 * to the band, or the curve would be a flat line.
 */
function lossAxisStart(lo: number, hi: number): number {
  if (lo <= 0) return lo;
  return lo > 0.5 * hi ? lo - (hi - lo) * 0.05 : 0;
}

function accuracySeries(epochs: readonly EpochRecord[]): Panel | undefined {
  const train = epochs.map((r) => finitePoint(r.epoch, percent(r.accuracy)));
  const held = epochs.map((r) => finitePoint(r.epoch, percent(r.valAccuracy)));
  const series: Series[] = [];
  if (train.some((p) => p !== undefined)) {
    series.push({ name: "train", className: "train-epoch", points: train, color: TRAIN_COLOR });
  }
  if (held.some((p) => p !== undefined)) {
    series.push({
      name: "validation",
      className: "val-epoch",
      points: held,
      color: VAL_COLOR,
      dashed: true,
    });
  }
  if (series.length === 0) return undefined;
  const [, xHi] = extent(series, 0);
  let [yLo, yHi] = extent(series, 1);
  // Zoom to the data, but keep a flat curve from filling the panel with noise-sized ticks.
  if (yHi - yLo < 2) {
    const middle = (yLo + yHi) / 2;
    [yLo, yHi] = [middle - 1, middle + 1];
  }
  const ticks = niceTicks(Math.max(0, yLo), Math.min(100, yHi), 5);
  // 100 % is a hard ceiling and 0 % a hard floor; 1/2/5 steps land on both exactly.
  const values = ticks.values.filter((v) => v >= 0 && v <= 100);
  return {
    id: "accuracy",
    label: "accuracy (%)",
    xLabel: "epoch",
    series,
    x: niceTicks(0, xHi, 6, true),
    y: { ...ticks, values },
    yUnit: "%",
  };
}

function drawPanel(panel: Panel, width: number, top: number, height: number): string {
  const left = MARGIN.left;
  const right = width - MARGIN.right;
  const plotTop = top + MARGIN.header;
  const plotBottom = top + height - MARGIN.bottom;
  const [xLo, xHi] = bounds(panel.x);
  const [yLo, yHi] = bounds(panel.y);
  // Clamped so that nothing is drawn outside the frame, whatever the data.
  const px = (x: number) => clamp(left + ((x - xLo) / (xHi - xLo)) * (right - left), left, right);
  const py = (y: number) =>
    clamp(plotBottom - ((y - yLo) / (yHi - yLo)) * (plotBottom - plotTop), plotTop, plotBottom);
  const out: string[] = [`<g class="panel" data-panel="${panel.id}">`];
  out.push(
    `<text class="panel-label" x="${left}" y="${fmt(plotTop - 8)}" font-size="12" font-weight="600">${panel.label}</text>`,
  );
  for (const v of panel.y.values) {
    const y = fmt(py(v));
    out.push(
      `<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text class="tick-y" x="${left - 6}" y="${y}" dy="0.32em" text-anchor="end" fill="#444444">${formatTick(v, panel.y.decimals)}${panel.yUnit}</text>`,
    );
  }
  for (const v of panel.x.values) {
    const x = fmt(px(v));
    out.push(
      `<line x1="${x}" y1="${fmt(plotTop)}" x2="${x}" y2="${fmt(plotBottom)}" stroke="#f0f0f0"/>`,
      `<line x1="${x}" y1="${fmt(plotBottom)}" x2="${x}" y2="${fmt(plotBottom + 4)}" stroke="#444444"/>`,
      `<text class="tick-x" x="${x}" y="${fmt(plotBottom + 16)}" text-anchor="middle" fill="#444444">${formatTick(v, panel.x.decimals)}</text>`,
    );
  }
  out.push(
    `<rect class="plot-area" x="${left}" y="${fmt(plotTop)}" width="${right - left}" height="${fmt(plotBottom - plotTop)}" fill="none" stroke="#999999"/>`,
    `<text class="axis-label" x="${fmt((left + right) / 2)}" y="${fmt(plotBottom + 33)}" text-anchor="middle">${panel.xLabel}</text>`,
  );
  for (const s of panel.series) out.push(...drawSeries(s, px, py));
  out.push(drawLegend(panel.series, right, plotTop - 8), "</g>");
  return out.join("\n");
}

function drawSeries(
  series: Series,
  px: (x: number) => number,
  py: (y: number) => number,
): string[] {
  const d: string[] = [];
  let pen = "M";
  for (const p of series.points) {
    if (p === undefined) {
      pen = "M";
      continue;
    }
    d.push(`${pen}${fmt(px(p[0]))} ${fmt(py(p[1]))}`);
    pen = "L";
  }
  const style = series.faint
    ? `stroke-width="1" stroke-opacity="0.35"`
    : `stroke-width="2"${series.dashed ? ` stroke-dasharray="6 3"` : ""}`;
  const out = [
    `<path class="series ${series.className}" d="${d.join("")}" fill="none" stroke="${series.color}" ${style} stroke-linejoin="round"/>`,
  ];
  const present = series.points.filter((p): p is NonNullable<Point> => p !== undefined);
  if (!series.faint && present.length <= MAX_MARKERS) {
    for (const [x, y] of present) {
      out.push(
        `<circle class="marker ${series.className}" cx="${fmt(px(x))}" cy="${fmt(py(y))}" r="2.5" fill="${series.color}"/>`,
      );
    }
  }
  return out;
}

/** The legend, right-aligned on the panel's header line. */
function drawLegend(series: readonly Series[], right: number, baseline: number): string {
  const out = [`<g class="legend">`];
  let x = right;
  for (const s of [...series].reverse()) {
    x -= s.name.length * CHAR_WIDTH;
    out.push(`<text x="${fmt(x)}" y="${fmt(baseline)}">${escapeXml(s.name)}</text>`);
    const y = fmt(baseline - 4);
    const style = s.faint
      ? `stroke-opacity="0.35"`
      : `stroke-width="2"${s.dashed ? ` stroke-dasharray="6 3"` : ""}`;
    out.push(
      `<line x1="${fmt(x - 22)}" y1="${y}" x2="${fmt(x - 4)}" y2="${y}" stroke="${s.color}" ${style}/>`,
    );
    x -= 36;
  }
  out.push("</g>");
  return out.join("\n");
}

/**
 * Averages consecutive points in buckets so at most {@link MAX_STEP_POINTS} remain; gaps
 * survive only where a whole bucket had no finite value.
 */
function thin(points: readonly Point[]): Point[] {
  if (points.length <= MAX_STEP_POINTS) return [...points];
  const size = Math.ceil(points.length / MAX_STEP_POINTS);
  const out: Point[] = [];
  for (let start = 0; start < points.length; start += size) {
    let sx = 0;
    let sy = 0;
    let n = 0;
    for (const p of points.slice(start, start + size)) {
      if (p === undefined) continue;
      sx += p[0];
      sy += p[1];
      n++;
    }
    out.push(n === 0 ? undefined : [sx / n, sy / n]);
  }
  return out;
}

function estimateStepsPerEpoch(lastStep: ReadonlyMap<number, number>): number {
  let best = 1;
  for (const [epoch, step] of lastStep) if (epoch > 0) best = Math.max(best, step / epoch);
  return best;
}

function finitePoint(x: number, y: number | undefined): Point {
  return y !== undefined && Number.isFinite(x) && Number.isFinite(y) ? [x, y] : undefined;
}

function percent(fraction: number | undefined): number | undefined {
  return fraction === undefined ? undefined : fraction * 100;
}

/** [min, max] of coordinate `axis` over every point of every series. */
function extent(series: readonly Series[], axis: 0 | 1): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const s of series) {
    for (const p of s.points) {
      if (p === undefined) continue;
      lo = Math.min(lo, p[axis]);
      hi = Math.max(hi, p[axis]);
    }
  }
  return [lo, hi];
}

function bounds(ticks: NiceTicks): [number, number] {
  const lo = ticks.values[0] ?? 0;
  const hi = ticks.values.at(-1) ?? 1;
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

function checkSize(name: string, value: number, min: number): number {
  if (!(Number.isFinite(value) && value >= min)) {
    throw new NncError(
      "NNC7003",
      `renderTrainingCurves: ${name} must be a number of pixels of at least ${min} (got ${value})`,
    );
  }
  return value;
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

/** One decimal is plenty for pixels and keeps the file small. */
function fmt(value: number): string {
  return value.toFixed(1).replace(/\.0$/, "");
}

/** A tick label with its exact decimals and locale-free thousands separators. */
function formatTick(value: number, decimals: number): string {
  const [whole = "", fraction] = Math.abs(value).toFixed(decimals).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+$)/g, ",");
  // No "-0.0" for a tick that rounds to zero.
  const sign = value < 0 && /[1-9]/.test(`${whole}${fraction ?? ""}`) ? "-" : "";
  return `${sign}${grouped}${fraction === undefined ? "" : `.${fraction}`}`;
}

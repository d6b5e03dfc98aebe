import { describe, expect, it } from "vitest";
import type { EpochRecord, StepRecord, TrainingHistory } from "./history.js";
import { MAX_STEP_POINTS, niceTicks, renderTrainingCurves } from "./plot-svg.js";

/** Tag names in document order, checking that every opened element is closed in order. */
function checkBalanced(svg: string): string[] {
  const stack: string[] = [];
  const seen: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (closing) {
      expect(stack.pop(), `closing </${name}>`).toBe(name);
    } else {
      seen.push(name!);
      if (!selfClosing) stack.push(name!);
    }
  }
  expect(stack).toEqual([]);
  return seen;
}

interface ParsedPanel {
  readonly area: { x: number; y: number; width: number; height: number };
  readonly text: string;
}

/** The panels of a rendered SVG by id, each with its plot-area frame. */
function panels(svg: string): Record<string, ParsedPanel> {
  const out: Record<string, ParsedPanel> = {};
  for (const chunk of svg.split(`<g class="panel" data-panel="`).slice(1)) {
    const id = chunk.slice(0, chunk.indexOf('"'));
    const rect =
      /<rect class="plot-area" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"/.exec(
        chunk,
      );
    expect(rect, `plot area of ${id}`).not.toBeNull();
    const [x, y, width, height] = rect!.slice(1).map(Number) as [number, number, number, number];
    out[id] = { area: { x, y, width, height }, text: chunk };
  }
  return out;
}

/** The vertices of the series path with class `className`, as [x, y] pairs per subpath. */
function pathOf(panel: ParsedPanel, className: string): [number, number][][] {
  const m = new RegExp(`<path class="series ${className}" d="([^"]*)"`).exec(panel.text);
  expect(m, `path ${className}`).not.toBeNull();
  const subpaths: [number, number][][] = [];
  for (const [, pen, x, y] of m![1]!.matchAll(/([ML])([^ ML]+) ([^ ML]+)/g)) {
    if (pen === "M") subpaths.push([]);
    subpaths.at(-1)!.push([Number(x), Number(y)]);
  }
  return subpaths;
}

function markersOf(panel: ParsedPanel, className: string): [number, number][] {
  const re = new RegExp(`<circle class="marker ${className}" cx="([^"]+)" cy="([^"]+)"`, "g");
  return [...panel.text.matchAll(re)].map((m) => [Number(m[1]), Number(m[2])]);
}

/** Every number in a coordinate-bearing attribute of the panel. */
function coordinates(panel: ParsedPanel): number[] {
  const values: number[] = [];
  for (const m of panel.text.matchAll(/<(path|circle)[^>]*>/g)) {
    const tag = m[0];
    const d = /\bd="([^"]*)"/.exec(tag)?.[1];
    if (d !== undefined) for (const n of d.split(/[ML ]/).filter(Boolean)) values.push(Number(n));
    for (const a of tag.matchAll(/\b(cx|cy)="([^"]*)"/g)) values.push(Number(a[2]));
  }
  return values;
}

function tickLabels(panel: ParsedPanel, axis: "x" | "y"): number[] {
  const re = new RegExp(`<text class="tick-${axis}"[^>]*>([^<]*)</text>`, "g");
  return [...panel.text.matchAll(re)].map((m) => Number(m[1]!.replace(/[,%]/g, "")));
}

/** Checks that `values` are evenly spaced by 1, 2 or 5 × 10ⁿ. */
function expectNice(values: readonly number[]): void {
  expect(values.length).toBeGreaterThanOrEqual(2);
  const step = values[1]! - values[0]!;
  const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
  expect(
    [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6),
    `step ${step}`,
  ).toBe(true);
  for (let i = 1; i < values.length; i++) {
    expect(values[i]! - values[i - 1]!).toBeCloseTo(step, 9);
  }
  for (const v of values) expect(Math.abs(v / step - Math.round(v / step))).toBeLessThan(1e-6);
}

/** A small seeded generator (mulberry32), so every run sees the same numbers. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A plausible run: loss decays from about 2.3, accuracy climbs towards 98 %. */
function run(epochs: number, stepsPerEpoch: number, withAccuracy = true): TrainingHistory {
  const random = rng(7);
  const steps: StepRecord[] = [];
  const records: EpochRecord[] = [];
  for (let e = 1; e <= epochs; e++) {
    let sum = 0;
    for (let i = 1; i <= stepsPerEpoch; i++) {
      const step = (e - 1) * stepsPerEpoch + i;
      const loss = 2.3 * Math.exp(-step / 40) + 0.05 + 0.1 * random();
      sum += loss;
      steps.push({ step, epoch: e, loss, lr: 0.01 });
    }
    const accuracy = withAccuracy ? { accuracy: 0.9 + 0.08 * (1 - 1 / e) } : {};
    const valAccuracy = withAccuracy ? { valAccuracy: 0.91 + 0.07 * (1 - 1 / e) } : {};
    records.push({
      epoch: e,
      loss: sum / stepsPerEpoch,
      valLoss: (sum / stepsPerEpoch) * 1.1,
      lr: 0.01,
      seconds: 1,
      examplesPerSecond: 1000,
      ...accuracy,
      ...valAccuracy,
    });
  }
  return { steps, epochs: records };
}

describe("renderTrainingCurves", () => {
  it("writes a standalone SVG document with balanced tags and no non-numbers", () => {
    const svg = renderTrainingCurves(run(5, 50), { title: "mnist mlp" });
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    const tags = checkBalanced(svg);
    expect(tags.filter((t) => t === "svg")).toHaveLength(1);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    expect(svg).toContain(">mnist mlp</text>");
    expect(Object.keys(panels(svg))).toEqual(["loss", "accuracy"]);
  });

  it("keeps every coordinate finite and inside its plot area", () => {
    const svg = renderTrainingCurves(run(5, 50));
    for (const [id, panel] of Object.entries(panels(svg))) {
      const { x, y, width, height } = panel.area;
      const values = coordinates(panel);
      expect(values.length, id).toBeGreaterThan(10);
      for (const v of values) expect(Number.isFinite(v), `${id}: ${v}`).toBe(true);
      for (const sub of [
        ...pathOf(panel, "train-epoch"),
        ...pathOf(panel, "val-epoch"),
        [...markersOf(panel, "train-epoch"), ...markersOf(panel, "val-epoch")],
      ]) {
        for (const [px, py] of sub) {
          expect(px).toBeGreaterThanOrEqual(x);
          expect(px).toBeLessThanOrEqual(x + width);
          expect(py).toBeGreaterThanOrEqual(y);
          expect(py).toBeLessThanOrEqual(y + height);
        }
      }
    }
  });

  it("maps loss linearly from 0, a higher loss higher up the page", () => {
    const steps: StepRecord[] = [4, 2, 1, 3].map((loss, i) => ({
      step: i + 1,
      epoch: 1,
      loss,
      lr: 0.1,
    }));
    const svg = renderTrainingCurves({ steps, epochs: [] });
    const loss = panels(svg).loss!;
    expect(tickLabels(loss, "y")).toEqual([0, 1, 2, 3, 4]);
    const [points] = pathOf(loss, "train-step");
    const { y, height } = loss.area;
    // Height above the bottom edge, as a fraction of the panel, is loss / 4.
    expect(points!.map(([, py]) => (y + height - py) / height)).toEqual(
      [1, 0.5, 0.25, 0.75].map((f) => expect.closeTo(f, 2)),
    );
    expect(points![0]![1]).toBeLessThan(points![1]![1]);
  });

  it("extends the loss axis below 0 for a negative objective", () => {
    const steps = [-0.5, 2].map((loss, i) => ({ step: i + 1, epoch: 1, loss, lr: 0.1 }));
    const loss = panels(renderTrainingCurves({ steps, epochs: [] })).loss!;
    expect(tickLabels(loss, "y")).toEqual([-0.5, 0, 0.5, 1, 1.5, 2]);
    expect(loss.text).toContain(">-0.5</text>");
    expect(loss.text).toContain(">0.0</text>");
  });

  it("places each epoch summary at its last step, on a step axis", () => {
    const svg = renderTrainingCurves(run(3, 20));
    const loss = panels(svg).loss!;
    expect(loss.text).toContain(">step</text>");
    const [perStep] = pathOf(loss, "train-step");
    const markers = markersOf(loss, "train-epoch");
    expect(markers.map(([x]) => x)).toEqual([19, 39, 59].map((i) => perStep![i]![0]));
    // The accuracy panel counts epochs.
    expect(panels(svg).accuracy!.text).toContain(">epoch</text>");
    expect(tickLabels(panels(svg).accuracy!, "x")).toEqual([0, 1, 2, 3]);
  });

  it("uses an epoch axis when no steps were recorded", () => {
    const history = run(4, 10);
    const loss = panels(renderTrainingCurves({ steps: [], epochs: history.epochs })).loss!;
    expect(loss.text).toContain(">epoch</text>");
    expect(loss.text).not.toContain("train-step");
    expect(tickLabels(loss, "x")).toEqual([0, 1, 2, 3, 4]);
  });

  it("zooms the loss axis to a narrow band far from 0 instead of drawing a flat line", () => {
    const steps: StepRecord[] = [0.68, 0.67, 0.66, 0.655].map((loss, i) => ({
      step: i + 1,
      epoch: 1,
      loss,
      lr: 0.1,
    }));
    const ticks = tickLabels(panels(renderTrainingCurves({ steps, epochs: [] })).loss!, "y");
    expectNice(ticks);
    expect(ticks[0]).toBeGreaterThan(0.6);
    expect(ticks[0]).toBeLessThanOrEqual(0.655);
    expect(ticks.at(-1)).toBeGreaterThanOrEqual(0.68);
  });

  it("labels axes with nice ticks that cover the data", () => {
    const history = run(10, 469);
    const p = panels(renderTrainingCurves(history));
    const lossTicks = tickLabels(p.loss!, "y");
    expectNice(lossTicks);
    expect(lossTicks[0]).toBe(0);
    const maxLoss = Math.max(...history.steps.map((s) => s.loss));
    expect(lossTicks.at(-1)!).toBeGreaterThanOrEqual(maxLoss);
    expect(lossTicks.at(-2)!).toBeLessThan(maxLoss);
    const stepTicks = tickLabels(p.loss!, "x");
    expectNice(stepTicks);
    expect(stepTicks.at(-1)!).toBeGreaterThanOrEqual(4690);
    expect(p.loss!.text).toContain(">4,000</text>");
    // Accuracy runs from 90 % to 98 %: zoomed to 90–100, not 0–100.
    const accTicks = tickLabels(p.accuracy!, "y");
    expectNice(accTicks);
    expect(accTicks[0]).toBe(90);
    expect(accTicks.at(-1)).toBe(98);
    expect(p.accuracy!.text).toContain(">92%</text>");
  });

  it("never puts the accuracy axis above 100 %", () => {
    const epochs: EpochRecord[] = [0.995, 0.999, 1].map((accuracy, i) => ({
      epoch: i + 1,
      loss: 0.01,
      accuracy,
      lr: 0.01,
      seconds: 1,
      examplesPerSecond: 10,
    }));
    const accuracy = panels(renderTrainingCurves({ steps: [], epochs })).accuracy!;
    const ticks = tickLabels(accuracy, "y");
    expectNice(ticks);
    expect(ticks.at(-1)).toBe(100);
    expect(ticks[0]).toBeLessThanOrEqual(99.5);
  });

  it("leaves out the accuracy panel when no accuracy was recorded", () => {
    const svg = renderTrainingCurves(run(3, 10, false));
    expect(Object.keys(panels(svg))).toEqual(["loss"]);
    expect(svg).not.toContain("accuracy");
    // A held-out accuracy alone is enough for the panel.
    const history = run(3, 10, false);
    const onlyVal = history.epochs.map((r) => ({ ...r, valAccuracy: 0.5 }));
    const both = panels(renderTrainingCurves({ steps: history.steps, epochs: onlyVal }));
    expect(Object.keys(both)).toEqual(["loss", "accuracy"]);
    expect(both.accuracy!.text).not.toContain("train-epoch");
  });

  it("escapes the title so markup in it stays inert", () => {
    const svg = renderTrainingCurves(run(2, 5), { title: `<script>&"'` });
    expect(svg).not.toContain("<script");
    expect(svg).toContain(">&lt;script&gt;&amp;&quot;&#39;</text>");
    expect(svg).toContain('aria-label="&lt;script&gt;&amp;&quot;&#39;"');
    checkBalanced(svg);
  });

  it("thins a long run to bucket means", () => {
    // Alternating 1 and 3: every bucket of an even size averages to exactly 2.
    const steps: StepRecord[] = Array.from({ length: 100_000 }, (_, i) => ({
      step: i + 1,
      epoch: 1 + Math.floor(i / 1000),
      loss: i % 2 === 0 ? 1 : 3,
      lr: 0.01,
    }));
    const svg = renderTrainingCurves({ steps, epochs: [] });
    expect(svg.length).toBeLessThan(100_000);
    const [points] = pathOf(panels(svg).loss!, "train-step");
    expect(points!.length).toBeLessThanOrEqual(MAX_STEP_POINTS);
    expect(points!.length).toBeGreaterThan(MAX_STEP_POINTS / 2);
    expect(new Set(points!.map(([, y]) => y)).size).toBe(1);
    const xs = points!.map(([x]) => x);
    for (let i = 1; i < xs.length; i++) expect(xs[i]).toBeGreaterThan(xs[i - 1]!);
    // Short runs keep every point.
    const short = renderTrainingCurves({ steps: steps.slice(0, 1500), epochs: [] });
    expect(pathOf(panels(short).loss!, "train-step")[0]).toHaveLength(1500);
  });

  it("skips non-finite values, breaking the curve there", () => {
    const losses = [2, 1.5, Number.NaN, 1, Number.POSITIVE_INFINITY, 0.8, 0.7];
    const steps = losses.map((loss, i) => ({ step: i + 1, epoch: 1, loss, lr: 0.1 }));
    const epochs: EpochRecord[] = [
      {
        epoch: 1,
        loss: Number.NaN,
        valLoss: 0.9,
        accuracy: Number.NaN,
        lr: 0.1,
        seconds: 0,
        examplesPerSecond: Number.POSITIVE_INFINITY,
      },
    ];
    const svg = renderTrainingCurves({ steps, epochs });
    expect(svg).not.toMatch(/NaN|Infinity/);
    const p = panels(svg);
    expect(pathOf(p.loss!, "train-step").map((sub) => sub.length)).toEqual([2, 1, 2]);
    expect(p.loss!.text).not.toContain("train-epoch");
    expect(markersOf(p.loss!, "val-epoch")).toHaveLength(1);
    // The only accuracy was NaN: nothing to draw.
    expect(p.accuracy).toBeUndefined();
  });

  it("says 'no data' for an empty history", () => {
    for (const history of [
      { steps: [], epochs: [] },
      { steps: [{ step: 1, epoch: 1, loss: Number.NaN, lr: 0.1 }], epochs: [] },
    ]) {
      const svg = renderTrainingCurves(history);
      expect(svg.startsWith("<svg ")).toBe(true);
      checkBalanced(svg);
      expect(svg).toContain(">no data</text>");
      expect(Object.keys(panels(svg))).toEqual([]);
    }
  });

  it("honours the size and rejects sizes it cannot lay out", () => {
    const svg = renderTrainingCurves(run(2, 5), { width: 400, height: 300 });
    expect(svg).toContain('width="400" height="300" viewBox="0 0 400 300"');
    for (const area of Object.values(panels(svg)).map((p) => p.area)) {
      expect(area.x + area.width).toBeLessThanOrEqual(400);
      expect(area.y + area.height).toBeLessThanOrEqual(300);
    }
    expect(() =>
      renderTrainingCurves(run(2, 5), { width: Number.NaN }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[NncError: error NNC7003: renderTrainingCurves: width must be a number of pixels of at least 240 (got NaN)]`,
    );
    expect(() =>
      renderTrainingCurves(run(2, 5), { height: 20 }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[NncError: error NNC7003: renderTrainingCurves: height must be a number of pixels of at least 160 (got 20)]`,
    );
  });
});

describe("niceTicks", () => {
  it("picks 1, 2 or 5 × 10ⁿ steps", () => {
    expect(niceTicks(0, 2.3).values).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(niceTicks(91.2, 99.1).values).toEqual([90, 92, 94, 96, 98, 100]);
    expect(niceTicks(0.1, 0.3).values).toEqual([0.1, 0.15, 0.2, 0.25, 0.3]);
    expect(niceTicks(0, 4690, 6, true).values).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(niceTicks(0, 0.00042).step).toBe(0.0001);
    expect(niceTicks(0, 0.00042).decimals).toBe(4);
  });

  it("keeps integer axes at whole numbers and survives an empty range", () => {
    expect(niceTicks(0, 1, 6, true).values).toEqual([0, 1]);
    expect(niceTicks(0, 3, 6, true).values).toEqual([0, 1, 2, 3]);
    const flat = niceTicks(5, 5).values;
    expect(flat[0]).toBeLessThanOrEqual(5);
    expect(flat.at(-1)).toBeGreaterThan(5);
    expect(niceTicks(0, 0).values.at(-1)).toBeGreaterThan(0);
  });

  it("covers any range with a handful of evenly spaced round numbers", () => {
    const random = rng(42);
    for (let i = 0; i < 500; i++) {
      const scale = 10 ** Math.floor(random() * 12 - 6);
      const lo = (random() - 0.3) * scale * 10;
      const hi = lo + random() * scale * 10 + scale * 1e-3;
      const { values } = niceTicks(lo, hi);
      expectNice(values);
      expect(values[0]).toBeLessThanOrEqual(lo);
      expect(values.at(-1)).toBeGreaterThanOrEqual(hi);
      expect(values.length).toBeGreaterThanOrEqual(3);
      expect(values.length).toBeLessThanOrEqual(12);
    }
  });
});

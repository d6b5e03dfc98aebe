/**
 * The playground, tested where readers use it: the built site in headless Chromium. It trains
 * on WebGL (SwiftShader here) until its loss has fallen and the held-out accuracy is shown,
 * classifies digits drawn with the mouse, reports a lost WebGL context and recovers from it, and
 * trains a conv net on the CPU backend when asked to, stopping on request. Screenshots go to
 * ARTIFACTS_DIR. Below, in Node: the drawing preprocessor against MNIST's own digits, and the
 * bundled subset's file format.
 */
import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DIGIT_PIXELS,
  DIGIT_SIDE,
  decodeMnistSubset,
  encodeMnistSubset,
  type MnistSubset,
} from "../.vitepress/theme/playground/mnist-subset.js";
import {
  centreOfMass,
  inkBounds,
  toMnistDigit,
} from "../.vitepress/theme/playground/preprocess.js";
import {
  HOOK_NAME,
  type PlaygroundHook,
  type PlaygroundSnapshot,
} from "../.vitepress/theme/playground/test-hook.js";
import { ARTIFACTS_DIR, launchBrowser, SITE_DIR, type SiteServer, startSite } from "./support.js";

const SUBSET_FILE = join(SITE_DIR, "generated", "mnist-subset.bin");

describe("the playground in headless Chromium", () => {
  let site: SiteServer;
  let browser: Browser;

  beforeAll(async () => {
    site = await startSite();
    browser = await launchBrowser();
    await mkdir(ARTIFACTS_DIR, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it("trains an MLP on WebGL: the loss falls, held-out accuracy is shown, drawn digits are classified", async () => {
    const { page, problems } = await openPlayground(browser, site);
    const ready = await snapshot(page);
    expect(ready.backend).toBe("webgl");
    expect(ready.model).toBe("mlp");
    expect([ready.trainCount, ready.testCount]).toEqual([2000, 500]);
    await expect(page.getByTestId("backend").textContent()).resolves.toContain("webgl");
    // The compiled graph and both memory plans are on the page before any training.
    const boxes = await page.locator('[data-testid="graph-picture"] svg g.node').count();
    expect(boxes).toBeGreaterThan(5);
    await expect(page.getByTestId("memory-report").count()).resolves.toBe(2);

    // 2 epochs of 62 steps: ~6 s on SwiftShader here (2 shared cores).
    await page.getByTestId("epochs").fill("2");
    await page.getByTestId("train").click();
    await waitFor(page, (s) => s.status === "training", 30_000);
    const trained = await waitFor(page, (s) => s.status !== "training", 240_000);
    expect(trained.error).toBeNull();
    expect(trained.status).toBe("ready");
    expect(trained.stepLosses).toHaveLength(124);
    expect(trained.epochs).toHaveLength(2);
    const first = trained.stepLosses[0]!;
    const last10 = mean(trained.stepLosses.slice(-10));
    // Measured: 2.54 → 0.37, the same to 3 digits as the CPU backend.
    expect(first).toBeGreaterThan(2);
    expect(last10).toBeLessThan(0.5 * first);
    // Measured 86.6 % then 89.6 % on the 500 held-out digits.
    const accuracy = trained.epochs.at(-1)!.valAccuracy!;
    expect(accuracy).toBeGreaterThan(0.8);
    await expect(page.getByTestId("accuracy").textContent()).resolves.toContain(
      `${(accuracy * 100).toFixed(1)} %`,
    );
    await expect(page.locator('[data-testid="loss-curve"] path.train-step').count()).resolves.toBe(
      1,
    );
    await page.screenshot({
      path: join(ARTIFACTS_DIR, "playground-webgl-trained.png"),
      fullPage: true,
    });

    // Measured after these 2 epochs: 0 → 95 %, 7 → 98–99 %.
    for (const [digit, strokes] of [
      [0, [ellipse(0.5, 0.5, 0.22, 0.34)]],
      [7, [[...line([0.28, 0.2], [0.72, 0.2]), ...line([0.72, 0.2], [0.42, 0.85])]]],
    ] as const) {
      await page.getByRole("button", { name: "Clear" }).click();
      await waitFor(page, (s) => s.prediction === null, 10_000);
      await draw(page, strokes);
      const { prediction } = await waitFor(page, (s) => s.prediction !== null, 10_000);
      expect(prediction!.probabilities).toHaveLength(10);
      expect(sum(prediction!.probabilities)).toBeCloseTo(1, 4);
      expect(prediction!.digit).toBe(digit);
      expect(Math.max(...prediction!.probabilities)).toBeGreaterThan(0.5);
      await expect(page.getByTestId("prediction").textContent()).resolves.toContain(String(digit));
      const bar = page.locator(`[data-testid="probabilities"] [data-digit="${digit}"]`);
      await expect(bar.getAttribute("class")).resolves.toContain("top");
      await page.screenshot({
        path: join(ARTIFACTS_DIR, `playground-webgl-drew-${digit}.png`),
        fullPage: true,
      });
    }
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows a lost WebGL context to the reader, and Reset compiles again", async () => {
    const { page, problems } = await openPlayground(browser, site);
    const lost = await page.evaluate((name) => {
      const hook = (window as unknown as Record<string, PlaygroundHook>)[name]!;
      return hook.loseWebglContext();
    }, HOOK_NAME);
    expect(lost).toBe(true);
    const failed = await waitFor(page, (s) => s.status === "error", 10_000);
    expect(failed.error).toMatch(/WebGL context was lost/);
    await expect(page.getByTestId("error").textContent()).resolves.toMatch(/context was lost/);
    await expect(page.getByTestId("train").isDisabled()).resolves.toBe(true);
    await page.screenshot({ path: join(ARTIFACTS_DIR, "playground-webgl-context-lost.png") });

    await page.getByTestId("reset").click();
    const again = await waitFor(page, (s) => s.status === "ready", 60_000);
    expect(again.backend).toBe("webgl");
    expect(again.error).toBeNull();
    await expect(page.getByTestId("error").count()).resolves.toBe(0);
    await draw(page, [line([0.5, 0.15], [0.5, 0.85])]);
    const { prediction } = await waitFor(page, (s) => s.prediction !== null, 10_000);
    expect(sum(prediction!.probabilities)).toBeCloseTo(1, 4);
    // Losing a context makes Chrome warn, never error.
    expect(problems).toEqual([]);
    await page.close();
  });

  it("trains the conv net on the CPU backend when asked to, and Stop stops it", async () => {
    const { page, problems } = await openPlayground(browser, site);
    await page.getByTestId("force-cpu").check();
    await page.getByTestId("model").selectOption("convnet");
    const ready = await waitFor(
      page,
      (s) => s.status === "ready" && s.backend === "cpu" && s.model === "convnet",
      60_000,
    );
    expect(ready.backendDetail).toMatch(/forced/);
    await expect(page.getByTestId("backend").textContent()).resolves.toContain("cpu");

    // 3 epochs would take ~5 s; Stop once the first epoch is evaluated.
    await page.getByTestId("epochs").fill("3");
    await page.getByTestId("train").click();
    await waitFor(page, (s) => s.epochs.length >= 1, 120_000);
    await page.getByTestId("stop").click();
    const stopped = await waitFor(page, (s) => s.status === "ready", 30_000);
    expect(stopped.error).toBeNull();
    expect(stopped.statusText).toMatch(/^Stopped after \d+ steps/);
    expect(stopped.stepLosses.length).toBeLessThan(3 * 62);
    expect(mean(stopped.stepLosses.slice(52, 62))).toBeLessThan(0.5 * stopped.stepLosses[0]!);
    // Measured 86.2 % after one epoch.
    expect(stopped.epochs[0]!.valAccuracy).toBeGreaterThan(0.8);

    await draw(page, [ellipse(0.5, 0.5, 0.22, 0.34)]);
    const { prediction } = await waitFor(page, (s) => s.prediction !== null, 10_000);
    expect(sum(prediction!.probabilities)).toBeCloseTo(1, 4);
    expect(prediction!.digit).toBeGreaterThanOrEqual(0);
    expect(prediction!.digit).toBeLessThanOrEqual(9);
    await page.screenshot({
      path: join(ARTIFACTS_DIR, "playground-cpu-convnet.png"),
      fullPage: true,
    });
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe("preparing a drawing like MNIST", () => {
  it("reproduces MNIST's own digits, drawn large and off-centre on a bigger pad", async () => {
    const { test } = await readSubset();
    const [width, height, scale, left, top] = [400, 330, 10, 57, 21];
    let identical = 0;
    for (let n = 0; n < 100; n++) {
      const original = test.image.subarray(n * DIGIT_PIXELS, (n + 1) * DIGIT_PIXELS);
      const ink = new Float32Array(width * height);
      for (let y = 0; y < DIGIT_SIDE * scale; y++) {
        for (let x = 0; x < DIGIT_SIDE * scale; x++) {
          ink[(top + y) * width + left + x] =
            original[Math.floor(y / scale) * DIGIT_SIDE + Math.floor(x / scale)]!;
        }
      }
      const digit = toMnistDigit({ ink, width, height })!;
      const error = Math.max(...digit.map((v, i) => Math.abs(v - original[i]!)));
      if (error < 1e-5) identical++;
      // Off by at most a pixel of rounding in the centring otherwise.
      expect(cosine(digit, original)).toBeGreaterThan(0.95);
    }
    // Measured: 499 of the 500 held-out digits come back exactly.
    expect(identical).toBeGreaterThanOrEqual(98);
  });

  it("scales the ink to a 20-pixel box and centres its mass in the 28×28 field", () => {
    // A slanted bar, drawn small in a corner of the pad.
    const [width, height] = [280, 280];
    const ink = new Float32Array(width * height);
    for (let y = 10; y < 70; y++) {
      for (let x = 20 + Math.floor(y / 4); x < 28 + Math.floor(y / 4); x++) ink[y * width + x] = 1;
    }
    const digit = toMnistDigit({ ink, width, height })!;
    const box = inkBounds({ ink: digit, width: DIGIT_SIDE, height: DIGIT_SIDE })!;
    expect(box.bottom - box.top).toBe(20);
    expect(box.right - box.left).toBeLessThan(20);
    const [cx, cy] = centreOfMass(digit, DIGIT_SIDE, DIGIT_SIDE);
    expect(Math.abs(cx - 14.5)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(cy - 14.5)).toBeLessThanOrEqual(0.5);
    expect(Math.min(...digit)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...digit)).toBeLessThanOrEqual(1);
    // Area averaging leaves grey levels at the edges, as in MNIST.
    expect(digit.some((v) => v > 0.05 && v < 0.95)).toBe(true);
  });

  it("returns nothing for an empty pad", () => {
    expect(toMnistDigit({ ink: new Float32Array(100), width: 10, height: 10 })).toBeUndefined();
  });
});

describe("the bundled MNIST subset", () => {
  it("is built into the site: 2,000 + 500 real digits in under 2 MB", async () => {
    const info = await stat(SUBSET_FILE);
    expect(info.size).toBeLessThan(2 * 1024 * 1024);
    const { train, test } = await readSubset();
    expect([train.count, test.count]).toEqual([2000, 500]);
    // Every class is present in both sets, with MNIST's ink coverage (measured: 19 % of pixels inked).
    for (const set of [train, test]) {
      expect(new Set(set.label).size).toBe(10);
      const inked = set.image.filter((v) => v > 0).length / set.image.length;
      expect(inked).toBeGreaterThan(0.1);
      expect(inked).toBeLessThan(0.3);
    }
  });

  it("round-trips through its file format to 8-bit precision and rejects other files", () => {
    const image = Float32Array.from({ length: 3 * DIGIT_PIXELS }, (_, i) => (i % 97) / 96);
    const subset: MnistSubset = {
      train: { image: image.subarray(0, 2 * DIGIT_PIXELS), label: Int32Array.of(3, 9), count: 2 },
      test: { image: image.subarray(2 * DIGIT_PIXELS), label: Int32Array.of(0), count: 1 },
    };
    const bytes = encodeMnistSubset(subset);
    const back = decodeMnistSubset(bytes.slice().buffer);
    expect(Array.from(back.train.label)).toEqual([3, 9]);
    expect(Array.from(back.test.label)).toEqual([0]);
    const all = [...back.train.image, ...back.test.image];
    expect(Math.max(...all.map((v, i) => Math.abs(v - image[i]!)))).toBeLessThanOrEqual(
      0.5 / 255 + 1e-6,
    );
    expect(() => decodeMnistSubset(new TextEncoder().encode("<!doctype html>").buffer)).toThrow(
      /not an "NNCD" file/,
    );
    expect(() => decodeMnistSubset(bytes.slice(0, bytes.length - 1).buffer)).toThrow(/header says/);
  });
});

/** A playground page that is compiled and idle, and the console errors and page errors it logs. */
async function openPlayground(
  browser: Browser,
  site: SiteServer,
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") {
      problems.push(`console: ${message.text()} (${message.location().url})`);
    }
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  await page.goto(`${site.url}/playground`);
  try {
    await waitFor(page, (s) => s.status === "ready", 120_000);
  } catch (error) {
    throw new Error(`${(error as Error).message}; console: ${JSON.stringify(problems)}`);
  }
  return { page, problems };
}

async function snapshot(page: Page): Promise<PlaygroundSnapshot> {
  return page.evaluate((name) => {
    const hook = (window as unknown as Record<string, PlaygroundHook | undefined>)[name];
    return hook ? hook.snapshot() : undefined;
  }, HOOK_NAME) as Promise<PlaygroundSnapshot>;
}

/** Polls the page's state until `done` holds (failing with the last state after `timeout` ms). */
async function waitFor(
  page: Page,
  done: (s: PlaygroundSnapshot) => boolean,
  timeout: number,
): Promise<PlaygroundSnapshot> {
  const deadline = Date.now() + timeout;
  let last: PlaygroundSnapshot | undefined;
  for (;;) {
    last = await snapshot(page);
    if (last && done(last)) return last;
    if (last?.status === "error" && !done(last)) {
      throw new Error(`the playground shows an error: ${last.error}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeout} ms; last state: ${JSON.stringify({ ...last, stepLosses: last?.stepLosses.length })}`,
      );
    }
    await page.waitForTimeout(200);
  }
}

type Point = readonly [number, number];

/** Draws strokes on the pad with the mouse; points are fractions of the pad's size. */
async function draw(page: Page, strokes: readonly (readonly Point[])[]): Promise<void> {
  const box = (await page.getByTestId("draw-pad").boundingBox())!;
  const at = ([x, y]: Point) => [box.x + x * box.width, box.y + y * box.height] as const;
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]!));
    await page.mouse.down();
    for (const point of stroke.slice(1)) await page.mouse.move(...at(point), { steps: 2 });
    await page.mouse.up();
  }
}

function line(from: Point, to: Point, segments = 12): Point[] {
  return Array.from({ length: segments + 1 }, (_, i) => {
    const t = i / segments;
    return [from[0] + (to[0] - from[0]) * t, from[1] + (to[1] - from[1]) * t] as const;
  });
}

function ellipse(cx: number, cy: number, rx: number, ry: number, segments = 36): Point[] {
  return Array.from({ length: segments + 1 }, (_, i) => {
    const angle = (2 * Math.PI * i) / segments;
    return [cx + rx * Math.sin(angle), cy - ry * Math.cos(angle)] as const;
  });
}

async function readSubset(): Promise<MnistSubset> {
  const bytes = await readFile(SUBSET_FILE);
  return decodeMnistSubset(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function mean(values: readonly number[]): number {
  return sum(values) / values.length;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! ** 2;
    bb += b[i]! ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

import { describe, expect, it, vi } from "vitest";
import type { EpochRecord } from "./history.js";
import {
  createProgressReporter,
  formatEpochLine,
  formatEta,
  formatProgressLine,
  type ProgressReporter,
  type ProgressSnapshot,
  type ProgressStream,
} from "./progress.js";

/** A stream that records writes, with a terminal width and TTY flag of the test's choosing. */
function fakeStream(isTTY: boolean, columns?: number): ProgressStream & { text: string } {
  return {
    text: "",
    isTTY,
    columns,
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

/** A clock the test advances by hand, in milliseconds. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const snapshot: ProgressSnapshot = {
  epoch: 3,
  epochs: 10,
  step: 120,
  stepsPerEpoch: 469,
  loss: 0.123449,
  accuracy: 0.9612,
  examplesPerSecond: 4210.4,
  etaSeconds: 83.2,
  lr: 0.001,
};

const record: EpochRecord = {
  epoch: 3,
  loss: 0.12344,
  accuracy: 0.9612,
  valLoss: 0.0987,
  valAccuracy: 0.97345,
  lr: 0.001,
  seconds: 12.34,
  examplesPerSecond: 4210.4,
};

/** Whether `text` holds a character that moves the cursor or starts an escape sequence. */
function hasControl(text: string): boolean {
  return text.includes("\r") || text.includes("\x1b");
}

describe("formatEpochLine", () => {
  it("prints every recorded field in a fixed, locale-free format", () => {
    expect(formatEpochLine(record, 10)).toBe(
      "epoch 3/10  loss 0.1234  acc 96.1%  val_loss 0.0987  val_acc 97.3%  lr 1.0e-3  12.3 s  4,210 ex/s",
    );
  });

  it("omits the fields that were not recorded", () => {
    const plain: EpochRecord = {
      epoch: 1,
      loss: Math.log(10), // cross-entropy of a uniform guess over 10 classes
      lr: 0.01,
      seconds: 0.5,
      examplesPerSecond: 128,
    };
    expect(formatEpochLine(plain, 1)).toBe("epoch 1/1  loss 2.303  lr 1.0e-2  0.5 s  128 ex/s");
  });

  it("groups thousands itself and rounds to whole examples", () => {
    const fast = { ...record, examplesPerSecond: 1_234_567.5 };
    expect(formatEpochLine(fast, 10)).toMatch(/ 1,234,568 ex\/s$/);
    expect(formatEpochLine({ ...record, examplesPerSecond: 999.4 }, 10)).toMatch(/ 999 ex\/s$/);
    expect(formatEpochLine({ ...record, examplesPerSecond: 2.25 }, 10)).toMatch(/ 2\.3 ex\/s$/);
  });

  it("shows non-finite numbers legibly and leaves out throughput of a zero-length epoch", () => {
    const broken: EpochRecord = {
      epoch: 2,
      loss: Number.NaN,
      valLoss: Number.POSITIVE_INFINITY,
      accuracy: Number.NaN,
      lr: 0.1,
      seconds: 0,
      examplesPerSecond: Number.POSITIVE_INFINITY,
    };
    expect(formatEpochLine(broken, 5)).toBe(
      "epoch 2/5  loss NaN  acc NaN  val_loss Inf  lr 1.0e-1  0.0 s",
    );
    expect(formatEpochLine({ ...record, loss: Number.NEGATIVE_INFINITY }, 10)).toContain(
      "loss -Inf ",
    );
  });

  it("keeps four significant digits without trailing zeros", () => {
    const line = (loss: number) => formatEpochLine({ ...record, loss }, 10).split("  ")[1];
    expect(line(2.5)).toBe("loss 2.5");
    expect(line(1)).toBe("loss 1");
    expect(line(123.456)).toBe("loss 123.5");
    expect(line(0.000012346)).toBe("loss 0.00001235");
    expect(line(1234567)).toBe("loss 1.235e+6");
    expect(line(3e-9)).toBe("loss 3e-9");
  });
});

describe("formatEta", () => {
  it("prints m:ss below an hour and h:mm:ss from an hour on", () => {
    expect(formatEta(0)).toBe("0:00");
    expect(formatEta(59.4)).toBe("0:59");
    expect(formatEta(59.6)).toBe("1:00");
    expect(formatEta(83)).toBe("1:23");
    expect(formatEta(3599)).toBe("59:59");
    expect(formatEta(3600)).toBe("1:00:00");
    expect(formatEta(3661)).toBe("1:01:01");
    expect(formatEta(30 * 3600 + 5)).toBe("30:00:05");
  });

  it("clamps negative times and marks unknown ones", () => {
    expect(formatEta(-3)).toBe("0:00");
    expect(formatEta(Number.NaN)).toBe("—");
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe("—");
  });
});

describe("formatProgressLine", () => {
  it("shows everything, with a bar, when the line is wide", () => {
    const line = formatProgressLine(snapshot, 200);
    for (const part of [
      "epoch 3/10",
      "120/469",
      "loss 0.1234",
      "acc 96.1%",
      "4,210 ex/s",
      "lr 1.0e-3",
      "ETA 1:23",
    ]) {
      expect(line).toContain(part);
    }
    const bar = /\|([█▏▎▍▌▋▊▉ ]+)\|/.exec(line);
    expect(bar).not.toBeNull();
    // 120/469 of the bar is filled: count full blocks against the bar's length.
    const cells = Array.from(bar![1]!);
    const full = cells.filter((c) => c === "█").length;
    expect(full).toBe(Math.floor((120 / 469) * cells.length));
  });

  it("never exceeds the width, dropping the learning rate, then the bar, then fields", () => {
    for (const width of [200, 120, 80, 60, 40, 30, 20, 12, 5, 1]) {
      const line = formatProgressLine(snapshot, width);
      expect(Array.from(line).length, `width ${width}`).toBeLessThanOrEqual(width);
      expect(line).not.toContain("\n");
    }
    // At 80 columns the bar stays and the learning rate (which changes slowly) goes.
    const at80 = formatProgressLine(snapshot, 80);
    expect(at80).toMatch(
      /^epoch 3\/10 {2}\|[█▏▎▍▌▋▊▉ ]+\| {2}120\/469 {2}loss 0\.1234 {2}acc 96\.1%/,
    );
    expect(at80).not.toContain("lr ");
    // At 60 the bar goes too, and every other field stays.
    const at60 = formatProgressLine(snapshot, 60);
    expect(at60).not.toContain("|");
    expect(at60).toContain("ETA 1:23");
    // At 40 columns the lowest-priority fields go, the epoch and loss stay.
    const at40 = formatProgressLine(snapshot, 40);
    expect(at40).toContain("epoch 3/10");
    expect(at40).toContain("loss 0.1234");
    expect(at40).not.toContain("lr ");
    expect(formatProgressLine(snapshot, 0)).toBe("");
  });

  it("fills the bar completely on the last step and survives odd inputs", () => {
    const last = formatProgressLine({ ...snapshot, step: 469 }, 200);
    expect(last).toMatch(/\|█+\|/);
    const odd: ProgressSnapshot = {
      ...snapshot,
      step: 0,
      stepsPerEpoch: 0,
      loss: Number.NaN,
      examplesPerSecond: Number.POSITIVE_INFINITY,
      etaSeconds: Number.NaN,
    };
    const line = formatProgressLine(odd, 200);
    expect(line).toContain("loss NaN");
    expect(line).not.toMatch(/Infinity|ex\/s|ETA/);
    expect(line).toMatch(/\| +\|/);
  });
});

describe("createProgressReporter: bar", () => {
  function run(columns: number | undefined) {
    const stream = fakeStream(true, columns);
    const clock = fakeClock();
    const reporter = createProgressReporter("auto", stream, clock.now);
    for (let step = 1; step <= 469; step++) {
      reporter.update({ ...snapshot, step });
      clock.advance(10);
    }
    reporter.epochEnd(record, 10);
    reporter.done();
    return stream.text;
  }

  it("redraws one line in place and replaces it with the epoch line", () => {
    const text = run(80);
    const lines = text.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe("");
    const frames = lines[0]!.split("\r").filter((f) => f !== "");
    expect(frames.at(-1)).toBe(`${formatEpochLine(record, 10)}\x1b[K`);
    for (const frame of frames.slice(0, -1)) expect(frame.endsWith("\x1b[K")).toBe(true);
  });

  it("keeps every frame within the terminal width", () => {
    for (const columns of [40, 80, 200]) {
      const frames = run(columns)
        .split(/[\r\n]/)
        .filter((f) => f.startsWith("epoch") && !f.includes("val_loss"));
      expect(frames.length).toBeGreaterThan(1);
      for (const frame of frames) {
        expect(Array.from(frame.replace("\x1b[K", "")).length).toBeLessThan(columns);
      }
    }
    // With no width given the stream is taken as 80 columns wide: a bar, no learning rate.
    const frames = run(undefined)
      .split("\r")
      .filter((f) => !f.includes("val_loss"));
    expect(frames.some((f) => f.includes("|") && !f.includes("lr 1.0e-3"))).toBe(true);
    for (const frame of frames) {
      expect(Array.from(frame.replace("\x1b[K", "")).length).toBeLessThan(80);
    }
  });

  it("draws at most ten times a second, always including the last step", () => {
    // 469 steps at 10 ms each take 4.69 s: one frame per 100 ms plus the last step.
    const frames = run(200)
      .split("\r")
      .filter((f) => f.startsWith("epoch") && !f.includes("val_loss"));
    expect(frames.length).toBe(48);
    expect(frames.at(-1)).toContain("469/469");
    expect(frames[0]).toContain(" 1/469");
  });

  it("prints a note on its own line and puts the bar back", () => {
    const stream = fakeStream(true, 100);
    const reporter = createProgressReporter("bar", stream, fakeClock().now);
    reporter.update({ ...snapshot, step: 5 });
    reporter.note("early stopping:\x1b[31m val_loss\r has not improved");
    const [noteLine, redrawn] = stream.text.split("\n");
    expect(noteLine!.endsWith("\rearly stopping: [31m val_loss  has not improved\x1b[K")).toBe(
      true,
    );
    expect(redrawn).toBe(`${formatProgressLine({ ...snapshot, step: 5 }, 99)}\x1b[K`);
    reporter.done();
    expect(stream.text.endsWith("\n")).toBe(true);
  });
});

describe("createProgressReporter: lines", () => {
  it("writes one plain line per epoch for short epochs", () => {
    const stream = fakeStream(false, 80);
    const clock = fakeClock();
    const reporter = createProgressReporter("auto", stream, clock.now);
    for (let epoch = 1; epoch <= 2; epoch++) {
      for (let step = 1; step <= 469; step++) {
        reporter.update({ ...snapshot, epoch, step });
        clock.advance(10);
      }
      reporter.epochEnd({ ...record, epoch }, 10);
    }
    reporter.note("restored the best weights");
    reporter.done();
    expect(hasControl(stream.text)).toBe(false);
    expect(stream.text.split("\n")).toEqual([
      formatEpochLine({ ...record, epoch: 1 }, 10),
      formatEpochLine({ ...record, epoch: 2 }, 10),
      "restored the best weights",
      "",
    ]);
  });

  it("adds a progress line every tenth of a long epoch", () => {
    const stream = fakeStream(false);
    const clock = fakeClock();
    const reporter = createProgressReporter("lines", stream, clock.now);
    // 200 steps of 100 ms: a 20 s epoch.
    for (let step = 1; step <= 200; step++) {
      reporter.update({ ...snapshot, step, stepsPerEpoch: 200 });
      clock.advance(100);
    }
    reporter.epochEnd(record, 10);
    expect(hasControl(stream.text)).toBe(false);
    const lines = stream.text.trimEnd().split("\n");
    expect(lines.slice(0, -1).map((l) => l.split("  ")[1])).toEqual([
      "20/200",
      "40/200",
      "60/200",
      "80/200",
      "100/200",
      "120/200",
      "140/200",
      "160/200",
      "180/200",
    ]);
    expect(lines.at(-1)).toBe(formatEpochLine(record, 10));
  });

  it("times a resumed epoch from its first report, not from step 1", () => {
    const stream = fakeStream(false);
    const clock = fakeClock();
    const reporter = createProgressReporter("lines", stream, clock.now);
    for (let step = 101; step <= 200; step++) {
      reporter.update({ ...snapshot, step, stepsPerEpoch: 200 });
      clock.advance(100);
    }
    const shown = stream.text
      .trimEnd()
      .split("\n")
      .map((l) => l.split("  ")[1]);
    expect(shown).toEqual(["120/200", "140/200", "160/200", "180/200"]);
  });

  it("even on a terminal when asked for lines", () => {
    const stream = fakeStream(true, 80);
    const reporter = createProgressReporter("lines", stream, fakeClock().now);
    reporter.update({ ...snapshot, step: 469 });
    reporter.epochEnd(record, 10);
    expect(stream.text).toBe(`${formatEpochLine(record, 10)}\n`);
  });
});

describe("createProgressReporter: silence", () => {
  it("writes nothing in mode none", () => {
    const stream = fakeStream(true, 80);
    const reporter = createProgressReporter("none", stream, fakeClock().now);
    reporter.update({ ...snapshot, step: 469 });
    reporter.epochEnd(record, 10);
    reporter.note("hello");
    reporter.done();
    expect(stream.text).toBe("");
  });

  it("is silent where there is no process.stderr, as in a browser", () => {
    vi.stubGlobal("process", undefined);
    let reporter: ProgressReporter;
    try {
      reporter = createProgressReporter("bar");
    } finally {
      vi.unstubAllGlobals();
    }
    const writes = vi.spyOn(process.stderr, "write");
    reporter.update({ ...snapshot, step: 469 });
    reporter.epochEnd(record, 10);
    reporter.note("hello");
    reporter.done();
    expect(writes).not.toHaveBeenCalled();
    writes.mockRestore();
  });

  it("writes to process.stderr by default", () => {
    const writes = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      createProgressReporter("lines").note("hello");
      expect(writes).toHaveBeenCalledWith("hello\n");
    } finally {
      writes.mockRestore();
    }
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpu } from "@nnc/backend-cpu";
import { adam, sgd } from "@nnc/compiler";
import { evaluate, GraphBuilder, isNncError, type NncError } from "@nnc/core";
import { afterAll, describe, expect, it } from "vitest";
import { argmax } from "./metrics.js";
import { cosineLr, stepLr } from "./schedules.js";
import { blobs, mlp, recordingStream } from "./test-support.js";
import { Trainer, type TrainerOptions } from "./trainer.js";

const dir = mkdtempSync(join(tmpdir(), "nnc-train-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const train = blobs(200, 1);
const heldOut = blobs(50, 2);
const base: TrainerOptions = {
  model: mlp,
  backend: cpu(),
  loss: "loss",
  optimizer: adam({ lr: 0.05 }),
  batchSize: 16,
  accuracy: { output: "logits", labels: "y" },
};

describe("Trainer.fit", () => {
  it("learns the blobs: the loss falls and held-out accuracy passes 95 %", async () => {
    const trainer = await Trainer.create(base);
    const result = await trainer.fit(train, {
      epochs: 4,
      validation: heldOut,
      progress: "none",
    });
    const { epochs, steps } = result.history;
    expect(result.stopReason).toBe("epochs");
    // 200 examples in batches of 16: 12 full batches per epoch, the last 8 examples left out.
    expect(steps).toHaveLength(48);
    expect(steps.map((s) => s.step)).toEqual(Array.from({ length: 48 }, (_, i) => i + 1));
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(epochs[3]!.loss).toBeLessThan(epochs[0]!.loss / 2);
    expect(epochs[3]!.valAccuracy).toBeGreaterThan(0.95);
    // The epoch's loss is the mean of its steps' losses.
    const epoch2 = steps.filter((s) => s.epoch === 2).map((s) => s.loss);
    expect(epochs[1]!.loss).toBeCloseTo(epoch2.reduce((a, b) => a + b) / epoch2.length, 12);
  });

  it("sets the schedule's learning rate before every step", async () => {
    const trainer = await Trainer.create(base);
    const schedule = stepLr({ lr: 0.1, gamma: 0.5, everyEpochs: 1 });
    const { history } = await trainer.fit(train, { epochs: 3, schedule, progress: "none" });
    expect(history.steps.filter((s) => s.epoch === 1).every((s) => s.lr === 0.1)).toBe(true);
    expect(history.steps.filter((s) => s.epoch === 3).every((s) => s.lr === 0.025)).toBe(true);
    expect(trainer.executable.getParams()["opt/lr"]![0]).toBe(Math.fround(0.025));
  });

  it("resumes from a checkpoint file with exactly the loss curve of an uninterrupted run", async () => {
    const options = {
      epochs: 3,
      seed: 7,
      validation: heldOut,
      schedule: cosineLr({ lr: 0.05, warmupSteps: 5 }),
      progress: "none",
    } as const;
    const uninterrupted = await Trainer.create(base);
    await uninterrupted.fit(train, options);

    // A run that dies after step 17, in the middle of epoch 2, right after a checkpoint.
    const path = join(dir, "resume", "run.safetensors");
    const crashed = await Trainer.create(base);
    const partial = await crashed.fit(train, {
      ...options,
      maxSteps: 17,
      checkpoint: { path, everySteps: 17 },
    });
    expect(partial.stopReason).toBe("max-steps");
    expect(partial.history.steps).toHaveLength(17);

    const resumed = await Trainer.create(base);
    const result = await resumed.fit(train, { ...options, resumeFrom: path });
    expect(result.steps).toBe(36 - 17);
    expect(resumed.history.steps).toEqual(uninterrupted.history.steps);
    const strip = (e: { seconds: number; examplesPerSecond: number }) => ({
      ...e,
      seconds: 0,
      examplesPerSecond: 0,
    });
    expect(resumed.history.epochs.map(strip)).toEqual(uninterrupted.history.epochs.map(strip));
    expect(resumed.executable.getParams()).toEqual(uninterrupted.executable.getParams());
  });

  it("refuses to resume with another seed or batch size", async () => {
    const trainer = await Trainer.create(base);
    await trainer.fit(train, { epochs: 1, seed: 1, progress: "none", maxSteps: 3 });
    const checkpoint = trainer.checkpoint();
    const other = await Trainer.create(base);
    await expect(
      other.fit(train, { epochs: 1, seed: 2, progress: "none", resumeFrom: checkpoint }),
    ).rejects.toThrowError(/NNC5003: fit: the checkpoint was taken in a run with .*"seed":1/);
    const wider = await Trainer.create({ ...base, model: mlp, batchSize: 8 });
    expect(() => wider.restore(checkpoint)).not.toThrow();
    await expect(wider.fit(train, { epochs: 1, seed: 1, progress: "none" })).rejects.toThrowError(
      /"batchSize":16/,
    );
  });

  it("evaluates every example once, the remainder in its own batch, like the float64 reference", async () => {
    const trainer = await Trainer.create(base);
    await trainer.fit(train, { epochs: 1, progress: "none" });
    // 50 examples: three batches of 16 and a remainder of 2.
    const result = await trainer.evaluate(heldOut);
    const reference = evaluate(mlp({ batch: 50 }), { ...heldOut, ...trainer.modelParams() });
    expect(result.count).toBe(50);
    expect(result.loss).toBeCloseTo(reference.loss![0]!, 5);
    let correct = 0;
    for (let i = 0; i < 50; i++)
      if (argmax(reference.logits!, i * 3, 3) === heldOut.y[i]) correct++;
    expect(result.accuracy).toBe(correct / 50);
  });

  it("stops early when the held-out loss stops improving and restores the best epoch", async () => {
    const trainer = await Trainer.create(base);
    // Two good epochs, then a rate far too large: the held-out loss gets worse.
    const schedule = {
      name: "good-then-bad",
      lr: ({ epoch }: { epoch: number }) => (epoch <= 2 ? 0.05 : 3),
    };
    const stream = recordingStream();
    const result = await trainer.fit(train, {
      epochs: 10,
      validation: heldOut,
      schedule,
      earlyStopping: { patience: 2 },
      progress: "lines",
      progressStream: stream,
    });
    expect(result.stopReason).toBe("early-stopping");
    const losses = result.history.epochs.map((e) => e.valLoss!);
    const best = losses.indexOf(Math.min(...losses)) + 1;
    expect(result.bestEpoch).toBe(best);
    expect(result.history.epochs).toHaveLength(best + 2);
    expect((await trainer.evaluate(heldOut)).loss).toBe(losses[best - 1]);
    expect(stream.text()).toMatch(/early stopping: val_loss has not improved for 2 epochs/);
    // A finished run stays finished: fitting again does nothing.
    const again = await trainer.fit(train, {
      epochs: 10,
      validation: heldOut,
      schedule,
      progress: "none",
    });
    expect(again.steps).toBe(0);
  });

  it("stops at an abort signal, resumably", async () => {
    const trainer = await Trainer.create(base);
    const controller = new AbortController();
    const result = await trainer.fit(train, {
      epochs: 2,
      progress: "none",
      onStep: (s) => {
        if (s.step === 5) controller.abort();
      },
      signal: controller.signal,
    });
    expect(result.stopReason).toBe("aborted");
    expect(trainer.step).toBe(5);
    const rest = await trainer.fit(train, { epochs: 2, progress: "none" });
    expect(rest.steps).toBe(24 - 5);
  });

  it("prints one line per epoch when not on a terminal", async () => {
    const trainer = await Trainer.create(base);
    const stream = recordingStream(false);
    await trainer.fit(train, { epochs: 2, validation: heldOut, progressStream: stream });
    const lines = stream.text().trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(
      /^epoch 2\/2 {2}loss \d\.\d+ {2}acc \d+\.\d% {2}val_loss \d\.\d+ {2}val_acc \d+\.\d%/,
    );
    expect(stream.text()).not.toContain("\r");
    expect(stream.text()).not.toContain("\u001b");
  });

  it("rejects data and options that do not fit the model", async () => {
    const trainer = await Trainer.create(base);
    await expect(trainer.fit({ x: train.x }, { epochs: 1 })).rejects.toThrowError(
      /NNC7002: fit: training data: no data for input "y" \(int32\[16\]\)/,
    );
    await expect(
      trainer.fit({ x: train.x, y: train.y.subarray(0, 100) }, { epochs: 1 }),
    ).rejects.toThrowError(/"y" holds 100 examples but "x" holds 200/);
    await expect(
      trainer.fit({ x: train.x.subarray(0, 7), y: train.y }, { epochs: 1 }),
    ).rejects.toThrowError(/"x" holds 7 values, not a whole number of examples of 4/);
    await expect(
      trainer.fit({ x: train.x, y: Float32Array.from(train.y, (v) => v + 0.5) }, { epochs: 1 }),
    ).rejects.toThrowError(/input "y" is int32 but value 0 is/);
    await expect(
      trainer.fit({ x: train.x.subarray(0, 40), y: train.y.subarray(0, 10) }, { epochs: 1 }),
    ).rejects.toThrowError(/holds 10 examples, fewer than one batch of 16/);
    await expect(trainer.fit(train, { epochs: 0 })).rejects.toThrowError(
      /NNC7003: fit: epochs must be a positive integer, got 0/,
    );
    await expect(
      trainer.fit(train, { epochs: 1, earlyStopping: { patience: 1, monitor: "val_loss" } }),
    ).rejects.toThrowError(/monitoring val_loss needs validation data/);
    await expect(Trainer.create({ ...base, batchSize: undefined })).rejects.toThrowError(
      /a model builder needs batchSize/,
    );
    await expect(
      Trainer.create({ ...base, accuracy: { output: "probs", labels: "y" } }),
    ).rejects.toThrowError(/accuracy.output "probs" is not an output of "blobs-mlp"/);
  });

  it("refuses a checkpoint of another model", async () => {
    const trainer = await Trainer.create(base);
    const checkpoint = trainer.checkpoint();
    const tensors = new Map(checkpoint.tensors);
    tensors.delete("fc1.weight");
    expect(() => trainer.restore({ ...checkpoint, tensors }, "other.safetensors")).toThrowError(
      /NNC5003: other.safetensors: no value for parameter "fc1.weight"/,
    );
    tensors.set("fc1.weight", { shape: [3, 16], data: new Float32Array(48) });
    expect(() => trainer.restore({ ...checkpoint, tensors })).toThrowError(
      /"fc1.weight" has shape \[3,16\] but the model's is \[4,16\]/,
    );
  });
});

/** y ≈ log(x·w): finite while x·w > 0. */
function logModel({ batch }: { readonly batch: number }) {
  const g = new GraphBuilder("log-model");
  const x = g.input("x", [batch, 2]);
  const t = g.input("t", [batch, 1]);
  const w = g.param("w", [2, 1], { init: [0.5, 0.5] });
  const feature = g.log(g.matmul(x, w));
  g.output("loss", g.mse(feature, t));
  return g.build();
}

/** 16 examples with x > 0, except example 9, which makes x·w negative: batch 3 of 4. */
function logData() {
  const x = new Float32Array(32);
  const t = new Float32Array(16);
  for (let i = 0; i < 16; i++) {
    x[2 * i] = 1 + (i % 3) * 0.25;
    x[2 * i + 1] = 1 + (i % 5) * 0.125;
    t[i] = 0.5;
  }
  x[18] = -4;
  return { x, t };
}

async function nonFiniteError(promise: Promise<unknown>): Promise<NncError> {
  try {
    await promise;
  } catch (error) {
    if (isNncError(error)) return error as NncError;
    throw error;
  }
  throw new Error("expected training to stop with an NncError");
}

describe("non-finite values", () => {
  const options = { model: logModel, backend: cpu(), loss: "loss", batchSize: 4 } as const;
  const logNode = logModel({ batch: 4 }).nodes.find((n) => n.op === "log")!;

  it("stop training at the step, naming the first non-finite node and its source line", async () => {
    const trainer = await Trainer.create({ ...options, optimizer: sgd({ lr: 0.01 }) });
    const before = trainer.executable.getParams();
    const error = await nonFiniteError(
      trainer.fit(logData(), { epochs: 1, shuffle: false, progress: "none" }),
    );
    expect(error.code).toBe("NNC7001");
    expect(error.summary).toMatch(
      /^step 3 \(epoch 1, batch 3 of 4\): the loss is NaN; the first non-finite value is node "log" \(log → float32\[4,1\]: 1 NaN of 4\)/,
    );
    expect(error.node).toBe(logNode.name);
    expect(error.location).toEqual(logNode.loc);
    expect(error.location?.file).toMatch(/trainer\.test\.ts$/);
    // The parameters are those before the failing step: two good steps moved them.
    const w = trainer.executable.getParams().w!;
    expect(Array.from(w).every(Number.isFinite)).toBe(true);
    expect(w).not.toEqual(before.w);
    expect(trainer.step).toBe(2);
  });

  it("debug mode checks every value and stops where an Inf appears although the loss is finite", async () => {
    // exp(x·w) overflows float32 for the large example, 1/exp(…) is then 0: the loss stays
    // finite, but the gradient, −exp(…)·(1/exp(…))², is NaN and poisons w.
    const model = ({ batch }: { readonly batch: number }) => {
      const g = new GraphBuilder("exp-model");
      const x = g.input("x", [batch, 2]);
      const t = g.input("t", [batch, 1]);
      const w = g.param("w", [2, 1], { init: [0.5, 0.5] });
      const decay = g.reciprocal(g.exp(g.matmul(x, w)));
      g.output("loss", g.mse(decay, t));
      return g.build();
    };
    const data = logData();
    data.x[18] = 400;
    const expNode = model({ batch: 4 }).nodes.find((n) => n.op === "exp")!;

    // Without debug, the loss of step 3 is finite; step 4 starts from a NaN parameter.
    const plain = await Trainer.create({ ...options, model, optimizer: sgd({ lr: 0.01 }) });
    const late = await nonFiniteError(
      plain.fit(data, { epochs: 1, shuffle: false, progress: "none" }),
    );
    expect(late.summary).toMatch(/^step 4 .*the first non-finite value is parameter "w"/);

    const debug = await Trainer.create({ ...options, model, optimizer: sgd({ lr: 0.01 }) });
    const early = await nonFiniteError(
      debug.fit(data, { epochs: 1, shuffle: false, progress: "none", debug: true }),
    );
    expect(early.summary).toMatch(
      /^step 3 \(epoch 1, batch 3 of 4\): a value is not finite; the first non-finite value is node "exp" \(exp → float32\[4,1\]: 1 ±Inf of 4\)/,
    );
    expect(early.location).toEqual(expNode.loc);
  });
});

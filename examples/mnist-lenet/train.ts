/**
 * The full MNIST run of issue 8: LeNet-5 on 8,000 real digits of the `mnist` package, 2,000
 * held out, on nnc's CPU backend. Prints the time to 97 % held-out accuracy, writes the
 * loss/accuracy curves as an SVG and a checkpoint after every epoch.
 *
 *   pnpm --filter @nnc/examples mnist [--epochs 6] [--batch 32] [--lr 2e-3] [--out dir] [--resume]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { renderTrainingCurves } from "@nnc/train";
import { loadMnist } from "./data.js";
import { trainLeNet } from "./train-lenet.js";

const TARGET = 0.97;

const { values: args } = parseArgs({
  options: {
    epochs: { type: "string", default: "6" },
    batch: { type: "string", default: "32" },
    lr: { type: "string", default: "2e-3" },
    out: { type: "string", default: join(import.meta.dirname, "out") },
    resume: { type: "boolean", default: false },
    quiet: { type: "boolean", default: false },
  },
});
const epochs = positiveInteger("epochs", args.epochs);
const batch = positiveInteger("batch", args.batch);
const lr = Number(args.lr);
if (!(lr > 0)) fail(`--lr must be a positive number, got ${args.lr}`);

const { train, test } = loadMnist({ train: 8000, test: 2000 });
console.log(`MNIST: ${train.count} training digits, ${test.count} held out (mnist npm package)`);
mkdirSync(args.out, { recursive: true });
const started = performance.now();
let reached: { epoch: number; seconds: number; accuracy: number } | undefined;
const { trainer, result, compileSeconds } = await trainLeNet({
  train,
  test,
  epochs,
  batch,
  lr,
  progress: args.quiet ? "none" : "auto",
  checkpoint: join(args.out, "lenet.checkpoint.safetensors"),
  resume: args.resume,
  onEpochEnd: (record) => {
    if (!reached && (record.valAccuracy ?? 0) >= TARGET) {
      reached = {
        epoch: record.epoch,
        seconds: (performance.now() - started) / 1000,
        accuracy: record.valAccuracy!,
      };
    }
  },
});
const final = result.history.epochs.at(-1)!;
const curves = join(args.out, "curves.svg");
writeFileSync(
  curves,
  renderTrainingCurves(result.history, { title: "LeNet-5 on MNIST (nnc, CPU)" }),
);

console.log(
  `compile: ${compileSeconds.toFixed(2)} s; training: ${result.steps} steps in ${result.seconds.toFixed(1)} s`,
);
console.log(
  `held-out accuracy: ${pct(final.valAccuracy!)} after ${final.epoch} epochs (loss ${final.valLoss!.toFixed(4)})`,
);
console.log(
  reached
    ? `time to ${pct(TARGET)}: ${reached.seconds.toFixed(1)} s (epoch ${reached.epoch}, ${pct(reached.accuracy)}), including compilation of the evaluation step`
    : `${pct(TARGET)} not reached`,
);
console.log(
  `curves: ${relative(process.cwd(), curves)}; checkpoint: ${relative(process.cwd(), join(args.out, "lenet.checkpoint.safetensors"))}`,
);
console.log(
  `parameters: ${Object.values(trainer.modelParams()).reduce((n, p) => n + p.length, 0)}`,
);
if ((final.valAccuracy ?? 0) < TARGET) process.exitCode = 1;

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

function positiveInteger(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got ${text}`);
  return n;
}

function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(2);
}

/**
 * Figures of the guide "Training on MNIST", made when the site is built:
 *
 * - a short run of examples/mnist-lenet's own `trainLeNet` (LeNet-5, @nnc/train, the CPU
 *   backend) on 4,000 real digits with 1,000 held out, two epochs: its per-epoch table
 *   (generated/mnist-guide/run.md) and its curves (/generated/mnist-guide/curves.svg);
 * - the full run's figures quoted from bench/README.md (generated/mnist-guide/bench.md), so the
 *   guide shows the measured numbers without a copy that could go stale.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { renderTrainingCurves } from "@nnc/train";
import { loadMnist } from "../../../examples/mnist-lenet/data.js";
import { trainLeNet } from "../../../examples/mnist-lenet/train-lenet.js";
import { markdownSection } from "./markdown-section.js";

const app = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(app, "../..");

/** Fragments the guide includes. */
export const MNIST_GUIDE_DIR = join(app, "generated", "mnist-guide");
/** The curves picture, served at /generated/mnist-guide/curves.svg. */
export const MNIST_GUIDE_PUBLIC_DIR = join(app, "src", "public", "generated", "mnist-guide");

/** The short run: small enough for every site build (a few seconds on one core). */
const RUN = { train: 4000, test: 1000, epochs: 2 } as const;

/** The bench/README.md section with the full run's figures. */
const BENCH_HEADING = "### Training on real data (issue 8)";

/** Trains, then writes the fragments and the picture. */
export default async function generateMnistGuide(): Promise<void> {
  await rm(MNIST_GUIDE_DIR, { recursive: true, force: true });
  await rm(MNIST_GUIDE_PUBLIC_DIR, { recursive: true, force: true });
  await mkdir(MNIST_GUIDE_DIR, { recursive: true });
  await mkdir(MNIST_GUIDE_PUBLIC_DIR, { recursive: true });

  const { train, test } = loadMnist({ train: RUN.train, test: RUN.test });
  const { trainer, result, compileSeconds } = await trainLeNet({
    train,
    test,
    epochs: RUN.epochs,
    progress: "none",
  });
  const pct = (x: number | undefined) => (x === undefined ? "-" : `${(100 * x).toFixed(1)} %`);
  const rows = result.history.epochs.map(
    (e) =>
      `| ${e.epoch} | ${e.loss.toFixed(3)} | ${pct(e.accuracy)} | ${e.valLoss?.toFixed(3) ?? "-"} | ${pct(e.valAccuracy)} |`,
  );
  const params = Object.values(trainer.modelParams()).reduce((n, p) => n + p.length, 0);
  await writeFile(
    join(MNIST_GUIDE_DIR, "run.md"),
    [
      `LeNet-5 (${params.toLocaleString("en-US")} parameters) on ${train.count.toLocaleString("en-US")} digits, ` +
        `${test.count.toLocaleString("en-US")} held out, ${RUN.epochs} epochs of ${result.steps / RUN.epochs} steps:`,
      "",
      "| epoch | train loss | train acc | held-out loss | held-out acc |",
      "| --: | --: | --: | --: | --: |",
      ...rows,
      "",
      `Compiling the training step took ${compileSeconds.toFixed(2)} s and training ${result.seconds.toFixed(1)} s ` +
        "on the machine that built this site (timings vary from build to build; the losses do not).",
      "",
    ].join("\n"),
  );
  await writeFile(
    join(MNIST_GUIDE_PUBLIC_DIR, "curves.svg"),
    renderTrainingCurves(result.history, { title: "LeNet-5 on MNIST (short run, nnc CPU)" }),
  );
  await writeFile(join(MNIST_GUIDE_DIR, "bench.md"), await benchSection());
  console.log(
    `generate-mnist-guide: held-out accuracy ${pct(result.history.epochs.at(-1)?.valAccuracy)}`,
  );
}

/**
 * The full run's figures from bench/README.md: the section's text up to its table and the list
 * that follows it (the section goes on about another example).
 */
async function benchSection(): Promise<string> {
  const readme = await readFile(join(repo, "bench", "README.md"), "utf8");
  const section = markdownSection(readme, BENCH_HEADING, "bench/README.md");
  const blocks = section.split(/\n\s*\n/);
  const table = blocks.findIndex((block) => block.startsWith("|"));
  if (table < 0) throw new Error("generate-mnist-guide: the bench section has no table");
  const list = blocks.findIndex((block, i) => i > table && block.startsWith("- "));
  const quote = blocks.slice(0, (list < 0 ? table : list) + 1).join("\n\n");
  // A blockquote: the reader sees where the quotation starts and ends.
  return `${quote
    .split("\n")
    .map((line) => (line === "" ? ">" : `> ${line}`))
    .join("\n")}\n`;
}

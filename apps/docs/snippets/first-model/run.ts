/**
 * The first model in the library: compile it for training with the CPU backend, take a few
 * steps on one batch, compile it for inference and run it with the trained parameters, then
 * save those as weights.safetensors (which `nnc compile --weights` reads).
 *
 * The site's build runs it (scripts/generate-guides.ts) in generated/guides/work/, where
 * `pnpm --filter @nnc/docs generate guides` runs it again.
 */

import { writeFile } from "node:fs/promises";
import { cpu } from "@nnc/backend-cpu";
import { compile, formatMemoryReport, sgd } from "@nnc/compiler";
import { createRng, formatSummary, summarize, writeSafetensors } from "@nnc/core";
import { argmax } from "@nnc/train";
import { buildMlp } from "./model.js";

const graph = buildMlp({ batch: 16 });
console.log(formatSummary(summarize(graph)));

// One batch of 16 random "images" with labels 0…9, 0…5: enough to watch the loss fall.
const rng = createRng(0);
const image = Float32Array.from({ length: 16 * 784 }, () => rng.next());
const label = Int32Array.from({ length: 16 }, (_, i) => i % 10);

const trainer = await compile(graph, {
  backend: cpu(),
  mode: "train",
  loss: "loss",
  optimizer: sgd({ lr: 0.05 }),
});
for (let step = 1; step <= 30; step++) {
  const loss = trainer.step({ image, label }); // forward, backward and update, in place
  if (step === 1 || step % 10 === 0) console.log(`step ${step}: loss ${loss.toFixed(4)}`);
}
console.log(`\n${formatMemoryReport(trainer.report.memory)}\n`);

const model = await compile(graph, { backend: cpu() }); // mode "infer"
// The trainer's parameters include the optimizer's state: hand over the model's own only.
const trained = trainer.getParams();
model.setParams(Object.fromEntries(Object.keys(model.getParams()).map((n) => [n, trained[n]!])));
const { logits } = model.run({ image, label });
const predicted = Array.from(label, (_, i) => argmax(logits!, i * 10, 10));
console.log(`predicted: ${predicted.join(" ")}`);
console.log(`labels:    ${label.join(" ")}`);

const weights = Object.fromEntries(
  graph.params.map((p) => [
    p.name,
    { dtype: "F32" as const, shape: p.type.shape, data: trained[p.name]! },
  ]),
);
await writeFile("weights.safetensors", writeSafetensors(weights));
console.log(`\nwrote weights.safetensors: ${Object.keys(weights).join(", ")}`);

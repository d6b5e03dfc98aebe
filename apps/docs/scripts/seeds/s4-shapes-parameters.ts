/**
 * SEEDS.md S4: per-layer output shapes, parameter counts and receptive fields of the small conv
 * net of seed document 002, and the 21×21 receptive field of five 5×5 convolutions.
 */
import { cpu } from "@nnc/backend-cpu";
import { compile } from "@nnc/compiler";
import { formatSummary, summarize } from "@nnc/core";
import { buildFiveConvs, buildSeed002Network } from "../../../../examples/seed-002-table/model.js";
import { seededRng, uniformValues } from "../../../../examples/seeds/numeric.js";
import { checkEqual } from "./check.js";
import { summaryFigure } from "./summary.js";

/** The figures of the S4 page (the BatchNorm half is on the concept page's figures). */
export async function seedS4() {
  const network = summaryFigure(summarize(buildSeed002Network()));
  checkEqual(
    "S4 per-layer output and parameters",
    network.rows.map((r) => [r.output, r.params]),
    [
      ["31×31×5", 85],
      ["10×10×5", 0],
      ["8×8×5", 230],
      ["4×4×5", 0],
      ["5", 405],
    ],
  );
  const fiveConvs = summaryFigure(summarize(buildFiveConvs()));
  checkEqual(
    "S4 receptive field of five 5×5 convs (stride 1, padding 2)",
    fiveConvs.rows.at(-1)?.receptiveField,
    "21×21",
  );

  // Compiled and run on the CPU backend: one random 64×64 image gives 5 outputs.
  const exe = await compile(buildSeed002Network(), { backend: cpu() });
  const image = uniformValues(seededRng(4), 64 * 64, 0, 1);
  const out = exe.run({ image }).out!;
  checkEqual("S4 compiled output size", out.length, 5);
  return {
    network,
    table: formatSummary(summarize(buildSeed002Network())),
    fiveConvs,
    compiled: {
      output: Array.from(out),
      kernels: exe.report.kernels,
      moduleBytes: exe.report.moduleBytes,
      arenaBytes: exe.report.memory.arenaBytes,
    },
  };
}

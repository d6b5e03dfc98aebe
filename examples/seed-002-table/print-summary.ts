/** Prints the summary table of the S4 network and of the five-conv stack (`pnpm demo`). */
import { formatSummary, summarize } from "@nnc/core";
import { buildFiveConvs, buildSeed002Network } from "./model.js";

console.log(
  "SEEDS.md S4 — input 64×64×1, conv 4×4/2 → maxpool 3 → conv 3×3 → maxpool 2 → dense 5\n",
);
console.log(formatSummary(summarize(buildSeed002Network())));
console.log("\nFive 5×5 convolutions, stride 1, padding 2\n");
console.log(formatSummary(summarize(buildFiveConvs())));

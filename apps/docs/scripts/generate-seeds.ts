/**
 * Computes every figure of the seed pages (SEEDS.md S1–S10) and of the concept pages with nnc,
 * checks each against the value SEEDS.md gives (a mismatch throws and fails the build), and
 * writes them to generated/seeds.json for the pages' data loader (src/seeds/seeds.data.ts).
 *
 *   pnpm --filter @nnc/docs generate seeds
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { conceptBatchNorm } from "./seeds/concept-batch-norm.js";
import { conceptCompiler } from "./seeds/concept-compiler.js";
import { seedS1 } from "./seeds/s1-conv-backprop.js";
import { seedS2 } from "./seeds/s2-what-to-store.js";
import { seedS3 } from "./seeds/s3-relu-swish.js";
import { seedS4 } from "./seeds/s4-shapes-parameters.js";
import { seedS5 } from "./seeds/s5-mixture.js";
import { seedS6 } from "./seeds/s6-cross-entropy.js";
import { seedS7 } from "./seeds/s7-step-sizes.js";
import { seedS8 } from "./seeds/s8-conv-as-matrix.js";
import { seedS9 } from "./seeds/s9-walkthrough.js";
import { seedS10 } from "./seeds/s10-initialisation.js";

/** Where the figures are written (gitignored). */
export const SEEDS_JSON = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "generated",
  "seeds.json",
);

/**
 * Builds, compiles and runs every seed and concept example, checking each figure; returns them
 * all, with the seconds each part took. Throws a FigureMismatch naming the figure when nnc
 * disagrees with SEEDS.md.
 */
export async function computeSeedFigures() {
  const seconds: Record<string, number> = {};
  const timed = async <T>(name: string, compute: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await compute();
    seconds[name] = (performance.now() - started) / 1000;
    return result;
  };
  // One after another: the machine's cores are shared, and the timings should mean something.
  const figures = {
    s1: await timed("s1", seedS1),
    s2: await timed("s2", seedS2),
    s3: await timed("s3", seedS3),
    s4: await timed("s4", seedS4),
    s5: await timed("s5", seedS5),
    s6: await timed("s6", seedS6),
    s7: await timed("s7", seedS7),
    s8: await timed("s8", seedS8),
    s9: await timed("s9", seedS9),
    s10: await timed("s10", seedS10),
    compiler: await timed("compiler", conceptCompiler),
    batchNorm: await timed("batchNorm", conceptBatchNorm),
  };
  return { ...figures, seconds };
}

/** Every figure the seed and concept pages show, as written to generated/seeds.json. */
export type SeedFigures = Awaited<ReturnType<typeof computeSeedFigures>>;

/** The generator run by scripts/generate.ts: computes, checks and writes the figures. */
export default async function generateSeeds(): Promise<void> {
  const figures = await computeSeedFigures();
  await mkdir(dirname(SEEDS_JSON), { recursive: true });
  await writeFile(SEEDS_JSON, `${JSON.stringify(figures)}\n`);
}

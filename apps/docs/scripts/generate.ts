/**
 * Runs every generator of the site before VitePress builds it: each `scripts/generate-*.ts`
 * default-exports an async function that writes its pages or data (TypeDoc's API reference, the
 * CLI reference, the seed figures, the playground's MNIST subset) into gitignored directories.
 * Discovering them by name keeps this file out of every generator's way.
 */
import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);

const generators = (await readdir(here))
  .filter((file) => /^generate-.+\.ts$/.test(file))
  // A generator's tests sit beside it (generate-x.test.ts) and are not generators.
  .filter((file) => !file.endsWith(".test.ts"))
  .filter((file) => only.length === 0 || only.some((name) => file.includes(name)))
  .sort();

for (const file of generators) {
  const started = performance.now();
  const module = (await import(pathToFileURL(join(here, file)).href)) as {
    default: () => Promise<void>;
  };
  await module.default();
  console.log(`${file}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

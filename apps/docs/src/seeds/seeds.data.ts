/**
 * VitePress data loader: the figures nnc computed and checked when the site was built
 * (scripts/generate-seeds.ts writes generated/seeds.json before `vitepress build`). Pages import
 * `data` from this file; nothing on them is typed in by hand.
 */
import { readFileSync } from "node:fs";
import { defineLoader } from "vitepress";
import type { SeedFigures } from "../../scripts/generate-seeds.js";

/** The figures, as pages import them: `import { data } from "./seeds.data.ts"`. */
declare const data: SeedFigures;

export { data };

export default defineLoader({
  watch: ["../../generated/seeds.json"],
  load(files: string[]): SeedFigures {
    const [file] = files;
    if (file === undefined) {
      throw new Error(
        "generated/seeds.json is missing: run `pnpm --filter @nnc/docs generate seeds` (or `pnpm build`)",
      );
    }
    return JSON.parse(readFileSync(file, "utf8")) as SeedFigures;
  },
});

/**
 * Golden files of `report.md` for the SEEDS models (examples/seeds/models/): each model is
 * compiled by the CLI in a child process and its report.md must equal
 * test/golden/<name>.report.md byte for byte. report.md has no timings, so it is stable.
 *
 * Golden files are updated deliberately: after a change that is meant to alter a report, run
 *   NNC_UPDATE_GOLDEN=1 npx vitest run src/golden.test.ts
 * (from packages/cli), which writes the golden files instead of comparing, then read the diff.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { EXAMPLES, nnc, removeScratchDirs, scratchDir } from "./test-support.js";

afterAll(removeScratchDirs);

const GOLDEN = fileURLToPath(new URL("../test/golden/", import.meta.url));
const UPDATE = process.env.NNC_UPDATE_GOLDEN === "1";
const TRAIN_SGD = ["--mode", "train", "--optimizer", "sgd", "--lr", "0.1"];

/** The SEEDS models: name of the golden file, model file under examples/, extra CLI flags. */
const MODELS: readonly { name: string; model: string; flags: readonly string[] }[] = [
  { name: "s2-three-layer", model: "seeds/models/s2-three-layer.ts", flags: TRAIN_SGD },
  { name: "s4-shapes", model: "seeds/models/s4-shapes.ts", flags: ["--mode", "infer"] },
  { name: "s5-mixture", model: "seeds/models/s5-mixture.ts", flags: TRAIN_SGD },
  {
    name: "s9-walkthrough",
    model: "seeds/models/s9-walkthrough.ts",
    flags: [...TRAIN_SGD, "--loss", "J"],
  },
];

describe("golden report.md of the SEEDS models", () => {
  it.each(MODELS)("$name", async ({ name, model, flags }) => {
    const out = scratchDir();
    // From examples/, so the report's `source` line is the same path on every machine.
    const run = await nnc(["compile", model, ...flags, "--out", out], EXAMPLES);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const actual = readFileSync(join(out, "report.md"), "utf8");
    const golden = join(GOLDEN, `${name}.report.md`);
    if (UPDATE) {
      writeFileSync(golden, actual);
      return;
    }
    expect(
      existsSync(golden),
      `${golden} is missing; create it with NNC_UPDATE_GOLDEN=1 (see the comment at the top)`,
    ).toBe(true);
    expect(actual).toBe(readFileSync(golden, "utf8"));
  });
});

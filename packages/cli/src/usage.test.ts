import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { nnc, removeScratchDirs, scratchDir } from "./test-support.js";

afterAll(removeScratchDirs);

describe("nnc usage", () => {
  const cwd = scratchDir({ "model.ts": "export default 1;\n" });

  it("prints help and exits 0", async () => {
    const run = await nnc(["--help"], cwd);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: nnc compile <model\.ts\|model\.js> \[options\]/);
    for (const flag of [
      "--out",
      "--backend",
      "--mode",
      "--optimizer",
      "--lr",
      "--loss",
      "--batch",
    ]) {
      expect(run.stdout).toContain(flag);
    }
    for (const flag of [
      "--summary",
      "--emit",
      "--dump-after",
      "--disable",
      "--check",
      "--weights",
    ]) {
      expect(run.stdout).toContain(flag);
    }
  });

  it("prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    const run = await nnc(["--version"], cwd);
    expect(run).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
  });

  it.each([
    [["compile", "model.ts", "--frobnicate"]],
    [["compile"]],
    [[]],
    [["build", "model.ts"]],
    [["compile", "a.ts", "b.ts"]],
    [["compile", "model.ts", "--mode", "eval"]],
    [["compile", "model.ts", "--batch", "0"]],
    [["compile", "model.ts", "--lr", "0.1"]],
    [["compile", "model.ts", "--mode", "train", "--optimizer", "rmsprop"]],
    [["compile", "model.ts", "--emit", "png"]],
    [["compile", "model.ts", "--out"]],
  ])("rejects %j with a usage error (exit 2)", async (args) => {
    const run = await nnc(args, cwd);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^nnc: error: .+\nRun "nnc --help" for usage\.\n$/);
  });

  it("names the unknown flag", async () => {
    const run = await nnc(["compile", "model.ts", "--frobnicate"], cwd);
    expect(run.stderr).toMatchInlineSnapshot(`
      "nnc: error: Unknown option '--frobnicate'
      Run "nnc --help" for usage.
      "
    `);
  });

  it("names the allowed values of a flag", async () => {
    const run = await nnc(["compile", "model.ts", "--mode", "eval"], cwd);
    expect(run.stderr).toMatchInlineSnapshot(`
      "nnc: error: --mode must be one of infer, train, got "eval"
      Run "nnc --help" for usage.
      "
    `);
  });
});

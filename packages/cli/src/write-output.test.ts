import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { safeDirectoryName, writeOutputAtomically } from "./write-output.js";

const root = mkdtempSync(join(tmpdir(), "nnc-write-output-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("writeOutputAtomically", () => {
  it("replaces a previous output as a whole", async () => {
    const out = join(root, "replace");
    await writeOutputAtomically(
      out,
      new Map([
        ["report.json", "{}"],
        ["old.txt", "old"],
      ]),
    );
    await writeOutputAtomically(
      out,
      new Map([
        ["report.json", '{"n":2}'],
        ["sub/new.txt", "new"],
      ]),
    );
    expect(readdirSync(out).sort()).toEqual(["report.json", "sub"]);
    expect(readFileSync(join(out, "sub/new.txt"), "utf8")).toBe("new");
    expect(readdirSync(root)).toEqual(["replace"]);
  });

  it("leaves no partial files when writing fails half-way", async () => {
    const dir = join(root, "fail");
    mkdirSync(dir);
    const out = join(dir, "out");
    await writeOutputAtomically(out, new Map([["report.json", "previous"]]));
    const files = new Map<string, string | Uint8Array>([
      ["report.json", "next"],
      // writeFile rejects this content after the first file was written.
      ["model.js", undefined as unknown as string],
    ]);
    await expect(writeOutputAtomically(out, files)).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(["out"]);
    expect(readFileSync(join(out, "report.json"), "utf8")).toBe("previous");
  });

  it("refuses to replace a file or a foreign directory", async () => {
    const file = join(root, "file.txt");
    writeFileSync(file, "keep");
    await expect(writeOutputAtomically(file, new Map())).rejects.toThrow(/is not a directory/);
    const foreign = join(root, "foreign");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "a.txt"), "keep");
    await expect(writeOutputAtomically(foreign, new Map())).rejects.toThrow(/did not write/);
    expect(readFileSync(join(foreign, "a.txt"), "utf8")).toBe("keep");
  });
});

describe("safeDirectoryName", () => {
  it.each([
    ["lenet5", "lenet5"],
    ["../../etc", ".._.._etc"],
    ["..", "model"],
    ["a b/c\\d", "a_b_c_d"],
  ])("%j → %j", (name, expected) => {
    expect(safeDirectoryName(name)).toBe(expected);
  });
});

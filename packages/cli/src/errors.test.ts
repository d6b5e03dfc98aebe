import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXAMPLES, nnc, removeScratchDirs, scratchDir } from "./test-support.js";

afterAll(removeScratchDirs);

const SHAPE_ERROR = `import { GraphBuilder } from "@nnc/core";

export default function build() {
  const g = new GraphBuilder("bad");
  const x = g.input("x", [2, 3]);
  const w = g.param("w", [4, 5], { init: "zeros" });
  g.output("y", g.matmul(x, w));
  return g.build();
}
`;

const THROWS = `function loadWeights(): never {
  throw new Error("no weights for you");
}

export default async () => {
  loadWeights();
};
`;

const THROWS_AT_IMPORT = `const table: Record<string, number> = {};
table.missing!.toFixed(2);
export default null;
`;

describe("nnc compile errors", () => {
  const cwd = scratchDir({
    "shape-error.ts": SHAPE_ERROR,
    "throws.ts": THROWS,
    "throws-at-import.ts": THROWS_AT_IMPORT,
    "object.ts": "export default { layers: 3 };\n",
    "returns-number.js": "export default () => 42;\n",
    "no-default.ts": "export const graph = 1;\n",
    "syntax.ts": "export default (;\n",
    "seed.ts": readFileSync(join(EXAMPLES, "seed-002-table/model.ts"), "utf8"),
    "unknown-package.ts":
      'import { GraphBuilder } from "@nnc/nonexistent";\nexport default GraphBuilder;\n',
  });

  const failing = async (args: string[]) => {
    const run = await nnc(["compile", ...args], cwd);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    // Nothing is written when compiling fails.
    expect(existsSync(join(cwd, "nnc-out"))).toBe(false);
    return run.stderr;
  };

  it("prints an NncError with a code frame of the model file", async () => {
    expect(await failing(["shape-error.ts"])).toMatchInlineSnapshot(`
      "error NNC2003: matmul: contracting dimensions differ (3 vs 4)
        lhs: f32[2,3]  input "x"
        rhs: f32[4,5]  param "w"
        node: matmul
        at shape-error.ts:7:19

        5 |   const x = g.input("x", [2, 3]);
        6 |   const w = g.param("w", [4, 5], { init: "zeros" });
      > 7 |   g.output("y", g.matmul(x, w));
          |                   ^
        8 |   return g.build();
        9 | }
      "
    `);
  });

  it("shows the message and the model's stack frames when the model throws", async () => {
    expect(await failing(["throws.ts"])).toMatchInlineSnapshot(`
      "nnc: error: the model in throws.ts threw: Error: no weights for you
        at throws.ts:2:9 (loadWeights)
        at throws.ts:6:3 (throws_default)

        1 | function loadWeights(): never {
      > 2 |   throw new Error("no weights for you");
          |         ^
        3 | }
        4 |
      "
    `);
  });

  it("shows where a model throws while it is imported", async () => {
    const stderr = await failing(["throws-at-import.ts"]);
    expect(stderr).toContain("nnc: error: the model in throws-at-import.ts threw: TypeError:");
    expect(stderr).toContain("at throws-at-import.ts:2:");
  });

  it("rejects a default export that is not a Graph or a function", async () => {
    expect(await failing(["object.ts"])).toMatchInlineSnapshot(`
      "nnc: error: object.ts: the default export must be a Graph or a function returning one, but it is a plain object
      "
    `);
  });

  it("rejects a function that does not return a Graph", async () => {
    expect(await failing(["returns-number.js"])).toMatchInlineSnapshot(`
      "nnc: error: returns-number.js: the default export must be a Graph or a function returning one, but the function returned a number (42)
      "
    `);
  });

  it("rejects a module without a default export", async () => {
    expect(await failing(["no-default.ts"])).toMatchInlineSnapshot(`
      "nnc: error: no-default.ts has no default export: export default a Graph or a function returning one
      "
    `);
  });

  it("reports a missing model file", async () => {
    expect(await failing(["missing.ts"])).toMatchInlineSnapshot(`
      "nnc: error: model file not found: missing.ts
      "
    `);
  });

  it("reports syntax errors with a code frame", async () => {
    expect(await failing(["syntax.ts"])).toMatchInlineSnapshot(`
      "nnc: error: cannot load syntax.ts:
        Unexpected ";"
        at syntax.ts:1:17

      > 1 | export default (;
          |                 ^
        2 |
      "
    `);
  });

  it("reports an @nnc import this CLI does not provide", async () => {
    expect(await failing(["unknown-package.ts"])).toContain(
      "@nnc/nonexistent is not a package this nnc provides",
    );
  });

  it("reports an unknown pass name as an NncError", async () => {
    expect(await failing(["seed.ts", "--disable", "no-such-pass"])).toMatchInlineSnapshot(`
      "error NNC1002: --disable: unknown pass "no-such-pass"; the pipeline has fold-batch-norm, decompose-composites, constant-fold, simplify-algebra, eliminate-common-subexpressions, eliminate-dead-code, fuse-elementwise
      "
    `);
  });

  it("reports a training compile without a loss output", async () => {
    expect(await failing(["seed.ts", "--mode", "train"])).toMatchInlineSnapshot(`
      "error NNC1005: compile: loss "loss" is not an output of "seed-002" (outputs: "out")
      "
    `);
  });

  it("reports a backend package that cannot be found", async () => {
    expect(await failing(["seed.ts", "--backend", "nnc-backend-nowhere"])).toMatchInlineSnapshot(`
      "nnc: error: --backend nnc-backend-nowhere: cannot find the package "nnc-backend-nowhere" (install it next to your model, or use --backend cpu)
      "
    `);
  });
});

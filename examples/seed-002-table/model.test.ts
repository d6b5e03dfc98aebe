import { formatSummary, summarize } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { buildFiveConvs, buildSeed002Network } from "./model.js";

describe("SEEDS.md S4: shapes, parameter counts, receptive fields", () => {
  it("gives 31×31×5/85 · 10×10×5/0 · 8×8×5/230 · 4×4×5/0 · 5/405", () => {
    const { rows, trainableParams } = summarize(buildSeed002Network());
    expect(rows.map((r) => [r.name, r.op, r.outputShape, r.params])).toEqual([
      ["conv1", "conv2d", [1, 5, 31, 31], 85],
      ["pool1", "max_pool2d", [1, 5, 10, 10], 0],
      ["conv2", "conv2d", [1, 5, 8, 8], 230],
      ["pool2", "max_pool2d", [1, 5, 4, 4], 0],
      ["fc", "dense", [1, 5], 405],
    ]);
    expect(trainableParams).toBe(85 + 230 + 405);
  });

  it("reports receptive fields per layer", () => {
    const { rows } = summarize(buildSeed002Network());
    // conv 4/2: 4; pool 3/3: 4 + 2·2 = 8; conv 3: 8 + 2·6 = 20; pool 2: 20 + 6 = 26; the dense
    // head sees the whole 4×4 map: 26 + 3·12 = 62 (the last two input rows are never read).
    expect(rows.map((r) => r.receptiveField)).toEqual([
      [4, 4],
      [8, 8],
      [20, 20],
      [26, 26],
      [62, 62],
    ]);
  });

  it("five 5×5 convs with padding 2 see 21×21", () => {
    const { rows } = summarize(buildFiveConvs());
    expect(rows.map((r) => r.receptiveField)).toEqual([
      [5, 5],
      [9, 9],
      [13, 13],
      [17, 17],
      [21, 21],
    ]);
    expect(rows.at(-1)?.outputShape).toEqual([1, 1, 32, 32]);
  });

  it("prints the table", () => {
    expect(formatSummary(summarize(buildSeed002Network()))).toMatchInlineSnapshot(`
      "layer  op          output (H×W×C)  params  receptive field
      -----  ----------  --------------  ------  ---------------
      conv1  conv2d      31×31×5             85  4×4
      pool1  max_pool2d  10×10×5              0  8×8
      conv2  conv2d      8×8×5              230  20×20
      pool2  max_pool2d  4×4×5                0  26×26
      fc     dense       5                  405  62×62

      total params: 720 (trainable 720, non-trainable 0)"
    `);
  });
});

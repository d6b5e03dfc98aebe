import { summarize } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { buildAlexNet } from "./model.js";

describe("AlexNet summary (SEEDS.md S8)", () => {
  it("has the standard per-layer shapes and 61,100,840 parameters", () => {
    const { rows, trainableParams } = summarize(buildAlexNet());
    expect(rows.map((r) => [r.name, r.outputShape, r.params])).toEqual([
      ["conv1", [1, 64, 55, 55], 23_296],
      ["pool1", [1, 64, 27, 27], 0],
      ["conv2", [1, 192, 27, 27], 307_392],
      ["pool2", [1, 192, 13, 13], 0],
      ["conv3", [1, 384, 13, 13], 663_936],
      ["conv4", [1, 256, 13, 13], 884_992],
      ["conv5", [1, 256, 13, 13], 590_080],
      ["pool5", [1, 256, 6, 6], 0],
      ["fc6", [1, 4096], 37_752_832],
      ["fc7", [1, 4096], 16_781_312],
      ["fc8", [1, 1000], 4_097_000],
    ]);
    expect(trainableParams).toBe(61_100_840);
  });
});

import { summarize } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { buildLeNet } from "./model.js";

describe("LeNet-5 (W2)", () => {
  it("has the classic shapes and 61,706 parameters", () => {
    const { rows, trainableParams } = summarize(buildLeNet({ batch: 32 }));
    expect(
      rows
        .filter((r) => r.params > 0 || r.op.includes("pool"))
        .map((r) => [r.name, r.outputShape, r.params]),
    ).toEqual([
      ["conv1", [32, 6, 28, 28], 156],
      ["pool1", [32, 6, 14, 14], 0],
      ["conv2", [32, 16, 10, 10], 2_416],
      ["pool2", [32, 16, 5, 5], 0],
      ["fc1", [32, 120], 48_120],
      ["fc2", [32, 84], 10_164],
      ["fc3", [32, 10], 850],
    ]);
    expect(trainableParams).toBe(61_706);
  });
});

import { createRng, randomData } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { checkGradients } from "./checkers.js";
import { conformanceModels } from "./models/index.js";
import { instrumentedReferenceBackend, referenceBackend } from "./reference-backend.js";

const graph = conformanceModels.s2ThreeLayer({ n: 3, m: 4, r: 3, s: 2, batch: 2 });
const rng = createRng(7);
const feeds = { x: randomData("float32", 6, rng), y: randomData("float32", 4, rng) };

describe("checkGradients", () => {
  it("agrees with central differences for the S2 network, in float64 and on a backend", async () => {
    const reference = await checkGradients(graph, { of: "loss", feeds });
    expect(reference.map((c) => c.name)).toEqual([
      "fc1.weight",
      "fc1.bias",
      "fc2.weight",
      "fc2.bias",
      "fc3.weight",
      "fc3.bias",
    ]);
    expect(reference[0]!.numeric.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    await checkGradients(graph, { of: "loss", feeds, backend: referenceBackend(), wrt: ["x"] });
  });

  it("catches a backend whose reductions are off by 1 %", async () => {
    const broken = instrumentedReferenceBackend({
      afterNode: (node, stored) => {
        if (node.op !== "sum" || !(stored instanceof Float32Array)) return;
        for (let i = 0; i < stored.length; i++) stored[i] = stored[i]! * 1.01;
      },
    });
    await expect(
      checkGradients(graph, { of: "loss", feeds, backend: broken, wrt: ["fc3.bias"] }),
    ).rejects.toThrow(/checkGradients: ∂loss\/∂fc3.bias: 2 of 2 elements differ/);
  });

  it("rejects what it cannot differentiate", async () => {
    await expect(checkGradients(graph, { of: "loss", feeds, wrt: ["nope"] })).rejects.toThrow(
      /NNC1005: checkGradients: "nope" is not a float32 input or parameter/,
    );
  });
});

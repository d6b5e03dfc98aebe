import { GraphBuilder } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { sgd } from "../optimizers/sgd.js";
import { differentiate } from "./differentiate.js";
import { runPass } from "./test-support.js";

describe("differentiate", () => {
  const g = new GraphBuilder("line");
  const x = g.input("x", [3]);
  const w = g.param("w", [], { init: [2] });
  g.output("loss", g.sum(g.square(g.mul(x, w))));
  const model = g.build();
  const pass = differentiate({ loss: "loss", optimizer: sgd({ lr: 0.5 }) });

  it("adds the gradient and the optimizer update in training mode", () => {
    const { graph, notes } = runPass(pass, model, "train");
    expect(graph.updates.map((u) => u.param)).toEqual(["opt/step", "w"]);
    expect(notes).toEqual([
      {
        action: "added",
        node: "loss",
        detail: 'gradient of "loss" for 1 parameters and a sgd update',
      },
    ]);
  });

  it("returns its input in inference mode", () => {
    expect(runPass(pass, model, "infer").graph).toBe(model);
  });
});

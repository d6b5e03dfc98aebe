import type { TensorSpec } from "@nnc/compiler";
import { describe, expect, it } from "vitest";
import { BatchBuffers, epochOrder, layoutDataset } from "./dataset.js";
import { observeEpoch, resolveEarlyStopping } from "./early-stopping.js";
import { countCorrect } from "./metrics.js";

const inputs: TensorSpec[] = [
  { name: "x", shape: [2, 3], dtype: "float32" },
  { name: "y", shape: [2], dtype: "int32" },
];

describe("datasets", () => {
  it("lines up with the inputs by per-example size", () => {
    const layout = layoutDataset({ x: new Float32Array(15), y: [0, 1, 2, 3, 4] }, inputs, "fit");
    expect(layout.count).toBe(5);
    expect([...layout.perExample]).toEqual([
      ["x", 3],
      ["y", 1],
    ]);
    expect(() =>
      layoutDataset({ x: new Float32Array(15), y: [0], z: [1] }, inputs, "fit"),
    ).toThrowError(/NNC7002: fit: "z" is not an input of the model \(inputs: "x", "y"\)/);
  });

  it("visits every example once per epoch, in an order fixed by seed and epoch", () => {
    const order = epochOrder(1000, 3, 1, true);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(epochOrder(1000, 3, 1, true)).toEqual(order);
    expect(epochOrder(1000, 3, 2, true)).not.toEqual(order);
    expect(epochOrder(1000, 4, 1, true)).not.toEqual(order);
    expect([...epochOrder(5, 3, 1, false)]).toEqual([0, 1, 2, 3, 4]);
  });

  it("gathers a batch of examples into reused typed arrays", () => {
    const data = { x: Float64Array.from({ length: 15 }, (_, i) => i), y: [10, 11, 12, 13, 14] };
    const layout = layoutDataset(data, inputs, "fit");
    const buffers = new BatchBuffers(inputs, layout);
    const first = buffers.fill(data, [4, 0, 2, 1, 3], 0, 2);
    expect([...first.x!]).toEqual([12, 13, 14, 0, 1, 2]);
    expect(first.y).toBeInstanceOf(Int32Array);
    expect([...first.y!]).toEqual([14, 10]);
    const second = buffers.fill(data, [4, 0, 2, 1, 3], 2, 2);
    expect(second.x).toBe(first.x);
    expect([...second.x!]).toEqual([6, 7, 8, 3, 4, 5]);
  });
});

describe("metrics and early stopping", () => {
  it("counts argmax hits against class indices and one-hot rows", () => {
    const scores = [0.1, 0.7, 0.2, 3, -1, 0, 0, 0, 5];
    expect(countCorrect(scores, [1, 0, 1], 3)).toBe(2);
    expect(countCorrect(scores, [0, 1, 0, 1, 0, 0, 0, 0, 1], 3)).toBe(3);
  });

  it("stops after `patience` epochs without an improvement larger than minDelta", () => {
    const rule = resolveEarlyStopping({ patience: 2, minDelta: 0.01 }, true, false);
    expect(rule.monitor).toBe("val_loss");
    let state = { best: null as number | null, bestEpoch: 0, wait: 0 };
    const stops: boolean[] = [];
    for (const [epoch, valLoss] of [1, 0.9, 0.895, 0.7, 0.71, 0.705].entries()) {
      const seen = observeEpoch(rule, state, {
        epoch: epoch + 1,
        loss: 1,
        valLoss,
        lr: 1,
        seconds: 1,
        examplesPerSecond: 1,
      });
      state = seen.state;
      stops.push(seen.stop);
    }
    // 0.895 is within minDelta of 0.9, 0.71 and 0.705 are worse than 0.7.
    expect(stops).toEqual([false, false, false, false, false, true]);
    expect(state).toEqual({ best: 0.7, bestEpoch: 4, wait: 2 });
  });
});

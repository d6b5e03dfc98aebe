import { describe, expect, it } from "vitest";
import { fans, type InitSpec, initialize } from "./init.js";

function stats(values: Float64Array) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, variance, maxAbs: Math.max(...values.map(Math.abs)) };
}

describe("initialisers", () => {
  it("computes fans for dense [in, out] and OIHW kernels", () => {
    expect(fans([784, 256])).toEqual({ fanIn: 784, fanOut: 256 });
    expect(fans([16, 6, 5, 5])).toEqual({ fanIn: 150, fanOut: 400 });
    expect(fans([10])).toEqual({ fanIn: 10, fanOut: 10 });
  });

  it("is reproducible from its seed and differs across seeds", () => {
    const a = initialize({ kind: "he_normal", seed: 3 }, [50, 40]);
    const b = initialize({ kind: "he_normal", seed: 3 }, [50, 40]);
    const c = initialize({ kind: "he_normal", seed: 4 }, [50, 40]);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  const shape = [400, 300];
  const fanIn = 400;
  const fanOut = 300;
  const cases: [InitSpec, number, number | undefined][] = [
    // [spec, expected variance, bound]
    [{ kind: "glorot_uniform", seed: 1 }, 2 / (fanIn + fanOut), Math.sqrt(6 / (fanIn + fanOut))],
    [{ kind: "glorot_normal", seed: 1 }, 2 / (fanIn + fanOut), undefined],
    [{ kind: "he_uniform", seed: 1 }, 2 / fanIn, Math.sqrt(6 / fanIn)],
    [{ kind: "he_normal", seed: 1 }, 2 / fanIn, (2 * Math.sqrt(2 / fanIn)) / 0.8796256610342398],
    [{ kind: "lecun_normal", seed: 1 }, 1 / fanIn, (2 * Math.sqrt(1 / fanIn)) / 0.8796256610342398],
    [{ kind: "uniform", low: -0.5, high: 0.5, seed: 1 }, 1 / 12, 0.5],
    [{ kind: "normal", mean: 0, std: 0.1, seed: 1 }, 0.01, undefined],
    [{ kind: "truncated_normal", mean: 0, std: 0.1, seed: 1 }, 0.01 * 0.8796256610342398 ** 2, 0.2],
  ];
  it.each(cases)("%o has the intended variance and bounds", (spec, variance, bound) => {
    const s = stats(initialize(spec, shape));
    expect(Math.abs(s.mean)).toBeLessThan(0.01 * Math.sqrt(variance) * 10);
    expect(s.variance / variance).toBeGreaterThan(0.97);
    expect(s.variance / variance).toBeLessThan(1.03);
    if (bound !== undefined) expect(s.maxAbs).toBeLessThanOrEqual(bound + 1e-12);
  });

  it("fills zeros, ones, constants and explicit values", () => {
    expect(Array.from(initialize({ kind: "zeros" }, [3]))).toEqual([0, 0, 0]);
    expect(Array.from(initialize({ kind: "ones" }, [2]))).toEqual([1, 1]);
    expect(Array.from(initialize({ kind: "constant", value: 0.5 }, [2]))).toEqual([0.5, 0.5]);
    expect(Array.from(initialize({ kind: "values", values: [1, 2] }, [2]))).toEqual([1, 2]);
    expect(() => initialize({ kind: "values", values: [1] }, [2], "w")).toThrowError(/NNC1008/);
  });
});

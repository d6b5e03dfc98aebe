import type { Backend, Node, OpName, RefTensor } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { ConformanceError, expectClose } from "./compare.js";
import { checkInterface, checkSkipList, planConformance } from "./conformance.js";
import {
  checkCompositeCase,
  checkPrimitiveCase,
  type KernelCase,
  kernelCases,
} from "./kernel-cases.js";
import { type ModelCase, modelCases } from "./model-cases.js";
import { instrumentedReferenceBackend, referenceBackend } from "./reference-backend.js";
import { DEFAULT_TOLERANCES, resolveTolerances } from "./tolerance.js";

// The suite must reject broken backends, not just accept the reference one: each test here
// breaks the reference backend in one way and checks that the suite's checks notice.

const primitives = kernelCases("primitive");
const models = modelCases();
const tolerances = DEFAULT_TOLERANCES;

function cases(op: OpName): KernelCase[] {
  return primitives.filter((c) => c.op === op);
}

/** The samples of `op` with a float32 result. */
function floatCases(op: OpName): KernelCase[] {
  return cases(op).filter((c) => c.sample.inputs[0]!.dtype === "float32");
}

function model(id: string): ModelCase {
  return models.find((m) => m.id === id)!;
}

/** The reference backend with `change` applied to every stored result of `op`. */
function mutant(op: OpName, change: (stored: Float32Array | Int32Array | Uint8Array) => void) {
  return instrumentedReferenceBackend({
    afterNode: (node, stored) => {
      if (node.op === op) change(stored);
    },
  });
}

/** Scales every element of a float32 result by 1 + e. */
const scaleBy = (e: number) => (stored: Float32Array | Int32Array | Uint8Array) => {
  if (!(stored instanceof Float32Array)) return;
  for (let i = 0; i < stored.length; i++) stored[i] = stored[i]! * (1 + e);
};

/** Moves every non-zero float32 element by `ulps` units in the last place (int32, bool: untouched). */
function nudge(stored: Float32Array | Int32Array | Uint8Array, ulps = 1): void {
  if (!(stored instanceof Float32Array)) return;
  const bits = new Int32Array(stored.buffer, stored.byteOffset, stored.length);
  for (let i = 0; i < stored.length; i++) if (stored[i] !== 0) bits[i] = bits[i]! + ulps;
}

async function allPass(backend: Backend, list: readonly KernelCase[]): Promise<void> {
  for (const c of list) await checkPrimitiveCase(backend, c, tolerances);
}

async function someFail(backend: Backend, list: readonly KernelCase[]): Promise<string> {
  const messages: string[] = [];
  for (const c of list) {
    try {
      await checkPrimitiveCase(backend, c, tolerances);
    } catch (error) {
      if (!(error instanceof ConformanceError)) throw error;
      messages.push(error.message);
    }
  }
  if (messages.length === 0) throw new ConformanceError("every case passed");
  return messages.join("\n");
}

describe("primitive kernel checks", () => {
  it("reject a matmul off by 0.1 % and accept one off by one rounding", async () => {
    expect(await someFail(mutant("matmul", scaleBy(1e-3)), cases("matmul"))).toMatch(
      /matmul#\d out: \d+ of \d+ elements differ from the reference; worst:\n {2}\[\d+\] got/,
    );
    await allPass(
      mutant("matmul", (s) => nudge(s)),
      cases("matmul"),
    );
  });

  it("compare data movement exactly: a transpose one ulp off fails", async () => {
    expect(floatCases("transpose").length).toBeGreaterThan(0);
    await allPass(referenceBackend(), cases("transpose"));
    expect(
      await someFail(
        mutant("transpose", (s) => nudge(s)),
        floatCases("transpose"),
      ),
    ).toMatch(/compared exactly/);
  });

  it("compare int32 and bool results exactly", async () => {
    expect(
      await someFail(
        mutant("argmax", (s) => {
          s[0] = s[0]! + 1;
        }),
        cases("argmax"),
      ),
    ).toMatch(/argmax#0 out: 1 of \d+ elements differ/);
    expect(
      await someFail(
        mutant("lt", (s) => {
          s[0] = 1 - s[0]!;
        }),
        cases("lt"),
      ),
    ).toMatch(/lt#\d out: 1 of/);
  });

  it("admit float32 accumulation in any order but not half precision", async () => {
    // 4096 positive terms: the worst case for accumulated rounding error.
    const big: KernelCase = {
      id: "matmul#big",
      op: "matmul",
      index: -1,
      title: "matmul#big",
      sample: {
        inputs: [
          { shape: [2, 4096], dtype: "float32" },
          { shape: [4096, 3], dtype: "float32" },
        ],
        attrs: {},
        ranges: [
          [0, 1],
          [0, 1],
        ],
      },
    };
    const accumulate = (round: (x: number) => number) =>
      instrumentedReferenceBackend({
        afterNode: (node: Node, stored, [a, b]: readonly RefTensor[]) => {
          if (node.op !== "matmul") return;
          const [m, k] = a!.shape as [number, number];
          const n = b!.shape[1]!;
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let sum = 0;
              for (let p = 0; p < k; p++)
                sum = round(sum + round(a!.data[i * k + p]! * b!.data[p * n + j]!));
              stored[i * n + j] = sum;
            }
          }
        },
      });
    await checkPrimitiveCase(accumulate(Math.fround), big, tolerances);
    // Half precision keeps 11 significant bits.
    const half = (x: number) => {
      if (x === 0) return 0;
      const e = 2 ** (Math.floor(Math.log2(Math.abs(x))) - 10);
      return Math.round(x / e) * e;
    };
    await expect(checkPrimitiveCase(accumulate(half), big, tolerances)).rejects.toThrow(
      ConformanceError,
    );
  });

  it("run trivial samples (an identity transpose) as kernels instead of simplifying them away", async () => {
    const identity = floatCases("transpose").find((c) =>
      (c.sample.attrs.perm as number[]).every((p, i) => p === i),
    )!;
    await checkPrimitiveCase(referenceBackend(), identity, tolerances);
    await expect(
      checkPrimitiveCase(
        mutant("transpose", (s) => nudge(s)),
        identity,
        tolerances,
      ),
    ).rejects.toThrow(/compared exactly/);
  });

  it("reject a backend whose read returns the wrong array type", async () => {
    const base = referenceBackend();
    const float64: Backend = {
      ...base,
      instantiate: async (module, program) => {
        const instance = await base.instantiate(module, program);
        return { ...instance, read: (node) => Float64Array.from(instance.read(node)) as never };
      },
    };
    await expect(checkPrimitiveCase(float64, cases("exp")[0]!, tolerances)).rejects.toThrow(
      /exp#0 out: expected a Float32Array for float32, got Float64Array/,
    );
  });

  it("run composites through the decomposition: a broken exp breaks softmax", async () => {
    const softmax = kernelCases("composite").filter((c) => c.op === "softmax");
    for (const c of softmax) await checkCompositeCase(referenceBackend(), c, tolerances);
    // (A scaled exp would cancel out in the normalisation: shift it instead.)
    const shifted = mutant("exp", (s) => {
      for (let i = 0; i < s.length; i++) s[i] = s[i]! + 0.01;
    });
    const widest = softmax.find((c) => c.sample.inputs[0]!.shape.join() === "3,4")!;
    await expect(checkCompositeCase(shifted, widest, tolerances)).rejects.toThrow(/softmax#5 out/);
  });
});

describe("model checks", () => {
  it("reject a wrong forward pass (dense epilogue off by 1 %)", async () => {
    await expect(
      model("mlp/infer").run(mutant("matmul", scaleBy(1e-2)), tolerances),
    ).rejects.toThrow(/mlp\/infer: output "logits"/);
  });

  it("reject a wrong kernel gradient even though inference is right", async () => {
    const backend = mutant("conv2d_backward_kernel", scaleBy(0.05));
    await model("lenet5/infer").run(backend, tolerances);
    await expect(model("lenet5/train").run(backend, tolerances)).rejects.toThrow(
      /lenet5\/train: (loss of step [23]|"conv\d\.weight" after 3 steps)/,
    );
  });

  it("reject a backend that drops state updates", async () => {
    const backend = instrumentedReferenceBackend({ updates: false });
    await expect(model("s2-three-layer/train").run(backend, tolerances)).rejects.toThrow(
      /s2-three-layer\/train: /,
    );
    await expect(model("s9-walkthrough/sgd-step").run(backend, tolerances)).rejects.toThrow(
      /s9-walkthrough: W3 after the step: 1 of 2 elements differ .*\n.*got 1, want 1\.18/,
    );
  });

  it("check the S9 figures exactly: a ReLU that lets 0 through as −0 passes, one that leaks fails", async () => {
    await model("s9-walkthrough/forward").run(
      mutant("relu", (s) => {
        for (let i = 0; i < s.length; i++) if (s[i] === 0) s[i] = -0;
      }),
      tolerances,
    );
    await expect(
      model("s9-walkthrough/forward").run(
        mutant("relu", (s) => {
          for (let i = 0; i < s.length; i++) if (s[i] === 0) s[i] = 1e-3;
        }),
        tolerances,
      ),
    ).rejects.toThrow(/s9-walkthrough: h1: 1 of 2 elements differ/);
  });
});

describe("the plugin interface check", () => {
  it("accepts the reference backend", async () => {
    await checkInterface(referenceBackend());
  });

  it("rejects an impure emit, a wrong API version and an empty name", async () => {
    const base = referenceBackend();
    let calls = 0;
    await expect(
      checkInterface({ ...base, emit: (p) => ({ ...base.emit(p), metadata: { calls: calls++ } }) }),
    ).rejects.toThrow(/emit is not pure/);
    await expect(checkInterface({ ...base, apiVersion: 2 as 1 })).rejects.toThrow(
      /implements plugin API 2; this nnc needs 1/,
    );
    await expect(checkInterface({ ...base, name: "" })).rejects.toThrow(/non-empty string/);
  });
});

describe("skip lists", () => {
  it("accept kernels, op samples, models and model tests with reasons", () => {
    expect(() =>
      checkSkipList({
        conv2d_transpose: "not yet (#7)",
        "erf#2": "GLSL erf approximation too coarse at 6",
        softmax: "composite: decomposition not fused yet",
        lenet5: "too slow in SwiftShader",
        "mlp/train": "no training support",
      }),
    ).not.toThrow();
  });

  it("reject a key that names nothing, listing the valid forms", () => {
    expect(() => checkSkipList({ conv2D: "typo" })).toThrowError(
      /NNC1005: describeBackendConformance: skip names no test: "conv2D" \(keys are op names/,
    );
    expect(() => checkSkipList({ "lenet5/training": "typo" })).toThrowError(/"lenet5\/train"/);
    expect(() => checkSkipList({ "conv2d#99": "no such sample" })).toThrowError(/NNC1005/);
  });

  it("reject an empty or missing reason", () => {
    expect(() => checkSkipList({ conv2d: " " })).toThrowErrorMatchingInlineSnapshot(
      `[NncError: error NNC1002: describeBackendConformance: skip needs a reason for: "conv2d"]`,
    );
    expect(() => checkSkipList({ conv2d: undefined as unknown as string })).toThrowError(/NNC1002/);
  });

  it("register skipped tests with their reason and fail the options test on a bad key", async () => {
    const plan = planConformance({
      skip: { erf: "no erf yet", "lenet5/train": "slow", nope: "x" },
    });
    const erf = plan.filter((t) => t.group === "primitive kernels > erf");
    expect(erf.length).toBeGreaterThan(1);
    expect(
      erf.every((t) => t.skipped === "no erf yet" && t.title.endsWith("(skipped: no erf yet)")),
    ).toBe(true);
    expect(plan.find((t) => t.title.startsWith("lenet5/train"))!.skipped).toBe("slow");
    expect(plan.find((t) => t.title.startsWith("lenet5/infer"))!.skipped).toBeUndefined();
    const options = plan[0]!;
    expect(options.title).toMatch(/has valid options/);
    await expect(options.run(referenceBackend)).rejects.toThrow(/skip names no test: "nope"/);
    await planConformance()[0]!.run(referenceBackend);
  });

  it("plan every primitive sample, every composite sample and every model test", () => {
    const plan = planConformance();
    const count = (prefix: string) => plan.filter((t) => t.group.startsWith(prefix)).length;
    expect(count("primitive kernels")).toBe(primitives.length);
    expect(count("composite ops")).toBe(kernelCases("composite").length);
    expect(count("models")).toBe(models.length);
    expect(models.map((m) => m.id)).toEqual([
      "mlp/infer",
      "mlp/train",
      "lenet5/infer",
      "lenet5/train",
      "w3-bn-convnet/infer",
      "w3-bn-convnet/train",
      "s2-three-layer/infer",
      "s2-three-layer/train",
      "s5-mixture/infer",
      "s5-mixture/train",
      "s9-walkthrough/forward",
      "s9-walkthrough/gradients",
      "s9-walkthrough/sgd-step",
    ]);
  });
});

describe("tolerances", () => {
  it("fill in defaults and per-kernel overrides", () => {
    const t = resolveTolerances({ kernel: { rtol: 1e-3 }, kernels: { erf: { atol: 1e-4 } } });
    expect(t.kernel).toEqual({ rtol: 1e-3, atol: 1e-5 });
    expect(t.kernels.erf).toEqual({ rtol: 1e-3, atol: 1e-4 });
    expect(t.model).toEqual(DEFAULT_TOLERANCES.model);
  });

  it("reject negative numbers and unknown kernels", () => {
    expect(() => resolveTolerances({ model: { rtol: -1 } })).toThrowError(
      /NNC1002: describeBackendConformance: tolerance.model.rtol must be a finite number ≥ 0, got -1/,
    );
    expect(() => resolveTolerances({ kernels: { nope: {} } as never })).toThrowError(
      /NNC1005: .*tolerance.kernels names "nope", which is not an op/,
    );
  });

  it("let a per-kernel tolerance relax an exactly compared kernel", async () => {
    const relaxed = resolveTolerances({ kernels: { transpose: { rtol: 1e-5 } } });
    for (const c of cases("transpose")) {
      await checkPrimitiveCase(
        mutant("transpose", (s) => nudge(s)),
        c,
        relaxed,
      );
    }
  });
});

describe("expectClose", () => {
  it("matches infinities and NaN only with themselves", () => {
    expect(() =>
      expectClose(
        "x",
        "float32",
        Float32Array.of(Infinity, Number.NaN),
        [Infinity, Number.NaN],
        [1, 1],
      ),
    ).not.toThrow();
    expect(() => expectClose("x", "float32", Float32Array.of(3e38), [1e39], [1e38])).toThrowError(
      /x: 1 of 1 elements differ/,
    );
    expect(() => expectClose("x", "float32", Float32Array.of(Number.NaN), [1], [10])).toThrowError(
      /got NaN, want 1/,
    );
  });

  it("checks the length", () => {
    expect(() => expectClose("x", "int32", Int32Array.of(1), [1, 2])).toThrowError(
      /x: expected 2 elements, got 1/,
    );
  });
});

import { createRng, GraphBuilder, type TensorType } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { wasmGemmModule } from "../wasm/gemm-wasm.js";
import { declareGemm, emitMatmul, wasmScratchLayout } from "./matmul.js";
import {
  checkOp,
  expectClose,
  programOf,
  runOp,
  sampleData,
  TestEmitContext,
  validSamples,
} from "./test-harness.js";

const EMITTERS = { matmul: emitMatmul };
const f32 = (...shape: number[]): TensorType => ({ dtype: "float32", shape });
const i32 = (...shape: number[]): TensorType => ({ dtype: "int32", shape });

/** Reductions over up to ~2,000 float32 terms of magnitude ≤ 4. */
const TOLERANCE = { rtol: 1e-4, atol: 1e-4 };

describe("matmul", () => {
  it.each(validSamples("matmul", 20).map((s, i) => [i, s] as const))(
    "matches the reference on OP_SAMPLES valid sample %i",
    (_, { sample, seed }) => {
      checkOp("matmul", sample, EMITTERS, seed);
    },
  );

  // Odd extents, vectors, sizes around and beyond the 4×4 tile and the 64/256 blocks.
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [1, 37, 1],
    [1, 300, 9],
    [9, 300, 1],
    [1, 5, 513],
    [513, 5, 1],
    [3, 5, 7],
    [4, 4, 4],
    [5, 9, 6],
    [13, 17, 19],
    [64, 257, 10],
    [65, 255, 67],
    [130, 600, 33],
    [33, 70, 300],
  ];
  // Both GEMMs: JavaScript, and the WebAssembly SIMD kernel (4 × 8 tiles, 64/256 blocks).
  it.each(shapes.flatMap((s) => [[...s, "JS"] as const, [...s, "Wasm"] as const]))(
    "computes [%i, %i] · [%i, …] products of any extent (%s GEMM)",
    (m, k, n, path) => {
      const wasm = path === "Wasm";
      checkOp(
        "matmul",
        { inputs: [f32(m, k), f32(k, n)], attrs: {} },
        EMITTERS,
        m * k + n,
        TOLERANCE,
        { wasm },
      );
    },
  );

  const batched: [number[], number[]][] = [
    [
      [3, 5, 6],
      [6, 7],
    ],
    [
      [6, 7],
      [3, 7, 5],
    ],
    [
      [2, 3, 4, 5],
      [2, 3, 5, 6],
    ],
    [
      [2, 1, 3, 4],
      [5, 4, 2],
    ],
    [
      [1, 4, 5],
      [3, 5, 2],
    ],
    [
      [4, 1, 9, 6],
      [1, 3, 6, 10],
    ],
    [
      [2, 3, 1, 7],
      [7, 5],
    ],
    [
      [7, 1, 2, 3],
      [7, 1, 3, 2],
    ],
  ];
  it.each(batched.flatMap(([a, b]) => [[a, b, "JS"] as const, [a, b, "Wasm"] as const]))(
    "broadcasts batch axes: %j · %j (%s GEMM)",
    (a, b, path) => {
      const wasm = path === "Wasm";
      const inputs = [f32(...a), f32(...b)];
      checkOp("matmul", { inputs, attrs: {} }, EMITTERS, 3, TOLERANCE, { wasm });
    },
  );

  it("folds a batch sharing B into the rows: one GEMM call, no loop", () => {
    const { source } = runOp(
      "matmul",
      [f32(3, 5, 6), f32(6, 7)],
      {},
      [Array(90).fill(1), Array(42).fill(1)],
      EMITTERS,
    );
    const run = source.slice(source.indexOf("function run()"));
    expect(run).toMatch(/^nncGemm\(F, \d+, 6, 1, F, \d+, 7, 1, F, \d+, 15, 6, 7, 0\);$/m);
    expect(run).not.toContain("for (");
  });

  it("wraps int32 products and sums like core", () => {
    // Products up to 2^40 overflow int32; core's float64 sums stay exact, then wrap.
    for (const [m, k, n] of [
      [3, 10, 4],
      [1, 33, 1],
      [5, 2, 7],
    ] as const) {
      checkOp(
        "matmul",
        {
          inputs: [i32(2, m, k), i32(k, n)],
          attrs: {},
          ranges: [
            [-(2 ** 20), 2 ** 20],
            [-(2 ** 20), 2 ** 20],
          ],
        },
        EMITTERS,
        m + k + n,
      );
    }
  });

  it("gives zeros for an empty contraction and nothing for an empty result", () => {
    const zero = runOp("matmul", [f32(2, 3, 0), f32(0, 4)], {}, [[], []], EMITTERS);
    expect([...zero.actual]).toEqual(Array(24).fill(0));
    const empty = runOp("matmul", [f32(0, 3), f32(3, 4)], {}, [[], Array(12).fill(1)], EMITTERS);
    expect(empty.actual.length).toBe(0);
  });

  it("sizes the packing scratch for the program's largest product", () => {
    const g = new GraphBuilder("sizes");
    const h = g.matmul(g.input("x", [6, 10]), g.input("w", [10, 300]));
    g.output("y", g.matmul(h, g.input("v", [300, 3])));
    const ctx = new TestEmitContext(programOf(g.build()));
    declareGemm(ctx);
    // A panels: min(256, k) · ⌈min(64, m)⌉₄ = 256 · 8; B strips: min(256, k) · ⌈min(256, n)⌉₄.
    expect(ctx.helpers.get("nncGemm")).toContain("new Float64Array(2048);");
    expect(ctx.helpers.get("nncGemm")).toContain("new Float64Array(2560);");
  });
});

describe.each([
  ["JavaScript", false],
  ["WebAssembly", true],
] as const)("the GEMM helper (%s)", (_, wasm) => {
  /**
   * Loads the helper of a program with one m×k·k×n product and returns it with an allocator
   * of its operand arrays: plain Float32Arrays, or views of a Wasm memory (after the program's
   * scratch) for the WebAssembly path.
   */
  function loadGemm(m: number, k: number, n: number) {
    const g = new GraphBuilder("gemm");
    g.output("y", g.matmul(g.input("a", [m, k]), g.input("b", [k, n])));
    const program = programOf(g.build());
    const ctx = new TestEmitContext(program);
    const name = declareGemm(ctx);
    let exports: WebAssembly.Exports | undefined;
    let alloc = (length: number) => new Float32Array(length);
    if (wasm) {
      let at = wasmScratchLayout(program).end;
      const bytes = at + 4 * (m * k + k * n + m * n + 64);
      const pages = Math.ceil(bytes / 65536);
      const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
      const module = new WebAssembly.Module(wasmGemmModule());
      exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
      alloc = (length) => {
        const view = new Float32Array(memory.buffer, at, length);
        at += 4 * length;
        return view;
      };
    }
    const source = `${[...ctx.helpers.values()].join("\n")}\nreturn ${name};`;
    const gemm = new Function("nncWasm", source)(exports) as (...args: unknown[]) => void;
    return { gemm, alloc };
  }

  it.each([
    [7, 9, 5, false, false],
    [7, 9, 5, true, false],
    [7, 9, 5, false, true],
    [70, 300, 260, true, true],
    [66, 513, 3, true, false],
  ] as const)(
    "reads operands through any strides and accumulates on request: %i×%i·%i×…, Aᵀ %s, Bᵀ %s",
    (m, k, n, transA, transB) => {
      const { gemm, alloc } = loadGemm(m, k, n);
      const rng = createRng(m + n);
      const a = Float32Array.from(sampleData(rng, f32(m, k)));
      const b = Float32Array.from(sampleData(rng, f32(k, n)));
      // Operands sit past an offset, stored transposed when asked.
      const at = transA ? 5 : 3;
      const bt = 11;
      const A = alloc(at + m * k);
      const B = alloc(bt + k * n);
      for (let i = 0; i < m; i++) {
        for (let p = 0; p < k; p++) A[at + (transA ? p * m + i : i * k + p)] = a[i * k + p]!;
      }
      for (let p = 0; p < k; p++) {
        for (let j = 0; j < n; j++) B[bt + (transB ? j * k + p : p * n + j)] = b[p * n + j]!;
      }
      const expected = new Float64Array(m * n);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
          expected[i * n + j] = s + 1;
        }
      }
      const C = alloc(2 + m * n + 2).fill(1);
      const [ars, acs] = transA ? [1, m] : [k, 1];
      const [brs, bcs] = transB ? [1, k] : [n, 1];
      gemm(A, at, ars, acs, B, bt, brs, bcs, C, 2, m, k, n, 1);
      expectClose(C.subarray(2, 2 + m * n), expected, TOLERANCE);
      // Nothing outside C is written.
      expect([C[0], C[1], C[2 + m * n], C[3 + m * n]]).toEqual([1, 1, 1, 1]);
    },
  );
});

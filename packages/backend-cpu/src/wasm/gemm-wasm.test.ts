import { describe, expect, it } from "vitest";
import { assembleModule } from "./assemble.js";
import { wasmGemmModule, wasmPackBytes, wasmSimdSupported } from "./gemm-wasm.js";

describe("the WebAssembly assembler", () => {
  it("assembles a module that validates and runs", () => {
    const bytes = assembleModule([
      {
        name: "sum",
        params: [["$n", "i32"]],
        locals: [["$s", "i32"]],
        result: "i32",
        body: `
          block $done loop $next
            local.get $n i32.eqz br_if $done
            local.get $s local.get $n i32.add local.set $s
            local.get $n i32.const -1 i32.add local.set $n
            br $next
          end end
          local.get $s`,
      },
    ]);
    expect(WebAssembly.validate(bytes)).toBe(true);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    expect((instance.exports.sum as (n: number) => number)(100)).toBe(5050);
  });

  it("rejects unknown instructions, locals and labels", () => {
    const fn = (body: string) => () =>
      assembleModule([{ name: "f", params: [], locals: [["$x", "i32"]], body }]);
    expect(fn("i32.frobnicate")).toThrow(/unknown instruction/);
    expect(fn("local.get $y drop")).toThrow(/unknown local/);
    expect(fn("block br $nowhere end")).toThrow(/unknown label/);
    expect(fn("block")).toThrow(/unclosed block/);
  });
});

describe("the WebAssembly GEMM", () => {
  it("is supported by this Node and validates", () => {
    expect(wasmSimdSupported()).toBe(true);
    expect(WebAssembly.validate(wasmGemmModule())).toBe(true);
  });

  it("computes strided products with edge tiles, accumulating on request", () => {
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 64 });
    const module = new WebAssembly.Module(wasmGemmModule());
    const gemm = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm as (
      ...args: number[]
    ) => void;
    const F = new Float32Array(memory.buffer);
    for (const [m, k, n] of [
      [1, 1, 1],
      [5, 3, 9],
      [67, 300, 263],
    ] as const) {
      // A stored transposed ([k, m]), B row-major; C starts at ones and accumulates.
      const a = 0;
      const b = m * k;
      const c = b + k * n;
      const [packA, packB] = wasmPackBytes(m, k, n);
      const pa = 4 * (c + m * n) + 64;
      for (let i = 0; i < c; i++) F[i] = Math.fround(Math.sin(i));
      F.fill(1, c, c + m * n);
      gemm(4 * a, 1, m, 4 * b, n, 1, 4 * c, m, k, n, 1, pa, pa + packA, pa + packA + packB);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 1;
          for (let p = 0; p < k; p++) s += F[a + p * m + i]! * F[b + p * n + j]!;
          expect(Math.abs(F[c + i * n + j]! - s)).toBeLessThan(1e-4 * (1 + Math.abs(s)));
        }
      }
    }
  });
});

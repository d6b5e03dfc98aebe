import { compile } from "@nnc/compiler";
import { GraphBuilder } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { cpu } from "./index.js";
import type { CpuInstance } from "./instantiate.js";

async function instanceFor(options?: Parameters<typeof cpu>[0]): Promise<CpuInstance> {
  const g = new GraphBuilder("mm");
  g.output("y", g.matmul(g.input("a", [8, 16]), g.input("b", [16, 4])));
  const backend = cpu(options);
  const exe = await compile(g.build(), { backend });
  return (await backend.instantiate(exe.module, exe.program)) as CpuInstance;
}

describe("GEMM path", () => {
  // Node 20 has WebAssembly SIMD: the Wasm GEMM must actually be used, not silently skipped.
  it("runs the WebAssembly SIMD GEMM where SIMD is available", async () => {
    expect((await instanceFor()).gemm).toBe("wasm");
  });

  it("keeps the JavaScript GEMM when asked", async () => {
    expect((await instanceFor({ wasm: false })).gemm).toBe("js");
  });
});

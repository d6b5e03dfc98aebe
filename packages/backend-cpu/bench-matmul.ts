// Throughput of the CPU backend's matmul and convolution kernels on the BENCHMARKS.md shapes:
// W4 (512³), the W1 MLP's forward and backward products, and the W2/W3 convolutions by both
// lowerings (GEMM and direct loops). Prints GFLOP/s (median and best of the timed runs).
//
//   cd packages/backend-cpu && npx tsx --conditions=source bench-matmul.ts [filter] [--js]
//
// By default the GEMM is the WebAssembly SIMD kernel; --js times the JavaScript GEMM instead.

import { createRng, GraphBuilder, type Pair, type Value } from "@nnc/core";
import { emitConv2d, emitConv2dBackwardKernel, emitConv2dTranspose } from "./src/kernels/conv.js";
import { convPathOverride } from "./src/kernels/conv-geometry.js";
import { declareGemm, emitMatmul, wasmScratchLayout } from "./src/kernels/matmul.js";
import {
  type Emitters,
  instantiate,
  programOf,
  sampleData,
  TestEmitContext,
} from "./src/kernels/test-harness.js";
import { wasmGemmModule } from "./src/wasm/gemm-wasm.js";

const EMITTERS: Emitters = {
  matmul: emitMatmul,
  conv2d: emitConv2d,
  conv2d_transpose: emitConv2dTranspose,
  conv2d_backward_kernel: emitConv2dBackwardKernel,
};

const args = process.argv.slice(2);
const filter = args.find((a) => !a.startsWith("--")) ?? "";
const wasm = !args.includes("--js");

/** Times `run` (after warm-up) until ~0.5 s or 200 runs; returns [median, best] in ms. */
function time(run: () => void): [number, number] {
  for (let i = 0; i < 5; i++) run();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 200 && (times.length < 10 || performance.now() - start < 500)) {
    const t = performance.now();
    run();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return [times[times.length >> 1]!, times[0]!];
}

function report(label: string, flops: number, [median, best]: [number, number]): void {
  const rate = (ms: number) => (flops / ms / 1e6).toFixed(2).padStart(6);
  console.log(
    `${label.padEnd(52)} ${median.toFixed(3).padStart(8)} ms  ${rate(median)} GFLOP/s  (best ${rate(best)})`,
  );
}

/** Builds a graph with `build`, emits it with the kernels under test and times one run. */
function bench(label: string, flops: number, build: (g: GraphBuilder) => Value): void {
  if (!label.includes(filter)) return;
  const g = new GraphBuilder("bench");
  g.output("y", build(g));
  const graph = g.build();
  const instance = instantiate(programOf(graph), EMITTERS, { wasm });
  const rng = createRng(1);
  for (const node of graph.inputs) instance.write(node.id, sampleData(rng, node.type));
  report(label, flops, time(instance.run));
}

function matmul(m: number, k: number, n: number, note = ""): void {
  bench(`matmul ${m}×${k} · ${k}×${n}${note}`, 2 * m * k * n, (g) =>
    g.matmul(g.input("a", [m, k]), g.input("b", [k, n])),
  );
}

/**
 * The GEMM helper called directly on operands stored transposed (A as [k, m], B as [n, k]):
 * what a matmul reading a transpose node's operand in place would cost, instead of running the
 * transpose kernel first.
 */
function stridedGemm(m: number, k: number, n: number, transA: boolean, transB: boolean): void {
  const label = `gemm ${m}×${k} · ${k}×${n} reading ${[transA && "Aᵀ", transB && "Bᵀ"].filter(Boolean).join(", ")} in place`;
  if (!label.includes(filter)) return;
  const g = new GraphBuilder("gemm");
  g.output("y", g.matmul(g.input("a", [m, k]), g.input("b", [k, n])));
  const program = programOf(g.build());
  const ctx = new TestEmitContext(program);
  const name = declareGemm(ctx);
  const source = `${[...ctx.helpers.values()].join("\n")}\nreturn ${name};`;
  // Operands in a Wasm memory after the GEMM's scratch, or plain arrays for the JS GEMM.
  let exports: WebAssembly.Exports | undefined;
  let alloc = (length: number) => new Float32Array(length);
  if (wasm) {
    let at = wasmScratchLayout(program).end;
    const pages = Math.ceil((at + 4 * (m * k + k * n + m * n)) / 65536);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const module = new WebAssembly.Module(wasmGemmModule());
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    alloc = (length) => {
      const view = new Float32Array(memory.buffer, at, length);
      at += 4 * length;
      return view;
    };
  }
  const gemm = new Function("nncWasm", source)(exports) as (...args: unknown[]) => void;
  const rng = createRng(2);
  const a = alloc(m * k).map(() => rng.uniform(-1, 1));
  const b = alloc(k * n).map(() => rng.uniform(-1, 1));
  const c = alloc(m * n);
  const [ars, acs] = transA ? [1, m] : [k, 1];
  const [brs, bcs] = transB ? [1, k] : [n, 1];
  report(
    label,
    2 * m * k * n,
    time(() => gemm(a, 0, ars, acs, b, 0, brs, bcs, c, 0, m, k, n, 0)),
  );
}

interface ConvShape {
  readonly name: string;
  readonly batch: number;
  readonly c: number;
  readonly h: number;
  readonly o: number;
  readonly k: number;
  readonly pad: number;
}

/** conv2d and its two gradients on one shape, by each lowering. */
function conv(shape: ConvShape, ops: readonly ("forward" | "input grad" | "kernel grad")[]): void {
  const { batch, c, h, o, k, pad } = shape;
  const out = h + 2 * pad - k + 1;
  const flops = 2 * batch * o * out * out * c * k * k;
  const padding: [[number, number], [number, number]] = [
    [pad, pad],
    [pad, pad],
  ];
  const attrs = { strides: [1, 1] as Pair, padding, dilations: [1, 1] as Pair, groups: 1 };
  const lowerings = [
    ["gemm", "gather"],
    ["gemm", "scatter"],
    ["direct", undefined],
  ] as const;
  for (const [path, transpose] of lowerings) {
    convPathOverride.path = path;
    convPathOverride.transpose = transpose;
    const label = (op: string) =>
      `${shape.name} ${op} ${batch}×${c}×${h}×${h} → ${o} ${k}×${k}: ${path}`;
    if (ops.includes("forward") && transpose !== "scatter") {
      bench(label("conv2d"), flops, (g) =>
        g.conv2d(g.input("x", [batch, c, h, h]), g.input("w", [o, c, k, k]), {
          padding,
        }),
      );
    }
    if (ops.includes("input grad")) {
      bench(`${label("conv2d_transpose")}${transpose ? ` (${transpose})` : ""}`, flops, (g) =>
        g.apply(
          "conv2d_transpose",
          [g.input("ct", [batch, o, out, out]), g.input("w", [o, c, k, k])],
          {
            ...attrs,
            outputPadding: [0, 0],
          },
        ),
      );
    }
    if (ops.includes("kernel grad") && transpose !== "scatter") {
      bench(label("conv2d_backward_kernel"), flops, (g) =>
        g.conv2dBackwardKernel(
          g.input("x", [batch, c, h, h]),
          g.input("ct", [batch, o, out, out]),
          {
            ...attrs,
            kernel: [k, k],
          },
        ),
      );
    }
  }
  convPathOverride.path = undefined;
  convPathOverride.transpose = undefined;
}

console.log(`Node ${process.version}, ${wasm ? "WebAssembly SIMD" : "JavaScript"} GEMM`);
matmul(512, 512, 512, " (W4)");
matmul(64, 784, 256, " (W1 fc1)");
matmul(64, 256, 128, " (W1 fc2)");
matmul(64, 128, 10, " (W1 fc3)");
matmul(784, 64, 256, " (W1 fc1 dW = xᵀ·ct)");
matmul(64, 256, 784, " (W1 fc1 dx = ct·Wᵀ)");
matmul(256, 64, 128, " (W1 fc2 dW)");
matmul(64, 128, 256, " (W1 fc2 dx)");
stridedGemm(512, 512, 512, true, false);
stridedGemm(512, 512, 512, false, true);
stridedGemm(784, 64, 256, true, false);
stridedGemm(64, 256, 784, false, true);
stridedGemm(256, 64, 128, true, false);
const all = ["forward", "input grad", "kernel grad"] as const;
conv({ name: "W2 conv1", batch: 32, c: 1, h: 28, o: 6, k: 5, pad: 2 }, ["forward", "kernel grad"]);
conv({ name: "W2 conv2", batch: 32, c: 6, h: 14, o: 16, k: 5, pad: 0 }, all);
conv({ name: "W3 conv2", batch: 4, c: 32, h: 32, o: 32, k: 3, pad: 1 }, ["input grad"]);
conv({ name: "W3 conv3", batch: 4, c: 32, h: 16, o: 64, k: 3, pad: 1 }, ["input grad"]);
conv({ name: "few in", batch: 8, c: 3, h: 32, o: 32, k: 3, pad: 1 }, ["input grad"]);
conv({ name: "few out", batch: 8, c: 32, h: 32, o: 4, k: 3, pad: 1 }, ["input grad"]);
for (const batch of [1, 16]) {
  conv({ name: "W3 conv1", batch, c: 3, h: 32, o: 32, k: 3, pad: 1 }, ["forward"]);
  conv({ name: "W3 conv2", batch, c: 32, h: 32, o: 32, k: 3, pad: 1 }, ["forward"]);
  conv({ name: "W3 conv3", batch, c: 32, h: 16, o: 64, k: 3, pad: 1 }, ["forward"]);
  conv({ name: "W3 conv4", batch, c: 64, h: 16, o: 64, k: 3, pad: 1 }, ["forward"]);
}

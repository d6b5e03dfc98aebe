/**
 * Microbenchmark of the CPU backend's elementwise and layout kernels (not a test):
 * `npx tsx bench-elementwise.ts`. Prints the median time per element of fused chains, the
 * same chains node by node, 2-D transposes, and row and column sums.
 */
import { createRng, type Graph, GraphBuilder, type ProgramKernel } from "@nnc/core";
import { groupKernels } from "../compiler/src/passes/fuse-elementwise.js";
import { load, programFor, randomFeed } from "./src/test-support.js";

async function measure(
  label: string,
  graph: Graph,
  kernels: readonly ProgramKernel[],
  elements: number,
): Promise<void> {
  const { instance } = await load(programFor(graph, kernels));
  const rng = createRng(1);
  for (const node of graph.nodes) {
    if (node.op === "input" || node.op === "param") {
      instance.write(node.id, randomFeed(node.type.dtype, node.type.shape, rng));
    }
  }
  const times: number[] = [];
  for (let i = 0; i < 200; i++) instance.run();
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    instance.run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1]!;
  const ns = (median * 1e6) / elements;
  console.log(
    `${label.padEnd(48)} ${median.toFixed(3).padStart(8)} ms  ${ns.toFixed(2).padStart(6)} ns/element  (min ${times[0]!.toFixed(3)}, max ${times.at(-1)!.toFixed(3)})`,
  );
}

const singles = (graph: Graph): ProgramKernel[] =>
  graph.nodes
    .filter((n) => n.op !== "input" && n.op !== "param" && n.op !== "constant")
    .map((n) => ({ kind: "single", nodes: [n.id] }));

function biasRelu(rows: number, cols: number): Graph {
  // relu(y + b): the epilogue of a dense layer, y standing for x·w.
  const g = new GraphBuilder("bias_relu");
  const y = g.input("y", [rows, cols]);
  const b = g.param("b", [cols]);
  g.output("h", g.relu(g.add(y, b)));
  return g.build();
}

function scaleBiasRelu(rows: number, cols: number): Graph {
  // relu(x·w + b) with a per-column scale and bias, all elementwise.
  const g = new GraphBuilder("scale_bias_relu");
  const x = g.input("x", [rows, cols]);
  const w = g.param("w", [cols]);
  const b = g.param("b", [cols]);
  g.output("h", g.relu(g.add(g.mul(x, w), b)));
  return g.build();
}

function sameShapeChain(n: number): Graph {
  const g = new GraphBuilder("same_shape");
  const x = g.input("x", [n]);
  const w = g.input("w", [n]);
  const b = g.input("b", [n]);
  g.output("h", g.relu(g.add(g.mul(x, w), b)));
  return g.build();
}

function transpose(rows: number, cols: number): Graph {
  const g = new GraphBuilder("transpose");
  g.output("t", g.transpose(g.input("x", [rows, cols]), [1, 0]));
  return g.build();
}

function reduce(rows: number, cols: number, axis: number): Graph {
  const g = new GraphBuilder("sum");
  g.output("s", g.sum(g.input("x", [rows, cols]), [axis]));
  return g.build();
}

console.log(`node ${process.version}, ${process.arch}`);
for (const [rows, cols] of [
  [64, 256],
  [256, 1024],
]) {
  const n = rows! * cols!;
  const a = biasRelu(rows!, cols!);
  await measure(`relu(y + b) [${rows},${cols}] fused`, a, groupKernels(a), n);
  await measure(`relu(y + b) [${rows},${cols}] node by node`, a, singles(a), n);
  const b = scaleBiasRelu(rows!, cols!);
  await measure(`relu(x*w + b) [${rows},${cols}] fused`, b, groupKernels(b), n);
  await measure(`relu(x*w + b) [${rows},${cols}] node by node`, b, singles(b), n);
}
const c = sameShapeChain(262144);
await measure("relu(x*w + b) same shape [262144] fused", c, groupKernels(c), 262144);
await measure("relu(x*w + b) same shape [262144] node by node", c, singles(c), 262144);
for (const [rows, cols] of [
  [64, 256],
  [512, 768],
  [1024, 1024],
]) {
  const t = transpose(rows!, cols!);
  await measure(`transpose [${rows},${cols}]`, t, singles(t), rows! * cols!);
}
for (const axis of [1, 0]) {
  const r = reduce(256, 1024, axis);
  await measure(`sum over axis ${axis} of [256,1024]`, r, singles(r), 256 * 1024);
}

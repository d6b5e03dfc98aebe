import {
  BACKEND_API_VERSION,
  type BackendInstance,
  type DType,
  evaluate,
  type Graph,
  GraphBuilder,
  type OpSample,
  type Program,
  type ProgramBuffer,
  type ProgramKernel,
  type Rng,
  randomData,
  sizeOf,
} from "@nnc/core";
import { graphOrder, planBuffers } from "../../compiler/src/memory/plan-buffers.js";
import type { NodeEmitter } from "./emit-context.js";
import { emitModule, type KernelTable } from "./emit-module.js";
import { instantiateModule } from "./instantiate.js";
import { emitElementwise, SCALAR } from "./kernels/elementwise.js";
import {
  emitBroadcastTo,
  emitConcat,
  emitOneHot,
  emitPad,
  emitReshape,
  emitSlice,
  emitTranspose,
} from "./kernels/layout.js";
import { element, locals } from "./kernels/loop-nest.js";
import { emitDropout } from "./kernels/misc.js";
import { emitArgmax, emitMax, emitMin, emitSum } from "./kernels/reduce.js";

// Test helpers: programs built by hand (planned with the compiler's planBuffers, one kernel per
// node unless kernels are given), run through emit + instantiate, compared with core's
// reference evaluator.

/** The kernels of this part of the backend (independent of matmul, conv and pooling). */
export const OWN_KERNELS: KernelTable = {
  ...Object.fromEntries(
    Object.keys(SCALAR).map((op): [string, NodeEmitter] => [op, emitElementwise]),
  ),
  sum: emitSum,
  max: emitMax,
  min: emitMin,
  argmax: emitArgmax,
  reshape: emitReshape,
  transpose: emitTranspose,
  broadcast_to: emitBroadcastTo,
  slice: emitSlice,
  pad: emitPad,
  concat: emitConcat,
  one_hot: emitOneHot,
  dropout: emitDropout,
};

/** A Program for `graph`: buffers from planBuffers over the kernels' order (default: one per node). */
export function programFor(
  graph: Graph,
  kernels: readonly ProgramKernel[] = graphOrder(graph).map((id) => ({
    kind: "single",
    nodes: [id],
  })),
  options: { reuse?: boolean } = {},
): Program {
  const plan = planBuffers(
    graph,
    kernels.flatMap((k) => k.nodes),
    options,
  );
  return {
    apiVersion: BACKEND_API_VERSION,
    mode: "infer",
    graph,
    kernels,
    buffers: plan.buffers.map(
      ({ node, region, offset, bytes, inPlaceOf }): ProgramBuffer => ({
        node,
        region,
        offset,
        bytes,
        ...(inPlaceOf !== undefined && { inPlaceOf }),
      }),
    ),
    arenaBytes: plan.arenaBytes,
    alignment: plan.alignment,
  };
}

/** Emits and instantiates `program` with `table`. */
export async function load(
  program: Program,
  table: KernelTable = OWN_KERNELS,
): Promise<{ source: string; instance: BackendInstance }> {
  const module = emitModule(program, table);
  return { source: module.source, instance: await instantiateModule(module, program) };
}

/** Random data for a value; float32 data already rounded to float32, so both sides see it. */
export function randomFeed(
  dtype: DType,
  shape: readonly number[],
  rng: Rng,
  range?: readonly [number, number],
): number[] {
  const data = Array.from(randomData(dtype, sizeOf(shape), rng, range));
  return dtype === "float32" ? data.map(Math.fround) : data;
}

/** Runs `program` on feeds (inputs and parameters, by name); returns every output by name. */
export async function runProgram(
  program: Program,
  feeds: Readonly<Record<string, ArrayLike<number>>>,
  table: KernelTable = OWN_KERNELS,
): Promise<{ source: string; outputs: Record<string, ArrayLike<number>> }> {
  const { source, instance } = await load(program, table);
  const { graph } = program;
  for (const [name, data] of Object.entries(feeds)) instance.write(graph.findNode(name)!.id, data);
  instance.run();
  const outputs: Record<string, ArrayLike<number>> = {};
  for (const output of graph.outputs) outputs[output.name] = instance.read(output.node);
  return { source, outputs };
}

/**
 * The first element where `actual` and `expected` differ by more than atol + rtol·|expected|
 * (NaN matches NaN, infinities match exactly), as a message; undefined when they agree.
 */
export function mismatch(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
): string | undefined {
  if (actual.length !== expected.length) {
    return `length ${actual.length} instead of ${expected.length}`;
  }
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (
      Number.isNaN(e) ? Number.isNaN(a) : a === e || Math.abs(a - e) <= atol + rtol * Math.abs(e)
    ) {
      continue;
    }
    return `element ${i}: ${a} instead of ${e}`;
  }
  return undefined;
}

/** A one-op graph from an op sample: inputs x0, x1, ... and the output y. */
export function sampleGraph(op: string, sample: OpSample): Graph {
  const g = new GraphBuilder(op);
  const inputs = sample.inputs.map((t, i) => g.input(`x${i}`, t.shape, t.dtype));
  g.output("y", g.apply(op as Parameters<GraphBuilder["apply"]>[0], inputs, sample.attrs));
  return g.build();
}

/** Random feeds for a sample's inputs. */
export function sampleFeeds(sample: OpSample, rng: Rng): Record<string, number[]> {
  return Object.fromEntries(
    sample.inputs.map((t, i) => [`x${i}`, randomFeed(t.dtype, t.shape, rng, sample.ranges?.[i])]),
  );
}

/** The reference outputs of `graph` on `feeds`. */
export function reference(
  graph: Graph,
  feeds: Readonly<Record<string, ArrayLike<number>>>,
): Record<string, ArrayLike<number>> {
  return evaluate(graph, feeds);
}

/** The part of a module after its helpers (kernels and run): must not allocate. */
export function kernelSection(source: string): string {
  const lines = source.split("\n");
  const start = lines.findIndex((l) => l.startsWith("  // %") || l.startsWith("  function run("));
  return lines.slice(start).join("\n");
}

/** A naive 2-D matmul (int32 wrapping), standing in for the real kernel in fusion tests. */
export const naiveMatmul: NodeEmitter = (ctx, node) => {
  const [a, b] = node.inputs.map((i) => ctx.program.graph.node(i));
  const [m, k] = a!.type.shape as [number, number];
  const n = b!.type.shape[1]!;
  const [A, B, C] = [ctx.ref(a!.id), ctx.ref(b!.id), ctx.ref(node.id)];
  const [i, j, p, s] = locals(ctx, "i", "j", "p", "s");
  const product = `${element(A, `${i} * ${k} + ${p}`)}, ${element(B, `${p} * ${n} + ${j}`)}`;
  const step =
    node.type.dtype === "int32"
      ? `${s} = (${s} + Math.imul(${product})) | 0;`
      : `${s} += ${product.replace(", ", " * ")};`;
  return [
    `for (let ${i} = 0; ${i} < ${m}; ${i}++) for (let ${j} = 0; ${j} < ${n}; ${j}++) {`,
    `  let ${s} = 0;`,
    `  for (let ${p} = 0; ${p} < ${k}; ${p}++) ${step}`,
    `  ${element(C, `${i} * ${n} + ${j}`)} = ${s};`,
    "}",
  ].join("\n");
};

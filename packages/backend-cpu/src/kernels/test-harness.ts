import {
  BACKEND_API_VERSION,
  createRng,
  dtypeByteSize,
  evaluate,
  type Graph,
  GraphBuilder,
  type Node,
  OP_SAMPLES,
  type OpName,
  type OpSample,
  type Program,
  type Rng,
  sizeOf,
  type TensorType,
} from "@nnc/core";
import { graphOrder, planBuffers } from "../../../compiler/src/memory/plan-buffers.js";
import type { EmitContext, NodeEmitter, ValueRef } from "../emit-context.js";
import { wasmGemmModule } from "../wasm/gemm-wasm.js";
import { wasmScratchLayout } from "./matmul.js";

// A minimal stand-in for the backend's module emitter, for testing kernels in isolation: a
// hand-built Program (one "single" kernel per compute node, placement from planBuffers), a
// small EmitContext, and a module assembled as `createProgram(arena)` with the kernels'
// statements inline in `run()`.

const VIEWS = { float32: "F", int32: "I", bool: "U" } as const;

/** The Program of a graph: one kernel per compute node in graph order, planned buffers. */
export function programOf(graph: Graph, mode: Program["mode"] = "infer"): Program {
  const schedule = graphOrder(graph);
  const plan = planBuffers(graph, schedule);
  return {
    apiVersion: BACKEND_API_VERSION,
    mode,
    graph,
    kernels: schedule.map((id) => ({ kind: "single" as const, nodes: [id] })),
    buffers: plan.buffers.map((b) => ({
      node: b.node,
      region: b.region,
      offset: b.offset,
      bytes: b.bytes,
      ...(b.inPlaceOf !== undefined && { inPlaceOf: b.inPlaceOf }),
    })),
    arenaBytes: plan.arenaBytes,
    alignment: plan.alignment,
  };
}

/** An EmitContext over a program's placement, collecting helpers in declaration order. */
export class TestEmitContext implements EmitContext {
  readonly program: Program;
  readonly helpers = new Map<string, string>();
  #counter = 0;

  constructor(program: Program) {
    this.program = program;
  }

  ref(node: number): ValueRef {
    const { dtype } = this.program.graph.node(node).type;
    return { view: VIEWS[dtype], base: this.program.buffers[node]!.offset / dtypeByteSize(dtype) };
  }

  local(prefix: string): string {
    return `${prefix}_${this.#counter++}`;
  }

  helper(name: string, code: string): string {
    const existing = this.helpers.get(name);
    if (existing !== undefined && existing !== code) {
      throw new Error(`helper ${name} declared twice with different code`);
    }
    this.helpers.set(name, code);
    return name;
  }
}

/** Emitters by op name, for the ops a test graph uses. */
export type Emitters = Readonly<Partial<Record<OpName, NodeEmitter>>>;

/** The module source of a program: `function createProgram(arena) { … return { run }; }`. */
export function assembleModule(program: Program, emitters: Emitters): string {
  const ctx = new TestEmitContext(program);
  const body: string[] = [];
  for (const kernel of program.kernels) {
    for (const id of kernel.nodes) {
      const node = program.graph.node(id);
      const emit = emitters[node.op as OpName];
      if (!emit) throw new Error(`no emitter for ${node.op}`);
      body.push(`// %${id} = ${node.op}`, emit(ctx, node));
    }
  }
  return [
    "function createProgram(arena, nncWasm) {",
    "const F = new Float32Array(arena), I = new Int32Array(arena), U = new Uint8Array(arena);",
    ...ctx.helpers.values(),
    "function run() {",
    ...body,
    "}",
    "return { run };",
    "}",
  ].join("\n");
}

/** A loaded test program: write sources, run, read any node. */
export interface TestInstance {
  readonly source: string;
  write(node: number, data: ArrayLike<number>): void;
  read(node: number): Float32Array | Int32Array | Uint8Array;
  run(): void;
}

/**
 * Emits, loads and allocates a program: with `wasm`, in a Wasm memory with the WebAssembly
 * GEMM (compiled synchronously, fine in Node), else in an ArrayBuffer with the JavaScript GEMM.
 */
export function instantiate(
  program: Program,
  emitters: Emitters,
  { wasm = false }: { wasm?: boolean } = {},
): TestInstance {
  const source = assembleModule(program, emitters);
  const create = new Function(`${source}\nreturn createProgram;`)() as (
    arena: ArrayBuffer,
    wasm?: unknown,
  ) => {
    run(): void;
  };
  let arena: ArrayBuffer;
  let exports: unknown;
  if (wasm) {
    const pages = Math.max(1, Math.ceil(wasmScratchLayout(program).end / 65536));
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const module = new WebAssembly.Module(wasmGemmModule());
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    arena = memory.buffer;
  } else {
    arena = new ArrayBuffer(Math.ceil(program.arenaBytes / 8) * 8);
  }
  const loaded = create(arena, exports);
  const view = (node: Node) => {
    const { offset } = program.buffers[node.id]!;
    const n = sizeOf(node.type.shape);
    switch (node.type.dtype) {
      case "float32":
        return new Float32Array(arena, offset, n);
      case "int32":
        return new Int32Array(arena, offset, n);
      default:
        return new Uint8Array(arena, offset, n);
    }
  };
  return {
    source,
    write: (node, data) => view(program.graph.node(node)).set(Array.from(data)),
    read: (node) => view(program.graph.node(node)).slice(),
    run: () => loaded.run(),
  };
}

/** Random data for a sample operand: uniform floats, integers in range, or 0/1. */
export function sampleData(
  rng: Rng,
  type: TensorType,
  range: readonly [number, number] = [-2, 2],
): number[] {
  const n = sizeOf(type.shape);
  const [low, high] = range;
  switch (type.dtype) {
    case "float32":
      return Array.from({ length: n }, () => Math.fround(rng.uniform(low, high)));
    case "int32":
      return Array.from({ length: n }, () => low + rng.int(high - low));
    default:
      return Array.from({ length: n }, () => rng.int(2));
  }
}

/** Tolerance of a float32 kernel against the float64 reference. */
export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

/** The default float32 tolerance. */
export const FLOAT32: Tolerance = { rtol: 1e-4, atol: 1e-5 };

/** A one-op graph run by the kernels and by core's reference. */
export interface OpRun {
  readonly graph: Graph;
  readonly program: Program;
  /** The emitted module. */
  readonly source: string;
  readonly actual: Float32Array | Int32Array | Uint8Array;
  readonly expected: ArrayLike<number>;
}

/** Builds `op` over inputs of `types`, runs it on `data` with `emitters` and with evaluate. */
export function runOp(
  op: OpName,
  types: readonly TensorType[],
  attrs: Readonly<Record<string, unknown>>,
  data: readonly (readonly number[])[],
  emitters: Emitters,
  options: { wasm?: boolean } = {},
): OpRun {
  const g = new GraphBuilder("test");
  const inputs = types.map((t, i) => g.input(`x${i}`, t.shape, t.dtype));
  const y = g.apply(op, inputs, attrs);
  g.output("y", y);
  const graph = g.build();
  const feeds = Object.fromEntries(data.map((d, i) => [`x${i}`, d]));
  const expected = evaluate(graph, feeds).y!;
  const program = programOf(graph);
  const instance = instantiate(program, emitters, options);
  inputs.forEach((v, i) => {
    instance.write(v.id, data[i]!);
  });
  instance.run();
  return { graph, program, source: instance.source, actual: instance.read(y.id), expected };
}

/**
 * Runs `sample` of `op` on random data drawn from `seed` and checks the kernels against core's
 * evaluate: exactly for int32 and bool results, within `tolerance` for float32. Returns the run.
 */
export function checkOp(
  op: OpName,
  sample: OpSample,
  emitters: Emitters,
  seed: number,
  tolerance: Tolerance = FLOAT32,
  options: { wasm?: boolean } = {},
): OpRun {
  const rng = createRng(seed);
  const data = sample.inputs.map((t, i) => sampleData(rng, t, sample.ranges?.[i]));
  const run = runOp(op, sample.inputs, sample.attrs, data, emitters, options);
  const exact = run.graph.node(run.graph.outputs[0]!.node).type.dtype !== "float32";
  expectClose(run.actual, run.expected, exact ? { rtol: 0, atol: 0 } : tolerance);
  return run;
}

/**
 * Throws unless |actual − expected| ≤ atol + rtol·|expected| elementwise (NaN must match NaN);
 * plain errors, so the harness also serves scripts outside vitest.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { rtol, atol }: Tolerance,
): void {
  if (actual.length !== expected.length) {
    throw new Error(`got ${actual.length} elements, expected ${expected.length}`);
  }
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    // Equal values (infinities included) are close; NaN only matches NaN.
    const close =
      a === e || (Number.isNaN(e) ? Number.isNaN(a) : Math.abs(a - e) <= atol + rtol * Math.abs(e));
    if (!close) {
      throw new Error(`element ${i}: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)})`);
    }
  }
}

/** Every valid sample of `op` drawn from `draws` seeds, for table-driven tests. */
export function validSamples(op: OpName, draws: number): { sample: OpSample; seed: number }[] {
  const out: { sample: OpSample; seed: number }[] = [];
  for (let seed = 1; seed <= draws; seed++) {
    for (const sample of OP_SAMPLES[op].valid(createRng(seed))) out.push({ sample, seed });
  }
  return out;
}

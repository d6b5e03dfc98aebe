import { compile } from "@nnc/compiler";
import {
  type Backend,
  createRng,
  evaluateAll,
  formatType,
  type Graph,
  GraphBuilder,
  hashString,
  OP_NAMES,
  OP_SAMPLES,
  type OpName,
  type OpSample,
  opDef,
  randomData,
  sizeOf,
} from "@nnc/core";
import { ConformanceError, expectClose } from "./compare.js";
import { kernelBounds, type ResolvedTolerances, uniformBounds } from "./tolerance.js";

/** One op sample run through a backend: the unit of the suite's kernel section. */
export interface KernelCase {
  /** `"<op>#<index>"`: the key that skips this case alone. */
  readonly id: string;
  readonly op: OpName;
  /** Position in the op's sample list. */
  readonly index: number;
  readonly sample: OpSample;
  /** Test title: the id, operand types and attributes. */
  readonly title: string;
}

/** Further seeds searched for operand dtype combinations the first draw missed. */
const COVERAGE_SEEDS = 15;

/**
 * The registry's valid samples of every op of `kind`, in registry order: the draw with the seed
 * of core's registry suite (`hashString(op)`), then, from the next {@link COVERAGE_SEEDS} seeds,
 * the first sample of every operand dtype combination that draw lacks (the samplers pick dtypes
 * at random, and a backend must be tested on float32, int32 and bool alike).
 */
export function kernelCases(kind: "primitive" | "composite"): KernelCase[] {
  return OP_NAMES.filter((op) => opDef(op).kind === kind).flatMap((op) => {
    const signature = (s: OpSample) => s.inputs.map((t) => t.dtype).join(",");
    const seed = hashString(op);
    const samples = OP_SAMPLES[op].valid(createRng(seed));
    const covered = new Set(samples.map(signature));
    for (let k = 1; k <= COVERAGE_SEEDS; k++) {
      for (const sample of OP_SAMPLES[op].valid(createRng(seed + k))) {
        if (covered.has(signature(sample))) continue;
        covered.add(signature(sample));
        samples.push(sample);
      }
    }
    return samples.map((sample, index) => {
      const id = `${op}#${index}`;
      const operands = sample.inputs.map(formatType).join(", ");
      const attrs =
        Object.keys(sample.attrs).length === 0 ? "" : ` ${JSON.stringify(sample.attrs)}`;
      return { id, op, index, sample, title: `${id} (${operands})${attrs}` };
    });
  });
}

/** The graph of one sample: inputs `in0`, `in1`, … and the output `out` = the op. */
export function sampleGraph(op: OpName, sample: OpSample): Graph {
  const g = new GraphBuilder(`conformance-${op}`);
  const inputs = sample.inputs.map((t, i) => g.input(`in${i}`, t.shape, t.dtype));
  g.output("out", g.apply(op, inputs, sample.attrs));
  return g.build();
}

/**
 * Seeded random inputs for a sample, in the sample's ranges, as the typed arrays a caller would
 * feed: float32 data is rounded to float32 up front, so the backend and the reference see the
 * same numbers.
 */
export function sampleFeeds(c: KernelCase): Record<string, Float32Array | Int32Array | Uint8Array> {
  const rng = createRng(hashString(c.id));
  return Object.fromEntries(
    c.sample.inputs.map((t, i) => {
      const data = randomData(t.dtype, sizeOf(t.shape), rng, c.sample.ranges?.[i] ?? [-2, 2]);
      const typed =
        t.dtype === "float32"
          ? Float32Array.from(data)
          : t.dtype === "int32"
            ? Int32Array.from(data)
            : Uint8Array.from(data);
      return [`in${i}`, typed];
    }),
  );
}

/**
 * Passes that would remove trivial samples before the backend sees them (a transpose by the
 * identity, a cast to the same dtype, stop_gradient): disabled, so every sample reaches the
 * backend as the kernel it names.
 */
const KEEP_KERNELS = { disable: ["simplify-algebra"] } as const;

/**
 * Runs one primitive sample on `backend` (compiled for inference with simplification off) and
 * compares it with core's reference evaluation on the same float32 inputs, within the kernel's
 * tolerance ({@link kernelBounds}). Throws a {@link ConformanceError} on a mismatch.
 */
export async function checkPrimitiveCase(
  backend: Backend,
  c: KernelCase,
  tolerances: ResolvedTolerances,
): Promise<void> {
  const graph = sampleGraph(c.op, c.sample);
  const exe = await compile(graph, { backend, passes: KEEP_KERNELS });
  if (!exe.report.opCounts[c.op]) {
    throw new ConformanceError(
      `${c.id}: the compiled program has no ${c.op} kernel (ops: ${JSON.stringify(exe.report.opCounts)}), so the test would check nothing`,
    );
  }
  const feeds = sampleFeeds(c);
  const got = exe.run(feeds).out;
  const { values } = evaluateAll(graph, feeds);
  const node = graph.node(graph.outputs[0]!.node);
  const want = values[node.id]!.data;
  const bounds =
    node.type.dtype === "float32"
      ? kernelBounds(
          c.op,
          node.inputs.map((i) => values[i]!),
          node.inputs.map((i) => graph.node(i).type),
          node.attrs,
          want,
          tolerances,
        )
      : undefined;
  expectClose(`${c.id} out`, node.type.dtype, got, want, bounds);
}

/** 16 float32 ulps (2⁻²³ each, relative) of the largest input magnitude. */
const COMPOSITE_INPUT_ULPS = 16 * 2 ** -23;

/**
 * Runs one composite sample on `backend` through the whole inference pipeline (decomposed,
 * simplified and fused as in real models) and compares it with the reference evaluation of the
 * composite op, within the composite tolerance plus 16 float32 ulps of the largest input magnitude.
 */
export async function checkCompositeCase(
  backend: Backend,
  c: KernelCase,
  tolerances: ResolvedTolerances,
): Promise<void> {
  const graph = sampleGraph(c.op, c.sample);
  const exe = await compile(graph, { backend });
  const feeds = sampleFeeds(c);
  const got = exe.run(feeds).out;
  const want = evaluateAll(graph, feeds).outputs.out!;
  const dtype = graph.node(graph.outputs[0]!.node).type.dtype;
  // Rounding errors of intermediate values scale with the inputs (x − max(x) in log-softmax of
  // logits near ±1000 loses ulps of 1000), so allow 16 float32 ulps of the largest input.
  let largest = 0;
  for (const [i, t] of c.sample.inputs.entries()) {
    if (t.dtype !== "float32") continue;
    for (const v of feeds[`in${i}`]!) largest = Math.max(largest, Math.abs(v));
  }
  const bounds =
    dtype === "float32"
      ? uniformBounds(want, tolerances.composite).map((b) => b + COMPOSITE_INPUT_ULPS * largest)
      : undefined;
  expectClose(`${c.id} out`, dtype, got, want, bounds);
}

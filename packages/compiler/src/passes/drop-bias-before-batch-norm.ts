import {
  type Graph,
  GraphBuilder,
  type Node,
  type Shape,
  shapesEqual,
  type Value,
} from "@nnc/core";
import type { Pass, PassContext } from "./pass.js";

/**
 * Removes a per-channel bias added right before a training-mode batch_norm: the batch mean
 * subtraction cancels it exactly, (h + b) − mean(h + b) = h − mean(h), so the loss and every
 * other gradient are unchanged and the bias's gradient becomes exactly zero (SEEDS.md S4, 2d).
 * Handles `add(h, b)` (either operand order) and a `dense` with its own bias. The bias parameter
 * stays in the graph (parameters are its interface), possibly with no consumer.
 *
 * Running statistics: the batchNorm layer's running-mean update reads mean(h + b), which does
 * include b. The update keeps reading it, as `mean(h) + b` (a [1,C,1,1] add instead of one over
 * the whole activation; `(h + b) − mean(h + b)` in the running variance likewise becomes
 * `h − mean(h)`). Dropping b from the running mean too, as frameworks do when they build the conv
 * without bias, would be wrong here: the inference graph of the same model still adds b (whatever
 * value it has: a non-zero initialiser, or one set by `setParams`), and normalises with the
 * running mean, so inference would shift by b·γ/√(σ² + ε). Keeping b in the running mean keeps
 * the state updates, hence inference with the trained parameters, exactly as without this pass.
 *
 * Requires: training mode (composites not yet decomposed). Preserves: outputs and state updates
 * to rounding (1e-12 relative in float64), the gradient of every parameter but the dropped biases.
 * Leaves the bias alone (with a note) when the biased value also reaches an output by another
 * path than the batch_norm, since the bias is not redundant there.
 */
export const dropBiasBeforeBatchNorm: Pass = {
  name: "drop-bias-before-batch-norm",
  description:
    "Removes a per-channel bias feeding a training-mode batch_norm, whose batch mean cancels it.",
  run(graph, ctx) {
    const norms = graph.nodes.filter((n) => n.op === "batch_norm" && n.attrs.training === true);
    if (ctx.mode !== "train") {
      for (const norm of norms) {
        keep(ctx, norm, "compiling for inference: no batch mean cancels the bias there");
      }
      return graph;
    }
    const toOutputs = reachesOutputs(graph);
    const drops: Drop[] = [];
    for (const norm of norms) {
      const drop = planDrop(graph, norm, toOutputs);
      if (typeof drop === "string") keep(ctx, norm, drop);
      else drops.push(drop);
    }
    if (drops.length === 0) return graph;
    const { result, newId } = rebuild(graph, drops);
    const stillReaches = reachesOutputs(result);
    for (const drop of drops) {
      const bias = newId(drop.bias);
      const source = newId(biasSource(graph, drop.bias));
      noteDrop(ctx, graph, drop, {
        stillUsed: source !== undefined && stillReaches[source] === true,
        updates: bias === undefined ? [] : updatesReading(result, bias),
      });
    }
    return result;
  },
};

/** One bias to drop and how the readers of the biased value are rewritten. */
interface Drop {
  readonly norm: Node;
  /** The biased value the batch_norm reads: `add(h, b)`, or `dense(x, w, b)`. */
  readonly biased: Node;
  /** The unbiased operand of the add; absent for a dense (rebuilt without its bias). */
  readonly unbiased?: number;
  readonly bias: number;
  /** Readers `mean(biased)` (keepDims, channel axis kept), rewritten to `mean(h) + b`. */
  readonly means: ReadonlySet<number>;
  /** Readers `sub(biased, m)` with m in `means`, rewritten to `h − mean(h)`. */
  readonly centered: ReadonlySet<number>;
  /** Whether some other (statistics-only) reader still needs h + b. */
  readonly keepBiased: boolean;
}

function keep(ctx: PassContext, norm: Node, why: string): void {
  ctx.note({ action: "kept", node: norm.name, op: "batch_norm", detail: why });
}

/** For each node, whether some graph output depends on it. */
function reachesOutputs(graph: Graph): boolean[] {
  const result = graph.nodes.map(() => false);
  for (const output of graph.outputs) result[output.node] = true;
  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    if (graph.consumers[id]!.some((c) => result[c])) result[id] = true;
  }
  return result;
}

/** Whether `shape` broadcast against `out` is constant along every axis but 1 (the channels). */
function isPerChannel(shape: Shape, out: Shape): boolean {
  if (shape.length > out.length) return false;
  const shift = out.length - shape.length;
  return shape.every((d, i) => d === 1 || (i + shift === 1 && d === out[1]));
}

/** The drop for `norm`, or why there is none. */
function planDrop(graph: Graph, norm: Node, toOutputs: readonly boolean[]): Drop | string {
  const biased = graph.node(norm.inputs[0]!);
  const shape = biased.type.shape;
  const isBias = (id: number) => isPerChannel(graph.node(id).type.shape, shape);
  let unbiased: number | undefined;
  let bias: number | undefined;
  if (biased.op === "add") {
    const [a, b] = biased.inputs as [number, number];
    const pick = [
      [a, b],
      [b, a],
    ].find(([h, c]) => shapesEqual(graph.node(h!).type.shape, shape) && isBias(c!));
    [unbiased, bias] = pick ?? [];
  } else if (biased.op === "dense" && biased.inputs[2] !== undefined && isBias(biased.inputs[2])) {
    bias = biased.inputs[2];
  }
  if (bias === undefined) {
    return `its input ${biased.name} is ${biased.op}, not a per-channel bias add; there is no bias to drop`;
  }
  const output = graph.outputs.find((o) => o.node === biased.id);
  if (output)
    return `${biased.name} is also output "${output.name}"; its bias is not redundant there`;
  const means = new Set<number>();
  const centered = new Set<number>();
  let keepBiased = graph.updates.some((u) => u.node === biased.id);
  for (const id of new Set(graph.consumers[biased.id])) {
    if (id === norm.id) continue;
    const reader = graph.node(id);
    if (toOutputs[id]) {
      return `${biased.name} also feeds ${reader.name}, which reaches the outputs; its bias is not redundant there`;
    }
    const axes = reader.attrs.axes as readonly number[] | undefined;
    if (reader.op === "mean" && reader.attrs.keepDims === true && !axes?.includes(1)) {
      means.add(id);
    } else if (
      reader.op === "sub" &&
      reader.inputs[0] === biased.id &&
      means.has(reader.inputs[1]!)
    ) {
      centered.add(id);
    } else {
      keepBiased = true;
    }
  }
  return {
    norm,
    biased,
    ...(unbiased !== undefined && { unbiased }),
    bias,
    means,
    centered,
    keepBiased,
  };
}

/** Names of the parameters whose state update depends on node `source`. */
function updatesReading(graph: Graph, source: number): string[] {
  const reached = graph.nodes.map((n) => n.id === source);
  for (const node of graph.nodes) {
    if (node.id > source && node.inputs.some((i) => reached[i])) reached[node.id] = true;
  }
  return graph.updates.filter((u) => reached[u.node]).map((u) => u.param);
}

/**
 * The graph with every drop applied (nodes only the removed bias add read go with it), and the
 * new id of each old node that is still there.
 */
function rebuild(
  graph: Graph,
  drops: readonly Drop[],
): { result: Graph; newId: (old: number) => number | undefined } {
  const g = new GraphBuilder(graph.name);
  const values: (Value | undefined)[] = [];
  const emit = new Map<number, () => Value | undefined>();
  const skip = new Set<number>();
  // Nodes that stop reading their bias operand: a skipped add, or a dense rebuilt without it.
  const unread = new Set<number>();
  const reused = new Set<number>();
  for (const drop of drops) {
    const { norm, biased, bias } = drop;
    const rebuiltDense: { value?: Value } = {};
    const unbiased = () =>
      drop.unbiased === undefined ? rebuiltDense.value! : values[drop.unbiased]!;
    const meanOfUnbiased = new Map<number, Value>();
    unread.add(biased.id);
    for (const id of norm.inputs) reused.add(id);
    if (drop.unbiased !== undefined) reused.add(drop.unbiased);
    if (drop.means.size > 0 || drop.keepBiased) reused.add(bias);
    if (biased.op === "dense") {
      for (const id of biased.inputs.slice(0, 2)) reused.add(id);
      emit.set(biased.id, () => {
        const [x, w] = biased.inputs.map((i) => values[i]!) as [Value, Value];
        rebuiltDense.value = g.copyNode(biased, [x, w]);
        if (!drop.keepBiased) return undefined;
        return g.atLocation(biased.loc, () =>
          g.apply("add", [rebuiltDense.value!, values[bias]!], {}, `${biased.name}/bias`),
        );
      });
    } else if (!drop.keepBiased) {
      skip.add(biased.id);
    }
    emit.set(norm.id, () =>
      g.copyNode(norm, [unbiased(), ...norm.inputs.slice(1).map((i) => values[i]!)]),
    );
    for (const id of drop.means) {
      const mean = graph.node(id);
      emit.set(id, () => {
        const m = g.copyNode(mean, [unbiased()]);
        meanOfUnbiased.set(id, m);
        // mean(h + b) = mean(h) + b: b is constant along every reduced axis.
        return g.atLocation(mean.loc, () =>
          skip.has(biased.id)
            ? g.apply("add", [m, values[bias]!], {}, biased.name, { exactName: true })
            : g.apply("add", [m, values[bias]!], {}, `${mean.name}/bias`),
        );
      });
    }
    for (const id of drop.centered) {
      const sub = graph.node(id);
      // (h + b) − (mean(h) + b) = h − mean(h)
      emit.set(id, () => g.copyNode(sub, [unbiased(), meanOfUnbiased.get(sub.inputs[1]!)!]));
    }
  }
  removeOrphans(graph, skip, unread, reused);
  for (const node of graph.nodes) {
    if (skip.has(node.id)) continue;
    const rewrite = emit.get(node.id);
    values[node.id] = rewrite
      ? rewrite()
      : g.copyNode(
          node,
          node.inputs.map((i) => values[i]!),
        );
  }
  for (const output of graph.outputs) g.output(output.name, values[output.node]!);
  for (const update of graph.updates) {
    g.update(values[graph.findNode(update.param)!.id]!, values[update.node]!);
  }
  return { result: g.build(), newId: (old) => values[old]?.id };
}

/**
 * Adds to `skip` the non-source nodes only skipped or `unread` nodes read (the layer's
 * `reshape(bias)`), unless `reused`. Consumers have larger ids, so one backward sweep suffices.
 */
function removeOrphans(
  graph: Graph,
  skip: Set<number>,
  unread: ReadonlySet<number>,
  reused: ReadonlySet<number>,
): void {
  const pinned = new Set([
    ...graph.outputs.map((o) => o.node),
    ...graph.updates.map((u) => u.node),
  ]);
  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    const node = graph.node(id);
    if (skip.has(id) || reused.has(id) || pinned.has(id)) continue;
    if (node.op === "input" || node.op === "param") continue;
    const consumers = graph.consumers[id]!;
    if (consumers.length > 0 && consumers.every((c) => skip.has(c) || unread.has(c))) skip.add(id);
  }
}

/** The node behind a bias operand: the parameter a layer reshapes to [1, C, 1, 1], or itself. */
function biasSource(graph: Graph, id: number): number {
  const node = graph.node(id);
  const input = node.inputs[0];
  return node.op === "reshape" && graph.node(input!).op === "param" ? input! : id;
}

/**
 * Notes a drop: `stillUsed` when the bias still reaches an output through other uses, `updates`
 * the state updates that still read it (the running mean).
 */
function noteDrop(
  ctx: PassContext,
  before: Graph,
  drop: Drop,
  after: { readonly stillUsed: boolean; readonly updates: readonly string[] },
): void {
  const source = before.node(biasSource(before, drop.bias));
  const gradient = after.stillUsed
    ? "its gradient now comes only from its other uses"
    : "its gradient is exactly zero";
  const stats =
    after.updates.length > 0
      ? ` It still enters the update of ${after.updates.join(", ")} as before, so the running statistics, hence inference with the trained parameters, are unchanged.`
      : source.op === "param"
        ? " The parameter stays in the graph (parameters are its interface)."
        : "";
  ctx.note({
    action: "removed",
    node: drop.biased.name,
    op: drop.biased.op,
    detail: `${source.name}: removed from the computation of the outputs (${drop.norm.name} subtracts the batch mean, which cancels it exactly); ${gradient}.${stats}`,
  });
}

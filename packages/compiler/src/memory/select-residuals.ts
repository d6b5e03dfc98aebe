import {
  dtypeByteSize,
  type Graph,
  GraphBuilder,
  isOpName,
  type Node,
  opDef,
  sizeOf,
  type Value,
} from "@nnc/core";
import { FlowNetwork } from "./max-flow.js";

/** The outcome of residual selection. */
export interface ResidualSelection {
  /** The graph with recomputed values duplicated into the backward part (or the input, unchanged). */
  readonly graph: Graph;
  /** Execution order: the forward nodes, then the backward nodes (compute nodes only). */
  readonly schedule: readonly number[];
  /** Ids of the forward compute nodes (ancestors of the graph's outputs). */
  readonly forward: ReadonlySet<number>;
  /** Ids of the forward values the backward part reads: the activations kept between them. */
  readonly kept: readonly number[];
  /** Names of the forward values recomputed in the backward part instead of being kept. */
  readonly recomputed: readonly string[];
}

/** Options of {@link selectResiduals}. */
export interface ResidualOptions {
  /** Allow recomputing cheap forward values in the backward part (default true). */
  readonly recompute?: boolean;
}

// A reduction is cheap to recompute when each output reads at most this many inputs (a softmax
// over classes: yes; a mean over an image: no).
const CHEAP_REDUCTION_FAN_IN = 64;

const CHEAP_LAYOUT = new Set([
  "reshape",
  "transpose",
  "broadcast_to",
  "slice",
  "pad",
  "concat",
  "one_hot",
]);
const REDUCTIONS = new Set(["sum", "max", "min", "argmax"]);

/**
 * Whether a forward value may be recomputed in the backward part instead of kept: elementwise
 * ops, layout ops and reductions over few elements. Never matmul, convolutions, pooling or large
 * reductions (their recomputation costs far more than their memory).
 */
export function isCheapToRecompute(graph: Graph, node: Node): boolean {
  if (!isOpName(node.op)) return false;
  const def = opDef(node.op);
  if (def.kind !== "primitive") return false;
  if (node.op === "dropout") return false;
  if (def.category === "elementwise" || CHEAP_LAYOUT.has(node.op)) return true;
  if (REDUCTIONS.has(node.op)) {
    const input = sizeOf(graph.node(node.inputs[0]!).type.shape);
    return input <= CHEAP_REDUCTION_FAN_IN * Math.max(1, sizeOf(node.type.shape));
  }
  return false;
}

/** Bytes of a node's value. */
export function valueBytes(node: Node): number {
  return sizeOf(node.type.shape) * dtypeByteSize(node.type.dtype);
}

function isSource(node: Node): boolean {
  return node.op === "input" || node.op === "param" || node.op === "constant";
}

/**
 * Decides which forward values a training step keeps for its backward part, minimising the
 * bytes kept: a minimum cut over byte sizes, as PyTorch's AOTAutograd partitioner does. The
 * forward part is everything the graph's outputs depend on; the rest (gradients, updates) is the
 * backward part. Cheap forward values (see {@link isCheapToRecompute}) may be recomputed in the
 * backward part from kept values, inputs and parameters (which are available anyway and cost
 * nothing to keep); expensive ones must be kept if the backward part needs them.
 * Inference graphs (no backward part) come back unchanged with nothing kept.
 */
export function selectResiduals(graph: Graph, options: ResidualOptions = {}): ResidualSelection {
  const outputsNeed = ancestorsOfOutputs(graph);
  if (options.recompute === false) {
    return finish(graph, outputsNeed, neededBy(graph, outputsNeed), []);
  }
  // Candidates for the forward part: what the outputs need, plus the residual factors JVP rules
  // built from primal values (scope `d(...)`: ReLU's comparison mask, max-pool's argmax...),
  // which may be cheaper to keep in a compact form (bool, int32) than the values they read.
  const candidates = new Set(outputsNeed);
  for (const node of graph.nodes) {
    if (
      node.name.startsWith("d(") &&
      !isSource(node) &&
      node.inputs.every((i) => candidates.has(i) || isSource(graph.node(i)))
    ) {
      candidates.add(node.id);
    }
  }
  const needed = neededBy(graph, candidates);
  if (needed.length === 0) return finish(graph, outputsNeed, [], []);

  // Vertices: v_in = 2v, v_out = 2v + 1 for every node, then the source and the sink. Cutting
  // v_in → v_out (capacity: v's bytes) means keeping v; sources cost nothing to keep.
  const n = graph.nodes.length;
  const source = 2 * n;
  const sink = 2 * n + 1;
  const network = new FlowNetwork(2 * n + 2);
  const neededSet = new Set(needed);
  for (const node of graph.nodes) {
    if (!candidates.has(node.id) && !isSource(node)) continue;
    const [vin, vout] = [2 * node.id, 2 * node.id + 1];
    network.addEdge(vin, vout, isSource(node) ? 0 : keepCost(node, n));
    // Sources are available in the backward part; expensive values can only come from the forward.
    if (isSource(node) || !isCheapToRecompute(graph, node))
      network.addEdge(source, vin, Number.POSITIVE_INFINITY);
    for (const user of graph.consumers[node.id]!) {
      if (candidates.has(user)) network.addEdge(vout, 2 * user, Number.POSITIVE_INFINITY);
    }
    if (neededSet.has(node.id)) network.addEdge(vout, sink, Number.POSITIVE_INFINITY);
  }
  network.maxFlow(source, sink);
  const side = network.sourceSide(source);
  const keep = new Set([...candidates].filter((id) => side.has(2 * id) && !side.has(2 * id + 1)));
  // The forward part runs what the outputs need and the kept residual factors (with the
  // factors they are computed from).
  const forward = new Set(outputsNeed);
  const stack = [...keep];
  while (stack.length) {
    const id = stack.pop()!;
    if (forward.has(id) && !keep.has(id)) continue;
    forward.add(id);
    for (const i of graph.node(id).inputs) if (candidates.has(i) && !forward.has(i)) stack.push(i);
  }
  return rematerialize(graph, forward, keep);
}

/** Forward-part values that nodes outside `forward` read (sorted ids). */
function neededBy(graph: Graph, forward: ReadonlySet<number>): number[] {
  const needed = new Set<number>();
  for (const node of graph.nodes) {
    if (isSource(node) || forward.has(node.id)) continue;
    for (const i of node.inputs) if (forward.has(i)) needed.add(i);
  }
  return [...needed].sort((a, b) => a - b);
}

/**
 * The cost of keeping a value: its bytes, made up to 0.1 % dearer the earlier it is computed, so
 * that among equally large choices the cut keeps the value closest to its use (h rather than
 * W·x before the bias add) and recomputes as little as possible.
 */
function keepCost(node: Node, nodeCount: number): number {
  return Math.max(valueBytes(node), 1e-6) * (1 + (nodeCount - node.id) / (1000 * nodeCount));
}

/** Forward compute nodes: every node an output depends on (sources excluded). */
function ancestorsOfOutputs(graph: Graph): Set<number> {
  const forward = new Set<number>();
  const stack = graph.outputs.map((o) => o.node);
  while (stack.length) {
    const id = stack.pop()!;
    const node = graph.node(id);
    if (forward.has(id) || isSource(node)) continue;
    forward.add(id);
    stack.push(...node.inputs);
  }
  return forward;
}

/**
 * Rebuilds the graph: the forward part first, then the backward part, where every forward value
 * that is read but not kept is recomputed (`recompute/<name>`) from kept values and sources.
 */
function rematerialize(
  graph: Graph,
  forward: ReadonlySet<number>,
  keep: ReadonlySet<number>,
): ResidualSelection {
  const g = new GraphBuilder(graph.name);
  const values: Value[] = [];
  const inForward = (node: Node) => isSource(node) || forward.has(node.id);
  const ordered = [...graph.nodes.filter(inForward), ...graph.nodes.filter((n) => !inForward(n))];
  const copies = new Map<number, Value>();
  const recomputed: string[] = [];
  // The backward part's view of a forward value: kept or a source as is, otherwise recomputed.
  const backwardValue = (id: number): Value => {
    const node = graph.node(id);
    if (!forward.has(id) || keep.has(id)) return values[id]!;
    const done = copies.get(id);
    if (done) return done;
    const inputs = node.inputs.map(backwardValue);
    const copy = g.atLocation(node.loc, () =>
      g.apply(node.op as never, inputs, node.attrs, `recompute/${node.name}`),
    );
    copies.set(id, copy);
    recomputed.push(node.name);
    return copy;
  };
  for (const node of ordered) {
    const inputs = node.inputs.map((i) => (inForward(node) ? values[i]! : backwardValue(i)));
    values[node.id] = g.copyNode(node, inputs);
  }
  for (const output of graph.outputs) g.output(output.name, values[output.node]!);
  for (const update of graph.updates)
    g.update(values[graph.findNode(update.param)!.id]!, values[update.node]!);
  const rebuilt = g.build();
  // copyNode keeps names, so forward ids map across by name.
  const rebuiltForward = new Set(
    [...forward].map((id) => rebuilt.findNode(graph.node(id).name)!.id),
  );
  return finish(rebuilt, rebuiltForward, neededBy(rebuilt, rebuiltForward), recomputed);
}

function finish(
  graph: Graph,
  forward: ReadonlySet<number>,
  kept: readonly number[],
  recomputed: readonly string[],
): ResidualSelection {
  const compute = graph.nodes.filter((n) => !isSource(n));
  const schedule = [
    ...compute.filter((n) => forward.has(n.id)),
    ...compute.filter((n) => !forward.has(n.id)),
  ].map((n) => n.id);
  return { graph, schedule, forward, kept, recomputed };
}

import {
  type Graph,
  GraphBuilder,
  type Node,
  type Operand,
  type OpName,
  type Shape,
  shapesEqual,
  sizeOf,
  type Value,
} from "@nnc/core";
import type { Pass, PassContext } from "./pass.js";

/**
 * Folds each inference-mode batch_norm into the conv2d, dense or matmul that feeds it, directly
 * or through a per-channel bias add: W' = W·γ/√(σ² + ε) per output channel (OIHW axis 0, or
 * axis 1 of a dense `[in, out]` weight) and b' = (b − μ)·γ/√(σ² + ε) + β (b = 0 without bias).
 * W' and b' are graph computations on the parameters, not baked numbers, so `setParams` keeps
 * working; constant folding or hoisting precomputes them.
 * Requires: inference mode; γ, β, μ, σ², the weight and the bias constant (not computed from the
 * graph's inputs). Preserves: outputs to 1e-5 relative (the fold reassociates float math), the
 * names of the conv/dense/matmul and bias-add nodes, every input and parameter.
 * Leaves the pair alone (with a note saying why) when the conv/dense or its bias add has other
 * readers, when a statistic or the weight depends on the inputs, or when the batch_norm normalises
 * with batch statistics (training mode).
 */
export const foldBatchNorm: Pass = {
  name: "fold-batch-norm",
  description:
    "Folds inference-mode batch_norm into the weight and bias of the conv2d or dense feeding it.",
  run(graph, ctx) {
    const norms = graph.nodes.filter((n) => n.op === "batch_norm");
    if (ctx.mode !== "infer") {
      for (const norm of norms) {
        keep(ctx, norm, "compiling for training: the fold is an inference-only rewrite");
      }
      return graph;
    }
    const fromInputs = dependsOnInputs(graph);
    const folds = new Map<number, Fold>();
    const removed = new Set<number>();
    const reused = new Set<number>();
    for (const norm of norms) {
      const fold = planFold(graph, norm, fromInputs);
      if (typeof fold === "string") {
        keep(ctx, norm, fold);
        continue;
      }
      folds.set(norm.id, fold);
      removed.add(fold.linear.id);
      if (fold.add) removed.add(fold.add.id);
      for (const id of [...fold.linear.inputs, ...norm.inputs.slice(1)]) reused.add(id);
      for (const bias of fold.biases) reused.add(bias.source);
    }
    if (folds.size === 0) return graph;
    removeOrphans(graph, removed, reused);

    const g = new GraphBuilder(graph.name);
    const values: Value[] = [];
    for (const node of graph.nodes) {
      if (removed.has(node.id)) continue;
      const fold = folds.get(node.id);
      values[node.id] = fold
        ? emitFold(g, graph, fold, values, removed)
        : g.copyNode(
            node,
            node.inputs.map((i) => values[i]!),
          );
    }
    for (const output of graph.outputs) g.output(output.name, values[output.node]!);
    for (const update of graph.updates) {
      g.update(values[graph.findNode(update.param)!.id]!, values[update.node]!);
    }
    for (const fold of folds.values()) noteFold(ctx, fold);
    return g.build();
  },
};

/** One batch_norm to fold, and the nodes it folds into. */
interface Fold {
  readonly norm: Node;
  /** conv2d, dense or matmul: the node whose weight gets scaled. */
  readonly linear: Node;
  /** The separate per-channel bias add between `linear` and `norm`, if any. */
  readonly add?: Node;
  /** The bias terms b (dense's own operand, the add's operand), each as a per-channel value. */
  readonly biases: readonly Bias[];
}

/** A bias term: node `source`, per channel (extent C on axis 1) or uniform (extent 1). */
interface Bias {
  readonly source: number;
  /** True when `source` already has shape [C]. */
  readonly isVector: boolean;
}

function keep(ctx: PassContext, norm: Node, why: string): void {
  ctx.note({ action: "kept", node: norm.name, op: "batch_norm", detail: why });
}

/** For each node, whether its value is computed from a graph input (so is not constant). */
function dependsOnInputs(graph: Graph): boolean[] {
  const result: boolean[] = [];
  for (const node of graph.nodes) {
    result.push(node.op === "input" || node.inputs.some((i) => result[i]));
  }
  return result;
}

/** Whether node `id` is read by `reader` only: no other consumer, output or state update. */
function readOnlyBy(graph: Graph, id: number, reader: number): boolean {
  const consumers = graph.consumers[id]!;
  return (
    consumers.length === 1 &&
    consumers[0] === reader &&
    !graph.outputs.some((o) => o.node === id) &&
    !graph.updates.some((u) => u.node === id)
  );
}

/** Names of whatever reads node `id` besides `reader`, for notes. */
function otherReaders(graph: Graph, id: number, reader: number): string {
  const names = new Set<string>();
  for (const c of graph.consumers[id]!) if (c !== reader) names.add(graph.node(c).name);
  for (const o of graph.outputs) if (o.node === id) names.add(`output "${o.name}"`);
  for (const u of graph.updates) if (u.node === id) names.add(`the update of ${u.param}`);
  return [...names].join(", ");
}

/**
 * Whether `shape` broadcast against `out` varies only along axis 1 (the channels): right-aligned,
 * every other axis has extent 1 and axis 1 has extent C or 1.
 */
function isPerChannel(shape: Shape, out: Shape): boolean {
  if (shape.length > out.length) return false;
  const shift = out.length - shape.length;
  return shape.every((d, i) => d === 1 || (i + shift === 1 && d === out[1]));
}

function asBias(graph: Graph, id: number, channels: number): Bias {
  const shape = graph.node(id).type.shape;
  return { source: id, isVector: shape.length === 1 && shape[0] === channels };
}

/** The bias term behind operand `id` of a bias add: a reshaped [C] vector is read directly. */
function biasOperand(graph: Graph, id: number, add: number, channels: number): Bias {
  const node = graph.node(id);
  const source = node.inputs[0];
  if (node.op === "reshape" && source !== undefined && readOnlyBy(graph, id, add)) {
    const bias = asBias(graph, source, channels);
    if (bias.isVector) return bias;
  }
  return asBias(graph, id, channels);
}

/** The fold of `norm`, or the reason it cannot be folded. */
function planFold(graph: Graph, norm: Node, fromInputs: readonly boolean[]): Fold | string {
  if (norm.attrs.training === true) {
    return "training-mode batch_norm normalises with batch statistics; there is nothing to fold";
  }
  const roles = ["scale", "offset", "mean", "variance"];
  for (const [k, id] of norm.inputs.slice(1).entries()) {
    if (fromInputs[id]) {
      return `its ${roles[k]} ${graph.node(id).name} is computed from the graph's inputs, so it is not a constant to fold`;
    }
  }
  const out = graph.node(norm.inputs[0]!);
  const channels = out.type.shape[1]!;
  let linear = out;
  let add: Node | undefined;
  const biases: Bias[] = [];
  if (out.op === "add") {
    const [a, b] = out.inputs as [number, number];
    const pick = [
      [a, b],
      [b, a],
    ].find(
      ([l, bias]) =>
        isLinear(graph.node(l!)) &&
        shapesEqual(graph.node(l!).type.shape, out.type.shape) &&
        isPerChannel(graph.node(bias!).type.shape, out.type.shape),
    );
    if (pick) {
      add = out;
      linear = graph.node(pick[0]!);
      biases.push(biasOperand(graph, pick[1]!, out.id, channels));
    }
  }
  if (!isLinear(linear)) {
    return `its input ${out.name} is ${out.op}, not conv2d, dense or matmul (optionally plus a per-channel bias)`;
  }
  if (linear.op !== "conv2d" && linear.type.shape.length !== 2) {
    return `${linear.name} is ${linear.op} with output ${formatDims(linear.type.shape)}: batch_norm's channel axis 1 is not its output-feature axis`;
  }
  const weight = graph.node(linear.inputs[1]!);
  if (linear.op === "matmul" && weight.type.shape.length !== 2) {
    return `${linear.name} multiplies by ${weight.name} of rank ${weight.type.shape.length}, not a 2-D weight`;
  }
  if (linear.op === "dense" && linear.inputs[2] !== undefined) {
    biases.unshift(asBias(graph, linear.inputs[2], channels));
  }
  const reader = add ?? norm;
  if (!readOnlyBy(graph, linear.id, reader.id)) {
    return `${linear.name} also feeds ${otherReaders(graph, linear.id, reader.id)}, which must keep reading the unnormalised value`;
  }
  if (add && !readOnlyBy(graph, add.id, norm.id)) {
    return `${add.name} also feeds ${otherReaders(graph, add.id, norm.id)}, which must keep reading the unnormalised value`;
  }
  for (const id of [weight.id, ...biases.map((b) => b.source)]) {
    if (fromInputs[id]) {
      return `${graph.node(id).name} is computed from the graph's inputs; folding would rescale it on every run`;
    }
  }
  return { norm, linear, ...(add && { add }), biases };
}

function isLinear(node: Node): boolean {
  return node.op === "conv2d" || node.op === "dense" || node.op === "matmul";
}

function formatDims(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/**
 * Drops nodes whose only readers are being removed (the `reshape` of a folded bias), unless a
 * folded node reads them (`reused`). Consumers have larger ids, so one backward sweep suffices.
 */
function removeOrphans(graph: Graph, removed: Set<number>, reused: ReadonlySet<number>): void {
  const pinned = new Set([
    ...graph.outputs.map((o) => o.node),
    ...graph.updates.map((u) => u.node),
  ]);
  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    const node = graph.node(id);
    if (removed.has(id) || reused.has(id) || pinned.has(id)) continue;
    if (node.op === "input" || node.op === "param") continue;
    const consumers = graph.consumers[id]!;
    if (consumers.length > 0 && consumers.every((c) => removed.has(c))) removed.add(id);
  }
}

/** Builds the folded conv/dense (+ bias add) in place of the batch_norm; returns its value. */
function emitFold(
  g: GraphBuilder,
  graph: Graph,
  fold: Fold,
  values: readonly Value[],
  removed: ReadonlySet<number>,
): Value {
  const { norm, linear, add } = fold;
  const [gamma, beta, mean, variance] = norm.inputs.slice(1).map((i) => values[i]!) as [
    Value,
    Value,
    Value,
    Value,
  ];
  const channels = norm.type.shape[1]!;
  const isConv = linear.op === "conv2d";
  const scope = linear.name.includes("/")
    ? linear.name.slice(0, linear.name.lastIndexOf("/"))
    : linear.name;
  const { weight, bias } = g.scope(scope, () =>
    g.atLocation(norm.loc, () => {
      const op = (name: string, kind: OpName, operands: readonly Operand[], attrs = {}) =>
        g.apply(kind, operands, attrs, `fold/${name}`);
      // γ/√(σ² + ε): the whole batch_norm is y = (x − μ)·factor + β, per channel.
      const invStd = op("inv_std", "rsqrt", [
        op("var_eps", "add", [variance, norm.attrs.epsilon as number]),
      ]);
      const factor = op("factor", "mul", [gamma, invStd]);
      const w = values[linear.inputs[1]!]!;
      // OIHW scales along O (axis 0); a dense [in, out] weight along out (axis 1), which
      // broadcasting a [C] vector against the last axis already does.
      const weight = isConv
        ? op("weight", "mul", [
            w,
            op("factor_oihw", "reshape", [factor], { shape: [channels, 1, 1, 1] }),
          ])
        : op("weight", "mul", [w, factor]);
      const terms = fold.biases.map((b) => {
        const v = values[b.source]!;
        if (b.isVector) return v;
        return sizeOf(v.shape) === channels
          ? op("bias_vector", "reshape", [v], { shape: [channels] })
          : // A uniform bias: one value for every channel.
            op("bias_vector", "broadcast_to", [op("bias_vector", "reshape", [v], { shape: [1] })], {
              shape: [channels],
            });
      });
      const b = terms.reduce<Value | undefined>(
        (sum, t) => (sum ? op("bias_sum", "add", [sum, t]) : t),
        undefined,
      );
      const bias = b
        ? op("bias", "add", [
            op("bias_scaled", "mul", [op("bias_centered", "sub", [b, mean]), factor]),
            beta,
          ])
        : op("bias", "sub", [beta, op("mean_scaled", "mul", [mean, factor])]);
      return { weight, bias };
    }),
  );
  const x = values[linear.inputs[0]!]!;
  if (linear.op === "dense") return g.copyNode(linear, [x, weight, bias]);
  const product = g.copyNode(linear, [x, weight]);
  const biasNode = add && graph.node(add.inputs[add.inputs[0] === linear.id ? 1 : 0]!);
  // Reuse the layer's own `reshape(bias, [1, C, 1, 1])` node name when it was folded away.
  const shaped = !isConv
    ? bias
    : biasNode && biasNode.op === "reshape" && removed.has(biasNode.id)
      ? g.copyNode(biasNode, [bias])
      : g.atLocation(norm.loc, () =>
          g.apply("reshape", [bias], { shape: [1, channels, 1, 1] }, `${scope}/reshape`),
        );
  if (!add) {
    return g.atLocation(norm.loc, () => g.apply("add", [product, shaped], {}, `${scope}/add`));
  }
  return g.copyNode(add, add.inputs[0] === linear.id ? [product, shaped] : [shaped, product]);
}

function noteFold(ctx: PassContext, fold: Fold): void {
  const { norm, linear, add } = fold;
  ctx.note({
    action: "removed",
    node: norm.name,
    op: "batch_norm",
    detail: `folded into ${linear.name}: weight scaled by γ/√(σ²+ε) per output channel, bias (b − μ)·γ/√(σ²+ε) + β`,
  });
  ctx.note({
    action: "rewritten",
    node: linear.name,
    op: linear.op,
    detail:
      linear.op === "dense"
        ? "reads the folded weight and bias"
        : `reads the folded weight; ${add ? add.name : "a new add"} adds the folded bias`,
  });
}

import { type Graph, GraphBuilder, NncError, type Value } from "@nnc/core";
import { pruneGraph } from "../prune-graph.js";
import { reachableFrom, traceJvp } from "./jvp-trace.js";
import { residualCopier, transposeLinear } from "./transpose-walk.js";

/** What to differentiate: outputs `of` with respect to inputs or parameters `wrt`. */
export interface DiffOptions {
  /** Output name(s) to differentiate. */
  readonly of: string | readonly string[];
  /** Input or parameter names; default every trainable parameter. */
  readonly wrt?: readonly string[];
}

function ofList(options: DiffOptions): string[] {
  return typeof options.of === "string" ? [options.of] : [...options.of];
}

function wrtList(graph: Graph, options: { readonly wrt?: readonly string[] }): string[] {
  return options.wrt
    ? [...options.wrt]
    : graph.params.filter((p) => p.attrs.trainable !== false).map((p) => p.name);
}

/**
 * Output name of the gradient of a differentiated input or parameter: `grad/<name>`, or
 * `grad2/<name>`, `grad3/<name>`… when the graph already has that output (differentiating a
 * gradient graph again).
 */
export function gradName(name: string, taken: ReadonlySet<string> = new Set()): string {
  let candidate = `grad/${name}`;
  for (let order = 2; taken.has(candidate); order++) candidate = `grad${order}/${name}`;
  return candidate;
}

/**
 * Forward mode: a graph with an extra input `tangent/<x>` for every `wrt` x and an extra output
 * `tangent/<y>` for every output y in `of`: the directional derivative of y along the tangents.
 */
export function jvp(graph: Graph, options: DiffOptions): Graph {
  const of = ofList(options);
  const trace = traceJvp(graph, { wrt: wrtList(graph, options), of });
  const g = new GraphBuilder(trace.combined.name);
  const copy = residualCopier(g, trace.combined);
  for (const node of trace.combined.nodes) copy(node.id);
  for (const name of of) {
    const output = trace.source.outputs.find((o) => o.name === name)!;
    const tangentId = trace.tangentIds[output.node];
    const primal = copy(trace.primalIds[output.node]!);
    g.output(
      `tangent/${name}`,
      tangentId === null ? g.broadcastTo(g.constant(0), primal.shape) : copy(tangentId!),
    );
  }
  // Then the primal outputs (and state updates) of the traced graph.
  return withOutputs(g, trace.combined, copy);
}

function withOutputs(g: GraphBuilder, source: Graph, copy: (id: number) => Value): Graph {
  for (const output of source.outputs) g.output(output.name, copy(output.node));
  for (const update of source.updates)
    g.update(copy(source.findNode(update.param)!.id), copy(update.node));
  return g.build();
}

/** The result of {@link linearize}. */
export interface Linearization {
  /** The original computation, with an extra output `residual/<name>` for every value the linear graph reads. */
  readonly primal: Graph;
  /**
   * The linear map: inputs `tangent/<x>` (linear) and `residual/<name>` (fixed), outputs
   * `tangent/<y>`. Every op in it is linear in the tangents.
   */
  readonly linear: Graph;
  /** Names of the residual values, in the order of the linear graph's residual inputs. */
  readonly residuals: readonly string[];
}

/**
 * JAX's `linearize`: splits the JVP of `graph` into the primal computation (which also returns
 * residuals) and a linear graph of the tangents, whose non-linear inputs are those residuals.
 */
export function linearize(graph: Graph, options: DiffOptions): Linearization {
  const of = ofList(options);
  const trace = traceJvp(graph, { wrt: wrtList(graph, options), of });
  const { combined, linear } = trace;
  // Residuals: non-linear values read by linear nodes (constants are simply copied across).
  const residualIds = new Set<number>();
  for (const id of linear) {
    for (const input of combined.node(id).inputs) {
      if (!linear.has(input) && combined.node(input).op !== "constant") residualIds.add(input);
    }
  }
  const residualNames = [...residualIds].map((id) => combined.node(id).name);

  const p = new GraphBuilder(combined.name);
  const copyPrimal = residualCopier(p, combined);
  for (const node of combined.nodes) if (!linear.has(node.id)) copyPrimal(node.id);
  for (const id of residualIds) p.output(`residual/${combined.node(id).name}`, copyPrimal(id));
  const primal = withOutputs(p, combined, copyPrimal);

  const l = new GraphBuilder(`${combined.name}/linear`);
  const values = new Map<number, Value>();
  for (const [name, id] of trace.tangentInputs)
    values.set(id, l.input(`tangent/${name}`, combined.node(id).type.shape));
  for (const id of residualIds) {
    const node = combined.node(id);
    values.set(id, l.input(`residual/${node.name}`, node.type.shape, node.type.dtype));
  }
  const copyLinear = residualCopier(l, combined, values);
  for (const name of of) {
    const output = trace.source.outputs.find((o) => o.name === name)!;
    const tangentId = trace.tangentIds[output.node];
    const type = combined.node(trace.primalIds[output.node]!).type;
    l.output(
      `tangent/${name}`,
      tangentId == null ? l.broadcastTo(l.constant(0), type.shape) : copyLinear(tangentId),
    );
  }
  return { primal, linear: l.build(), residuals: residualNames };
}

/** Options of {@link linearTranspose}. */
export interface LinearTransposeOptions {
  /** Inputs the graph is linear in; default every input named `tangent/...`. */
  readonly linearInputs?: readonly string[];
}

/**
 * Transposes a linear graph (such as {@link Linearization.linear}): the result takes the same
 * fixed inputs plus `cotangent/<y>` for every output y, and returns `cotangent/<x>` for every
 * linear input x, computing Aᵀ·c where the original computes A·t.
 */
export function linearTranspose(graph: Graph, options: LinearTransposeOptions = {}): Graph {
  const linearInputs =
    options.linearInputs ??
    graph.inputs.filter((n) => n.name.startsWith("tangent/")).map((n) => n.name);
  const linearIds = linearInputs.map((name) => {
    const node = graph.findNode(name);
    if (node?.op !== "input")
      throw new NncError("NNC1005", `"${name}" is not an input of graph "${graph.name}"`);
    return node.id;
  });
  const linear = reachableFrom(graph, linearIds);
  const h = new GraphBuilder(`${graph.name}/transpose`);
  const presets = new Map<number, Value>();
  for (const node of graph.inputs) {
    if (!linear.has(node.id)) presets.set(node.id, h.copyNode(node, []));
  }
  const seeds = new Map<number, Value>();
  for (const output of graph.outputs) {
    if (!linear.has(output.node)) continue;
    const type = graph.node(output.node).type;
    seeds.set(output.node, h.input(`cotangent/${output.name}`, type.shape, type.dtype));
  }
  const cotangents = transposeLinear(
    h,
    { graph, linear },
    seeds,
    residualCopier(h, graph, presets),
  );
  for (const [k, name] of linearInputs.entries()) {
    const type = graph.node(linearIds[k]!).type;
    h.output(
      `cotangent/${name}`,
      cotangents.get(linearIds[k]!) ?? h.broadcastTo(h.constant(0), type.shape),
    );
  }
  return h.build();
}

/** Options of {@link vjp}. */
export interface VjpOptions extends DiffOptions {
  /**
   * Cotangent of each output in `of`: `"input"` adds an input `cotangent/<y>`; `"ones"` seeds
   * with ones (the gradient of a sum). Default `"input"`.
   */
  readonly seed?: "input" | "ones";
}

/**
 * Reverse mode, as linearize + transpose in one graph: the original outputs, plus
 * `grad/<x>` = (∂ of / ∂ x)ᵀ · cotangent for every `wrt` x (`grad2/<x>` if the graph already
 * has a `grad/<x>` output). Residuals come straight from the
 * forward computation; nothing of the tangent (forward-mode) graph remains.
 */
export function vjp(graph: Graph, options: VjpOptions): Graph {
  const of = ofList(options);
  const wrt = wrtList(graph, options);
  const trace = traceJvp(graph, { wrt, of });
  const { combined, linear } = trace;
  const h = new GraphBuilder(combined.name);
  const copy = residualCopier(h, combined);
  // The forward computation first, in its original order.
  for (const node of combined.nodes) if (!linear.has(node.id)) copy(node.id);
  const seeds = new Map<number, Value>();
  for (const name of of) {
    const output = trace.source.outputs.find((o) => o.name === name)!;
    const tangentId = trace.tangentIds[output.node];
    if (tangentId == null) continue;
    const type = combined.node(tangentId).type;
    const seed =
      options.seed === "ones"
        ? h.broadcastTo(h.constant(1), type.shape)
        : h.input(`cotangent/${name}`, type.shape);
    const previous = seeds.get(tangentId);
    seeds.set(tangentId, previous ? h.add(previous, seed) : seed);
  }
  const cotangents = transposeLinear(h, { graph: combined, linear }, seeds, copy);
  for (const output of combined.outputs) h.output(output.name, copy(output.node));
  const taken = new Set(combined.outputs.map((o) => o.name));
  for (const name of wrt) {
    const id = trace.tangentInputs.get(name)!;
    const type = combined.node(id).type;
    h.output(gradName(name, taken), cotangents.get(id) ?? h.broadcastTo(h.constant(0), type.shape));
  }
  for (const update of combined.updates)
    h.update(copy(combined.findNode(update.param)!.id), copy(update.node));
  return pruneGraph(h.build());
}

/**
 * The gradient of a scalar output: `graph`'s outputs plus `grad/<x>` for every `wrt` x (default:
 * every trainable parameter). The result is an ordinary graph, so it can be differentiated again.
 *
 * ```ts
 * const g2 = grad(graph, { of: "loss", wrt: ["fc1.weight"] }); // outputs: loss, grad/fc1.weight
 * ```
 */
export function grad(graph: Graph, options: DiffOptions): Graph {
  const of = ofList(options);
  if (of.length !== 1)
    throw new NncError(
      "NNC1002",
      `grad differentiates one output; got ${of.length} (use vjp for several)`,
    );
  const output = graph.outputs.find((o) => o.name === of[0]);
  if (output) {
    const node = graph.node(output.node);
    if (node.type.shape.reduce((a, b) => a * b, 1) !== 1) {
      throw new NncError(
        "NNC2008",
        `grad needs a scalar output, but "${of[0]}" has shape [${node.type.shape.join(",")}]; reduce it (sum, mean) or use vjp`,
        { op: node.op, node: node.name, ...(node.loc && { location: node.loc }) },
      );
    }
  }
  return vjp(graph, { ...options, seed: "ones" });
}

/** {@link grad}, also naming where the value and each gradient are in the result. */
export function valueAndGrad(
  graph: Graph,
  options: DiffOptions,
): {
  readonly graph: Graph;
  readonly value: string;
  readonly grads: Readonly<Record<string, string>>;
} {
  const result = grad(graph, options);
  const taken = new Set(graph.outputs.map((o) => o.name));
  return {
    graph: result,
    value: ofList(options)[0]!,
    grads: Object.fromEntries(wrtList(graph, options).map((name) => [name, gradName(name, taken)])),
  };
}

import {
  expandComposites,
  type Graph,
  GraphBuilder,
  NncError,
  type Node,
  opDef,
  shapesEqual,
  type Value,
} from "@nnc/core";

/**
 * A tangent that reached a value only through a non-differentiable op (a comparison, argmax, a
 * cast to int). It is harmless until a rule needs it; then it becomes an NNC6001 error naming
 * the op and the path from the differentiated input to it.
 */
export interface PoisonedTangent {
  readonly poisoned: true;
  /** The non-differentiable node (in the traced graph). */
  readonly node: Node;
}

/** A node's tangent: a value, null for zero, or poisoned. */
export type TangentState = Value | null | PoisonedTangent;

/** The result of tracing a graph's JVP into one combined graph. */
export interface JvpTrace {
  /** The traced graph, after composites were expanded into primitives. */
  readonly source: Graph;
  /** Primal copies of the source nodes, then tangent computations, in one graph. */
  readonly combined: Graph;
  /** Source node id → its primal node id in `combined`. */
  readonly primalIds: readonly number[];
  /** Source node id → its tangent node id in `combined`, null when zero. */
  readonly tangentIds: readonly (number | null)[];
  /** Ids in `combined` of nodes that depend on a tangent input (the linear part). */
  readonly linear: ReadonlySet<number>;
  /** Differentiated input/parameter name → its tangent input's id in `combined`. */
  readonly tangentInputs: ReadonlyMap<string, number>;
}

/** What is being differentiated, for error messages. */
export interface TraceRequest {
  /** Names of the inputs/parameters to differentiate with respect to. */
  readonly wrt: readonly string[];
  /** Names of the outputs whose tangents are needed (their tangents must not be poisoned). */
  readonly of: readonly string[];
  /** Name prefix of the tangent inputs. */
  readonly tangentPrefix?: string;
}

/**
 * Runs every node's JVP rule, building the primal computation and the tangent computation into
 * one graph. Tangent nodes are linear in the tangent inputs by construction (the rules only
 * multiply tangents by primal residuals), which is what makes the later transposition possible.
 */
export function traceJvp(graph: Graph, request: TraceRequest): JvpTrace {
  const source = expandComposites(graph);
  checkRequest(source, request);
  const prefix = request.tangentPrefix ?? "tangent/";
  const g = new GraphBuilder(source.name);
  const primal: Value[] = [];
  const tangent: TangentState[] = [];
  const tangentInputs = new Map<string, number>();

  for (const node of source.nodes) {
    const inputs = node.inputs.map((i) => primal[i]!);
    const p = g.copyNode(node, inputs);
    primal.push(p);
    if (node.op === "input" || node.op === "param") {
      if (request.wrt.includes(node.name)) {
        const t = g.atLocation(node.loc, () =>
          g.input(`${prefix}${node.name}`, node.type.shape, node.type.dtype),
        );
        tangentInputs.set(node.name, t.id);
        tangent.push(t);
      } else {
        tangent.push(null);
      }
      continue;
    }
    if (node.op === "constant") {
      tangent.push(null);
      continue;
    }
    const inTangents = node.inputs.map((i) => tangent[i]!);
    if (inTangents.every((t) => t === null)) {
      tangent.push(null);
      continue;
    }
    const def = opDef(node.op);
    // Integer and boolean values carry no tangent; anything that needs one through them fails.
    if (node.type.dtype !== "float32" || !def.jvp) {
      tangent.push({ poisoned: true, node });
      continue;
    }
    const t = g.atLocation(node.loc, () =>
      g.scope(`d(${node.name})`, () =>
        def.jvp!({
          g,
          primals: inputs,
          out: p,
          attrs: node.attrs,
          tangent: (i) => {
            const state = inTangents[i];
            if (state === undefined) throw new RangeError(`${node.op} has no operand ${i}`);
            if (state !== null && "poisoned" in state) {
              throw notDifferentiable(source, state.node, tangent, request, node);
            }
            return state;
          },
        }),
      ),
    );
    if (t && !shapesEqual(t.shape, p.shape)) {
      tangent.push(g.atLocation(node.loc, () => g.broadcastTo(t, p.shape)));
    } else {
      tangent.push(t);
    }
  }

  for (const output of source.outputs) {
    g.output(output.name, primal[output.node]!);
    const state = tangent[output.node];
    if (request.of.includes(output.name) && state && "poisoned" in state) {
      throw notDifferentiable(source, state.node, tangent, request);
    }
  }
  for (const update of source.updates) {
    g.update(primal[source.findNode(update.param)!.id]!, primal[update.node]!);
  }
  const combined = g.build();
  const tangentIds = tangent.map((t) => (t && !("poisoned" in t) ? t.id : null));
  return {
    source,
    combined,
    primalIds: primal.map((p) => p.id),
    tangentIds,
    linear: reachableFrom(combined, [...tangentInputs.values()]),
    tangentInputs,
  };
}

/** Ids of the nodes that depend, directly or not, on any of `roots` (roots included). */
export function reachableFrom(graph: Graph, roots: readonly number[]): Set<number> {
  const reached = new Set(roots);
  for (const node of graph.nodes) {
    if (node.inputs.some((i) => reached.has(i))) reached.add(node.id);
  }
  return reached;
}

function checkRequest(graph: Graph, request: TraceRequest): void {
  for (const name of request.wrt) {
    const node = graph.findNode(name);
    if (!node || (node.op !== "input" && node.op !== "param")) {
      throw new NncError(
        "NNC1005",
        `cannot differentiate with respect to "${name}": no input or parameter has that name`,
      );
    }
    if (node.type.dtype !== "float32") {
      throw new NncError(
        "NNC6001",
        `cannot differentiate with respect to ${node.op} "${name}": it is ${node.type.dtype}, and only float32 values have gradients`,
        { ...(node.loc && { location: node.loc }) },
      );
    }
  }
  for (const name of request.of) {
    const output = graph.outputs.find((o) => o.name === name);
    if (!output) {
      throw new NncError(
        "NNC1005",
        `cannot differentiate "${name}": the graph has no output of that name (outputs: ${graph.outputs.map((o) => JSON.stringify(o.name)).join(", ")})`,
      );
    }
    const node = graph.node(output.node);
    if (node.type.dtype !== "float32") {
      throw new NncError(
        "NNC6001",
        `output "${name}" is ${node.type.dtype} (from ${node.op}): only float32 outputs can be differentiated`,
        { op: node.op, node: node.name, ...(node.loc && { location: node.loc }) },
      );
    }
  }
}

/**
 * The NNC6001 error for a tangent needed through a non-differentiable op: names the op, where it
 * was built, and the path from a differentiated input to it (and to the op that needed it).
 */
function notDifferentiable(
  graph: Graph,
  culprit: Node,
  tangent: readonly TangentState[],
  request: TraceRequest,
  consumer?: Node,
): NncError {
  // Walk back from the culprit along operands that carried a tangent, to a differentiated input.
  const path = [culprit.name];
  let current = culprit;
  for (;;) {
    const next = current.inputs.map((i) => graph.node(i)).find((n) => tangent[n.id] !== null);
    if (!next) break;
    path.unshift(next.name);
    if (next.op === "input" || next.op === "param") break;
    current = next;
  }
  if (consumer) path.push(consumer.name);
  const wrt = path[0]!;
  const of = request.of.length === 1 ? `"${request.of[0]}"` : "the requested outputs";
  return new NncError(
    "NNC6001",
    `not differentiable, but the gradient of ${of} with respect to "${wrt}" flows through it: ${path.join(" → ")}`,
    { op: culprit.op, node: culprit.name, ...(culprit.loc && { location: culprit.loc }) },
  );
}

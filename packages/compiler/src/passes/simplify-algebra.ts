import {
  formatShape,
  type Graph,
  type GraphBuilder,
  type Node,
  type OpAttrMap,
  type OpName,
  shapesEqual,
  type Value,
} from "@nnc/core";
import type { Pass, PassContext, PassNote } from "./pass.js";
import { rewriteGraph } from "./rewrite-graph.js";

/** Sweeps after which a rule set that keeps rewriting must be cycling: a bug, not a big graph. */
const MAX_SWEEPS = 64;

/**
 * Applies algebraic identities until none applies (a fixed point within the pass):
 * - x + 0, 0 + x, x − 0, x·1, 1·x, x / 1 → x; −(−x) → x. "0" and "1" are constants whose
 *   values all equal 0 or 1, also seen through broadcast_to and reshape.
 * - x·0 → 0 only where that holds: for int32 (no ∞, no NaN), or when x is a constant with
 *   finite values. For a float x that may be ±∞ or NaN, x·0 is NaN, so it is kept (and noted).
 * - transpose of a transpose → one transpose, or nothing when the permutations cancel;
 *   transpose by the identity permutation → nothing.
 * - reshape of a reshape → one reshape; reshape to the operand's shape → nothing.
 * - broadcast_to of a broadcast_to → one; broadcast_to to the operand's shape → nothing.
 * - sum, mean, max, min, log_sum_exp over axes of size 1 → reshape (nothing with keepDims);
 *   argmax over an axis of size 1 → zeros.
 * - cast to the operand's dtype, a slice covering the whole tensor, pad with no padding →
 *   nothing.
 * - stop_gradient → nothing: it only matters to differentiation, and compiled graphs are
 *   differentiated before this pass runs.
 * An identity applies only when the result keeps the node's shape and dtype: x + 0 where the
 * zero broadcasts x to a bigger shape becomes broadcast_to(x), not x.
 *
 * Requires: autodiff already done (removing stop_gradient changes later gradients).
 * Preserves: outputs exactly (1e-12 relative on the reference evaluator), except the sign of a
 * zero: x + 0 → x and sums over one element keep −0 where float arithmetic gives +0, and x·0 →
 * +0 for negative finite x (XLA's algebraic simplifier treats ±0 alike in the same way). Nodes that
 * replace others keep their names. Operands left unused stay until eliminate-dead-code.
 */
export const simplifyAlgebra: Pass = {
  name: "simplify-algebra",
  description:
    "Applies algebraic identities (x + 0, x·1, transpose∘transpose, …) to a fixed point.",
  run(graph, ctx) {
    let current = graph;
    for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      const kept: PassNote[] = [];
      const next = sweepOnce(current, ctx, kept);
      if (next === current) {
        // Only the last sweep's non-changes describe the result.
        for (const note of kept) ctx.note(note);
        return current;
      }
      current = next;
    }
    throw new Error(
      `nnc bug: simplify-algebra did not reach a fixed point in ${MAX_SWEEPS} sweeps`,
    );
  },
};

/** What a rule turned a node into. */
interface Rewrite {
  readonly value: Value;
  /** "removed": the node's value is an existing value; "rewritten": a new node computes it. */
  readonly action: "removed" | "rewritten";
  readonly detail: string;
}

/** One node being simplified, in the graph of the current sweep. */
interface Site {
  readonly graph: Graph;
  readonly node: Node;
  readonly g: GraphBuilder;
  /** The rebuilt value of a node of `graph` that feeds this node or one of its operands. */
  value(id: number): Value;
  keep(detail: string): void;
}

function sweepOnce(graph: Graph, ctx: PassContext, kept: PassNote[]): Graph {
  const rebuilt = new Map<number, Value>();
  return rewriteGraph(graph, (node, inputs, g) => {
    for (const [i, id] of node.inputs.entries()) rebuilt.set(id, inputs[i]!);
    const site: Site = {
      graph,
      node,
      g,
      value: (id) => {
        const value = rebuilt.get(id);
        if (!value) throw new Error(`nnc bug: simplify-algebra read %${id} before rebuilding it`);
        return value;
      },
      keep: (detail) => kept.push({ action: "kept", node: node.name, op: node.op, detail }),
    };
    const rewrite = simplify(site);
    if (!rewrite) return undefined;
    ctx.note({ action: rewrite.action, node: node.name, op: node.op, detail: rewrite.detail });
    return rewrite.value;
  });
}

function simplify(site: Site): Rewrite | undefined {
  const { node } = site;
  switch (node.op) {
    case "add":
      return (
        ifSplat(site, 1, 0, () => identity(site, 0, "x + 0 → x")) ??
        ifSplat(site, 0, 0, () => identity(site, 1, "0 + x → x"))
      );
    case "sub":
      return ifSplat(site, 1, 0, () => identity(site, 0, "x − 0 → x"));
    case "mul":
      return (
        ifSplat(site, 1, 1, () => identity(site, 0, "x·1 → x")) ??
        ifSplat(site, 0, 1, () => identity(site, 1, "1·x → x")) ??
        ifSplat(site, 1, 0, () => timesZero(site, 0)) ??
        ifSplat(site, 0, 0, () => timesZero(site, 1))
      );
    case "div":
      return ifSplat(site, 1, 1, () => identity(site, 0, "x / 1 → x"));
    case "neg": {
      const inner = operandNode(site, 0);
      return inner.op === "neg"
        ? { value: site.value(inner.inputs[0]!), action: "removed", detail: "−(−x) → x" }
        : undefined;
    }
    case "transpose":
      return simplifyTranspose(site);
    case "reshape": {
      const inner = operandNode(site, 0);
      if (inner.op === "reshape") {
        return layout(
          site,
          site.value(inner.inputs[0]!),
          "reshape of a reshape",
          "one reshape",
          (x) => site.g.apply("reshape", [x], { shape: [...node.type.shape] }, node.name, EXACT),
        );
      }
      return sameType(site, "reshape to the same shape → nothing");
    }
    case "broadcast_to": {
      const inner = operandNode(site, 0);
      if (inner.op === "broadcast_to") {
        return layout(
          site,
          site.value(inner.inputs[0]!),
          "broadcast_to of a broadcast_to",
          "one broadcast_to",
          (x) =>
            site.g.apply("broadcast_to", [x], { shape: [...node.type.shape] }, node.name, EXACT),
        );
      }
      return sameType(site, "broadcast_to to the same shape → nothing");
    }
    case "sum":
    case "mean":
    case "max":
    case "min":
    case "log_sum_exp": {
      const { axes } = attrsOf(node, node.op);
      const shape = operandNode(site, 0).type.shape;
      if (!axes.every((a) => shape[a] === 1)) return undefined;
      // Reducing one element gives that element (0 + x, x / 1, max(−∞, x), m + log e^(x − m)).
      return layout(
        site,
        site.value(node.inputs[0]!),
        `${node.op} over axes of size 1`,
        "reshape",
        (x) => site.g.apply("reshape", [x], { shape: [...node.type.shape] }, node.name, EXACT),
      );
    }
    case "argmax": {
      const { axis } = attrsOf(node, "argmax");
      return operandNode(site, 0).type.shape[axis] === 1
        ? { value: zeros(site), action: "rewritten", detail: "argmax over an axis of size 1 → 0" }
        : undefined;
    }
    case "cast":
      return sameType(site, "cast to the same dtype → nothing");
    case "slice": {
      const { start } = attrsOf(node, "slice");
      // Same extents from index 0: a step > 1 can only appear on an axis of extent ≤ 1.
      return start.every((s) => s === 0)
        ? sameType(site, "slice covering the whole tensor → nothing")
        : undefined;
    }
    case "pad": {
      const { pads } = attrsOf(node, "pad");
      // With no edge padding, equal shapes mean no interior padding either.
      return pads.every(([before, after]) => before === 0 && after === 0)
        ? sameType(site, "pad with no padding → nothing")
        : undefined;
    }
    case "stop_gradient":
      return {
        value: site.value(node.inputs[0]!),
        action: "removed",
        detail: "stop_gradient → identity (it only matters to differentiation, already done)",
      };
    default:
      return undefined;
  }
}

const EXACT = { exactName: true } as const;

function attrsOf<P extends OpName>(node: Node, _op: P): OpAttrMap[P] {
  return node.attrs as unknown as OpAttrMap[P];
}

function operandNode(site: Site, i: number): Node {
  return site.graph.node(site.node.inputs[i]!);
}

/**
 * The values of a constant, seen through broadcast_to and reshape (which only repeat or regroup
 * them), or undefined when `id` is not such a chain.
 */
function constantValues(graph: Graph, id: number): readonly number[] | undefined {
  let node = graph.node(id);
  while (node.op === "broadcast_to" || node.op === "reshape") node = graph.node(node.inputs[0]!);
  return node.op === "constant" ? (node.attrs.value as number[]) : undefined;
}

/** Runs `then` when operand `i` is a constant whose values all equal `value` (±0 alike). */
function ifSplat(
  site: Site,
  i: number,
  value: number,
  then: () => Rewrite | undefined,
): Rewrite | undefined {
  const values = constantValues(site.graph, site.node.inputs[i]!);
  return values && values.length > 0 && values.every((v) => v === value) ? then() : undefined;
}

/** The node's value is operand `i`'s, broadcast to the node's shape when the other operand widens it. */
function identity(site: Site, i: number, detail: string): Rewrite {
  const { node, g } = site;
  const x = site.value(node.inputs[i]!);
  if (shapesEqual(x.shape, node.type.shape)) return { value: x, action: "removed", detail };
  return {
    value: g.apply("broadcast_to", [x], { shape: [...node.type.shape] }, node.name, EXACT),
    action: "rewritten",
    detail: `${detail} broadcast to ${formatShape(node.type.shape)}`,
  };
}

/** x·0 with the zero as operand `1 − i`: zeros where that is exact, kept (and noted) otherwise. */
function timesZero(site: Site, i: number): Rewrite | undefined {
  const { node } = site;
  if (node.type.dtype === "int32") {
    return { value: zeros(site), action: "rewritten", detail: "x·0 → 0 (int32 has no ∞ or NaN)" };
  }
  const x = constantValues(site.graph, node.inputs[i]!);
  if (x?.every(Number.isFinite)) {
    return { value: zeros(site), action: "rewritten", detail: "x·0 → 0 (x is a finite constant)" };
  }
  site.keep("x·0 kept: x may be ±∞ or NaN, where x·0 is NaN, not 0");
  return undefined;
}

/** Zeros of the node's type: a scalar constant, broadcast when the node is not a scalar. */
function zeros(site: Site): Value {
  const { node, g } = site;
  const zero = g.constant(0, [], node.type.dtype);
  return node.type.shape.length === 0
    ? zero
    : g.apply("broadcast_to", [zero], { shape: [...node.type.shape] }, node.name, EXACT);
}

/** Removes the node when its operand already has its type. */
function sameType(site: Site, detail: string): Rewrite | undefined {
  const x = site.value(site.node.inputs[0]!);
  const { type } = site.node;
  return shapesEqual(x.shape, type.shape) && x.dtype === type.dtype
    ? { value: x, action: "removed", detail }
    : undefined;
}

/** `what` done by one layout op on `x`: nothing when `x` already has the node's shape, else `build(x)`. */
function layout(
  site: Site,
  x: Value,
  what: string,
  replacement: string,
  build: (x: Value) => Value,
): Rewrite {
  return shapesEqual(x.shape, site.node.type.shape)
    ? { value: x, action: "removed", detail: `${what} → nothing` }
    : { value: build(x), action: "rewritten", detail: `${what} → ${replacement}` };
}

function simplifyTranspose(site: Site): Rewrite | undefined {
  const { node, g } = site;
  const { perm } = attrsOf(node, "transpose");
  const inner = operandNode(site, 0);
  if (inner.op === "transpose") {
    // Output axis i of the outer transpose is inner axis perm[i], which is x's axis p[perm[i]].
    const p = attrsOf(inner, "transpose").perm;
    const composed = perm.map((axis) => p[axis]!);
    const x = site.value(inner.inputs[0]!);
    return isIdentity(composed)
      ? { value: x, action: "removed", detail: "transpose of a transpose → nothing (they cancel)" }
      : {
          value: g.apply("transpose", [x], { perm: composed }, node.name, EXACT),
          action: "rewritten",
          detail: `transpose of a transpose → one transpose [${composed.join(",")}]`,
        };
  }
  return isIdentity(perm)
    ? {
        value: site.value(node.inputs[0]!),
        action: "removed",
        detail: "transpose by the identity permutation → nothing",
      }
    : undefined;
}

function isIdentity(perm: readonly number[]): boolean {
  return perm.every((axis, i) => axis === i);
}

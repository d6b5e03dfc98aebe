import {
  dtypeByteSize,
  type Feeds,
  formatShape,
  type Graph,
  initialParams,
  NncError,
  type Node,
  type OpName,
  opDef,
  type ReferenceArray,
  type RefTensor,
  shapesEqual,
  sizeOf,
  toReferenceArray,
} from "@nnc/core";
import type { BufferPlan } from "./buffer-plan.js";
import { schedulePositions } from "./plan-buffers.js";

/** What {@link evaluatePlanned} computed: the same records as core's `evaluateAll`. */
export interface PlannedEvaluation {
  /** Each named output. */
  readonly outputs: Record<string, ReferenceArray>;
  /** New values of parameters with state updates, by name. */
  readonly updates: Record<string, ReferenceArray>;
}

/**
 * Runs `graph` with the reference semantics in `plan.schedule` order, keeping every value in
 * one arena at its planned offset, so a planning bug shows up as a wrong result. The arena is a
 * Float64Array with one slot per byte: element k of a buffer at offset o is the float64 in slot
 * o + k·s (s the dtype's byte size), and the other s − 1 slots of the element hold copies of it.
 * Every read checks the copies, so a buffer overlapping another by part of an element is caught
 * too; slots start as NaN, so reading memory nothing wrote poisons the result.
 *
 * Sources are written before the first step: inputs from `feeds`, parameters from `feeds` or
 * their initialisers, constants from their values. The schedule must be valid (it throws
 * otherwise); the offsets are trusted, which is the point. A node's operands are all read from
 * the arena before its result is written, which is how an in-place kernel behaves; a node not
 * declared in place first has its bytes poisoned with NaN, since a kernel may write part of its
 * result before it has read all of its operands. Returns the outputs and state updates read
 * from the arena after the last step: bit-identical to core's `evaluateAll` for a correct plan.
 */
export function evaluatePlanned(
  graph: Graph,
  plan: BufferPlan,
  feeds: Feeds = {},
): PlannedEvaluation {
  for (const name of Object.keys(feeds)) {
    const node = graph.findNode(name);
    if (node?.op !== "input" && node?.op !== "param") {
      throw new NncError(
        "NNC4003",
        `"${name}" is neither an input nor a parameter of graph "${graph.name}"`,
      );
    }
  }
  schedulePositions(graph, plan.schedule);
  const arena = new Float64Array(plan.arenaBytes).fill(Number.NaN);
  const params = initialParams(graph);

  const write = (node: Node, data: Float64Array): void => {
    const { offset } = plan.buffers[node.id]!;
    const step = dtypeByteSize(node.type.dtype);
    for (let k = 0; k < data.length; k++) {
      arena.fill(data[k]!, offset + k * step, offset + (k + 1) * step);
    }
  };
  const read = (node: Node): RefTensor => {
    const { offset } = plan.buffers[node.id]!;
    const step = dtypeByteSize(node.type.dtype);
    const data = new Float64Array(sizeOf(node.type.shape));
    for (let k = 0; k < data.length; k++) {
      const at = offset + k * step;
      const value = arena[at]!;
      for (let s = 1; s < step; s++) {
        if (!Object.is(arena[at + s], value)) {
          throw new Error(
            `evaluatePlanned: byte ${s} of element ${k} of %${node.id} "${node.name}" (slot ${at + s}) was overwritten`,
          );
        }
      }
      data[k] = value;
    }
    return { shape: node.type.shape, data };
  };

  for (const node of graph.nodes) {
    if (node.op === "input") {
      const fed = feeds[node.name];
      if (!fed) {
        throw new NncError("NNC4001", `input "${node.name}" was not given`, { node: node.name });
      }
      write(node, readFeed(node, fed));
    } else if (node.op === "param") {
      const fed = feeds[node.name];
      write(node, fed ? readFeed(node, fed) : params[node.name]!);
    } else if (node.op === "constant") {
      write(node, Float64Array.from(node.attrs.value as number[]));
    }
  }
  for (const id of plan.schedule) {
    const node = graph.node(id);
    // A kernel may write its result before it has read all of its operands, so poison the
    // result's bytes first: an operand sharing them, unless declared in place, reads NaN.
    const { offset, bytes, inPlaceOf } = plan.buffers[id]!;
    if (inPlaceOf === undefined) arena.fill(Number.NaN, offset, offset + bytes);
    const operands = node.inputs.map((i) => read(graph.node(i)));
    const result = opDef(node.op as OpName).evaluate(
      operands,
      node.attrs,
      node.inputs.map((i) => graph.node(i).type),
    );
    if (!shapesEqual(result.shape, node.type.shape)) {
      throw new Error(
        `nnc bug: ${node.op} evaluated to ${formatShape(result.shape)} but its shape rule says ${formatShape(node.type.shape)}`,
      );
    }
    write(node, result.data);
  }

  const outputs: Record<string, ReferenceArray> = {};
  for (const output of graph.outputs) {
    const node = graph.node(output.node);
    outputs[output.name] = toReferenceArray(read(node).data, node.type.dtype);
  }
  const updates: Record<string, ReferenceArray> = {};
  for (const update of graph.updates) {
    const node = graph.node(update.node);
    updates[update.param] = toReferenceArray(read(node).data, node.type.dtype);
  }
  return { outputs, updates };
}

/** A fed value as the reference evaluator stores it: int32 truncated, bool as 0/1. */
function readFeed(node: Node, fed: ArrayLike<number>): Float64Array {
  const n = sizeOf(node.type.shape);
  if (fed.length !== n) {
    throw new NncError(
      "NNC4002",
      `${node.op} "${node.name}" has shape ${formatShape(node.type.shape)} (${n} values) but ${fed.length} were given`,
      { node: node.name },
    );
  }
  const data = Float64Array.from(fed);
  if (node.type.dtype === "int32") for (let i = 0; i < n; i++) data[i] = Math.trunc(data[i]!);
  if (node.type.dtype === "bool") for (let i = 0; i < n; i++) data[i] = data[i] ? 1 : 0;
  return data;
}

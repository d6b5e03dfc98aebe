import { type Graph, isOpName, type Node, opDef, shapesEqual } from "@nnc/core";
import type { Pass } from "./pass.js";

/** How the nodes of a kernel are combined. */
export type KernelKind =
  /** One op on its own (a matmul, a conv, a layout op...). */
  | "single"
  /** A chain of elementwise ops run as one loop. */
  | "elementwise"
  /** A matmul or conv followed by elementwise ops applied to its output as it is produced. */
  | "epilogue"
  /** Elementwise ops computed on the fly inside the reduction that consumes them. */
  | "prologue";

/** A group of nodes a backend runs as one kernel. */
export interface Kernel {
  readonly kind: KernelKind;
  /** Node ids in execution order; the last is the kernel's output. */
  readonly nodes: readonly number[];
}

/** Key under which the pass publishes its `Kernel[]`. */
export const KERNELS_ARTIFACT = "kernels";

const PRODUCERS = new Set(["matmul", "conv2d", "conv2d_transpose"]);
const REDUCTIONS = new Set(["sum", "max", "min"]);

function isElementwise(node: Node): boolean {
  return (
    isOpName(node.op) &&
    opDef(node.op).category === "elementwise" &&
    opDef(node.op).kind === "primitive"
  );
}

/**
 * Groups nodes into kernels for the backends: maximal chains of elementwise ops of one output
 * shape whose intermediate values are read only inside the chain (so they never need a buffer),
 * an elementwise epilogue after a matmul/conv, and an elementwise prologue before a reduction.
 * Analysis only: the graph is returned unchanged and the groups are published as the
 * `kernels` artifact. Every compute node is in exactly one kernel.
 */
export const fuseElementwise: Pass = {
  name: "fuse-elementwise",
  description:
    "Groups elementwise chains (and matmul/conv epilogues, reduction prologues) into kernels.",
  run(graph, ctx) {
    const kernels = groupKernels(graph);
    for (const kernel of kernels) {
      if (kernel.kind === "single") continue;
      const nodes = kernel.nodes.map((id) => graph.node(id));
      ctx.note({
        action: "rewritten",
        node: nodes.at(-1)!.name,
        detail: `${kernel.kind} kernel of ${nodes.length} ops: ${nodes.map((n) => n.op).join(" → ")}`,
      });
    }
    ctx.provide(KERNELS_ARTIFACT, kernels);
    return graph;
  },
};

/**
 * The kernel grouping of `graph` (see {@link fuseElementwise}). `sameSide(a, b)` may forbid
 * fusing two nodes (the memory planner keeps the forward and backward parts of a training step
 * apart, so a value kept for the backward part is computed in the forward part).
 */
export function groupKernels(
  graph: Graph,
  sameSide: (a: number, b: number) => boolean = () => true,
): Kernel[] {
  const externallyRead = new Set([
    ...graph.outputs.map((o) => o.node),
    ...graph.updates.map((u) => u.node),
  ]);
  const consumers = graph.consumers;
  // group[id]: the id of the kernel root (its last node) that node id is absorbed into.
  const root = new Map<number, number>();
  // Walk backwards so each node can join the kernel of its (single) consumer.
  for (let id = graph.nodes.length - 1; id >= 0; id--) {
    const node = graph.node(id);
    if (node.op === "input" || node.op === "param" || node.op === "constant") continue;
    const users = [...new Set(consumers[id])];
    const only = users.length === 1 && !externallyRead.has(id) ? graph.node(users[0]!) : undefined;
    const target = only && root.get(only.id);
    if (
      only &&
      target !== undefined &&
      sameSide(id, only.id) &&
      canJoin(graph, node, only, graph.node(target))
    ) {
      root.set(id, target);
    } else {
      root.set(id, id);
    }
  }
  const members = new Map<number, number[]>();
  for (const [id, r] of root) members.set(r, [...(members.get(r) ?? []), id]);
  return [...members.entries()]
    .sort(([a], [b]) => a - b)
    .map(([r, ids]) => {
      const nodes = ids.sort((a, b) => a - b);
      return { kind: kindOf(graph, nodes, graph.node(r)), nodes };
    });
}

/** Whether `node` can be computed inside the kernel of its only consumer `user` (rooted at `kernelRoot`). */
function canJoin(graph: Graph, node: Node, user: Node, kernelRoot: Node): boolean {
  const rootIsReduction = REDUCTIONS.has(kernelRoot.op);
  if (isElementwise(node) && isElementwise(user)) {
    // Same iteration space: the chain is one loop over the output.
    return (
      shapesEqual(node.type.shape, kernelRoot.type.shape) ||
      (rootIsReduction &&
        shapesEqual(node.type.shape, graph.node(kernelRoot.inputs[0]!).type.shape))
    );
  }
  // A matmul/conv whose output flows only into an elementwise chain: the chain is its epilogue.
  if (PRODUCERS.has(node.op) && isElementwise(user) && !rootIsReduction) {
    return shapesEqual(node.type.shape, kernelRoot.type.shape);
  }
  // An elementwise chain read only by a reduction: computed on the fly while reducing.
  if (isElementwise(node) && REDUCTIONS.has(user.op) && user === kernelRoot) return true;
  return false;
}

function kindOf(graph: Graph, nodes: readonly number[], rootNode: Node): KernelKind {
  if (nodes.length === 1) return "single";
  if (REDUCTIONS.has(rootNode.op)) return "prologue";
  if (nodes.some((id) => PRODUCERS.has(graph.node(id).op))) return "epilogue";
  return "elementwise";
}

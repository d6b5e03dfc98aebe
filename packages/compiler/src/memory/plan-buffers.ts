import { dtypeByteSize, type Graph, isOpName, type Node, opDef, sizeOf } from "@nnc/core";
import type { BufferAssignment, BufferRegion, PlanBuffers } from "./buffer-plan.js";

// Buffer planning: where every value of a scheduled graph lives in one arena, so that running
// the program allocates nothing.
//
// Layout. The arena holds four regions, in this order: persistent (every parameter, trainable
// or not: weights, optimizer and BatchNorm state), input, constant, activation. Each region
// starts aligned and its size is rounded up to the alignment, so `arenaBytes` is the sum of the
// four rounded sizes and `activationBytes` the last one. Within the first three regions buffers
// are laid out one after the other in graph order: they all live for the whole run (start −1,
// end = schedule length), so nothing there can share memory.
//
// Liveness. A compute node's value is written at its schedule position p and read for the last
// time at its last consumer's position: it lives on the closed interval [p, lastUse] (a value
// nobody reads lives on [p, p], since it is still written). Graph outputs and values feeding
// state updates are read after the run, so they live to the schedule's length. Two values whose
// intervals share a position are live together: at position p the operands are read while the
// result is written, so an operand dying at p still conflicts with the value born at p.
//
// In place. An elementwise primitive whose value has the byte size and element size of an
// operand that is an activation, dies at this node and is not read after the run, writes over
// that operand's buffer (`inPlaceOf`); the first such operand wins. Equal bytes and element
// sizes mean equal element counts, so that operand is not broadcast: element i of the output
// depends only on element i of it, which a kernel reads before writing. (A bool[4] result over
// a float32[1] operand has the same bytes but would be broadcast; the element size rules it
// out.) The assignments keep their own intervals; the memory they share (a chain when
// results are written in place again) lives over the union, and is placed as one buffer.
// Persistent, input and constant buffers are never written over: they must survive the run.
//
// Offsets. Chains are placed greedily by size, largest first (the greedy-by-size planner of
// TFLite and XLA's heap simulator): each goes to an aligned offset that overlaps no already
// placed buffer whose interval intersects its own. The planner tries first fit (the lowest
// offset) and best fit (the smallest gap that fits, else past the last conflict), each with the
// chains ordered by size and by birth, and keeps the smallest region. Zero-size values take no
// bytes and sit at their region's start.
//
// `reuse: false` gives the naive plan: every value its own buffer, in schedule order, and no
// in-place writes (which are a form of reuse).

const DEFAULT_ALIGNMENT = 64;

/** The arena's regions, in the order they are laid out. */
export const REGION_ORDER: readonly BufferRegion[] = [
  "persistent",
  "input",
  "constant",
  "activation",
];

/**
 * Plans buffers for `graph` run in `schedule` order (see the header above): liveness
 * intervals, in-place writes for elementwise ops over operands that die there, and offsets in
 * one arena by a greedy-by-size heuristic. Throws when the schedule is not a topological order
 * of exactly the graph's compute nodes, or the alignment is not a positive integer.
 */
export const planBuffers: PlanBuffers = (graph, schedule, options = {}) => {
  const alignment = options.alignment ?? DEFAULT_ALIGNMENT;
  if (!Number.isSafeInteger(alignment) || alignment < 1) {
    throw new Error(
      `planBuffers: alignment must be a positive integer, got ${alignment} (graph "${graph.name}")`,
    );
  }
  const reuse = options.reuse ?? true;
  const position = schedulePositions(graph, schedule);
  const bytes = graph.nodes.map(byteSize);
  const { start, end } = liveIntervals(graph, position, schedule.length);
  const inPlaceOf =
    reuse && (options.inPlace ?? true)
      ? inPlaceWrites(graph, schedule, bytes, start, end)
      : graph.nodes.map(() => undefined);

  // Persistent, input and constant values live through the whole run: one after the other.
  const offsets = new Array<number>(graph.nodes.length).fill(0);
  let cursor = 0;
  for (const region of REGION_ORDER) {
    for (const node of graph.nodes) {
      if (region === "activation" || regionOf(node) !== region) continue;
      offsets[node.id] = cursor;
      cursor = alignUp(cursor + bytes[node.id]!, alignment);
    }
  }
  const activationBase = cursor;
  const chains = inPlaceChains(schedule, inPlaceOf, bytes, start, end);
  const placement = reuse
    ? bestPlacement(chains, alignment)
    : sequentialPlacement(chains, alignment);
  for (const [index, chain] of chains.entries()) {
    for (const id of chain.members) offsets[id] = activationBase + placement.offsets[index]!;
  }
  for (const id of schedule) if (bytes[id] === 0) offsets[id] = activationBase;

  const buffers = graph.nodes.map((node): BufferAssignment => {
    const of = inPlaceOf[node.id];
    return {
      node: node.id,
      region: regionOf(node),
      offset: offsets[node.id]!,
      bytes: bytes[node.id]!,
      start: start[node.id]!,
      end: end[node.id]!,
      ...(of !== undefined && { inPlaceOf: of }),
    };
  });
  return {
    schedule: [...schedule],
    buffers,
    arenaBytes: activationBase + placement.size,
    activationBytes: placement.size,
    alignment,
  };
};

/** The compute nodes of `graph` in id order: a valid schedule, the one the graph was built in. */
export function graphOrder(graph: Graph): number[] {
  return graph.nodes.filter((n) => !isSource(n)).map((n) => n.id);
}

/**
 * Each node's position in `schedule` (undefined for sources), after checking that the schedule
 * lists every compute node of `graph` exactly once and each after its compute operands.
 * Throws an Error naming the offending node otherwise.
 */
export function schedulePositions(
  graph: Graph,
  schedule: readonly number[],
): (number | undefined)[] {
  const position: (number | undefined)[] = graph.nodes.map(() => undefined);
  const fail = (message: string): never => {
    throw new Error(`invalid schedule for graph "${graph.name}": ${message}`);
  };
  for (const [p, id] of schedule.entries()) {
    const node = Number.isInteger(id) ? graph.nodes[id] : undefined;
    if (!node) fail(`position ${p} holds ${id}, which is not a node id`);
    else if (isSource(node)) fail(`position ${p} holds ${nodeLabel(node)}, which is not computed`);
    else if (position[id] !== undefined)
      fail(`${nodeLabel(node)} appears twice (positions ${position[id]} and ${p})`);
    position[id] = p;
  }
  for (const node of graph.nodes) {
    if (isSource(node)) continue;
    const p = position[node.id];
    if (p === undefined) fail(`${nodeLabel(node)} is missing`);
    for (const i of node.inputs) {
      const q = position[i];
      if (q !== undefined && q > p!) {
        fail(
          `${nodeLabel(node)} at position ${p} reads ${nodeLabel(graph.node(i))}, scheduled later at position ${q}`,
        );
      }
    }
  }
  return position;
}

/** The region a node's value lives in. */
export function regionOf(node: Node): BufferRegion {
  switch (node.op) {
    case "param":
      return "persistent";
    case "input":
      return "input";
    case "constant":
      return "constant";
    default:
      return "activation";
  }
}

/** Bytes of a node's value: elements × element size. */
export function byteSize(node: Node): number {
  return sizeOf(node.type.shape) * elementSize(node);
}

/** True for an elementwise primitive: the only ops allowed to write over an operand. */
export function isElementwisePrimitive(node: Node): boolean {
  if (!isOpName(node.op)) return false;
  const def = opDef(node.op);
  return def.category === "elementwise" && def.kind === "primitive";
}

/** `%3 = relu "block/relu"` or `%0 param "fc1.weight"`, for messages. */
export function nodeLabel(node: Node): string {
  return isSource(node)
    ? `%${node.id} ${node.op} ${JSON.stringify(node.name)}`
    : `%${node.id} = ${node.op} ${JSON.stringify(node.name)}`;
}

/** `x` rounded up to a multiple of `alignment`. */
export function alignUp(x: number, alignment: number): number {
  return Math.ceil(x / alignment) * alignment;
}

function isSource(node: Node): boolean {
  return node.op === "input" || node.op === "param" || node.op === "constant";
}

function elementSize(node: Node): number {
  return dtypeByteSize(node.type.dtype);
}

/** Values read after the run: outputs and the new values of state updates. */
function survivingNodes(graph: Graph): Set<number> {
  return new Set([...graph.outputs.map((o) => o.node), ...graph.updates.map((u) => u.node)]);
}

/**
 * Each value's live interval: sources from −1, compute nodes from their position; to the last
 * consumer's position, or to `length` for sources and values read after the run.
 */
function liveIntervals(
  graph: Graph,
  position: readonly (number | undefined)[],
  length: number,
): { start: number[]; end: number[] } {
  const start = graph.nodes.map((n) => position[n.id] ?? -1);
  const end = [...start];
  for (const node of graph.nodes) {
    for (const i of node.inputs) end[i] = Math.max(end[i]!, start[node.id]!);
  }
  for (const node of graph.nodes) if (isSource(node)) end[node.id] = length;
  for (const id of survivingNodes(graph)) end[id] = length;
  return { start, end };
}

/** For each node written in place over an operand, that operand (see the header). */
function inPlaceWrites(
  graph: Graph,
  schedule: readonly number[],
  bytes: readonly number[],
  start: readonly number[],
  end: readonly number[],
): (number | undefined)[] {
  const survives = survivingNodes(graph);
  const inPlaceOf: (number | undefined)[] = graph.nodes.map(() => undefined);
  for (const id of schedule) {
    const node = graph.node(id);
    if (!isElementwisePrimitive(node) || bytes[id] === 0) continue;
    inPlaceOf[id] = node.inputs.find(
      (k) =>
        !isSource(graph.node(k)) &&
        !survives.has(k) &&
        end[k] === start[id] &&
        bytes[k] === bytes[id] &&
        elementSize(graph.node(k)) === elementSize(node),
    );
  }
  return inPlaceOf;
}

/** A block of activation memory: one value, or a chain of values written in place over it. */
interface Chain {
  readonly members: readonly number[];
  readonly bytes: number;
  readonly start: number;
  readonly end: number;
}

/** Groups the non-empty activations into in-place chains, ordered by birth. */
function inPlaceChains(
  schedule: readonly number[],
  inPlaceOf: readonly (number | undefined)[],
  bytes: readonly number[],
  start: readonly number[],
  end: readonly number[],
): Chain[] {
  const chainOf = new Map<number, number[]>();
  const chains: number[][] = [];
  for (const id of schedule) {
    if (bytes[id] === 0) continue;
    const of = inPlaceOf[id];
    const chain = of === undefined ? undefined : chainOf.get(of);
    if (chain) chain.push(id);
    else chains.push([id]);
    chainOf.set(id, chain ?? chains.at(-1)!);
  }
  return chains.map((members) => ({
    members,
    bytes: bytes[members[0]!]!,
    start: start[members[0]!]!,
    end: Math.max(...members.map((id) => end[id]!)),
  }));
}

interface Placement {
  /** Offsets relative to the region's start, one per chain. */
  readonly offsets: readonly number[];
  /** The region's size, rounded up to the alignment. */
  readonly size: number;
}

function sequentialPlacement(chains: readonly Chain[], alignment: number): Placement {
  let cursor = 0;
  const offsets = chains.map((chain) => {
    const offset = cursor;
    cursor = alignUp(cursor + chain.bytes, alignment);
    return offset;
  });
  return { offsets, size: cursor };
}

/** The smallest of the greedy placements (first and best fit, by size and by birth). */
function bestPlacement(chains: readonly Chain[], alignment: number): Placement {
  const indices = chains.map((_, i) => i);
  // Chains are already ordered by birth; sort is stable, so equal sizes keep that order.
  const bySize = [...indices].sort((a, b) => chains[b]!.bytes - chains[a]!.bytes);
  let best: Placement | undefined;
  for (const order of [bySize, indices]) {
    for (const fit of ["first", "best"] as const) {
      const placement = greedyPlacement(chains, order, fit, alignment);
      if (!best || placement.size < best.size) best = placement;
    }
  }
  return best ?? { offsets: [], size: 0 };
}

/**
 * Places chains in `order`, each at an aligned offset overlapping no placed chain whose live
 * interval intersects its own: the lowest such offset (`first`), or the start of the smallest
 * gap between conflicting chains that fits it, falling back to past the last one (`best`).
 */
function greedyPlacement(
  chains: readonly Chain[],
  order: readonly number[],
  fit: "first" | "best",
  alignment: number,
): Placement {
  const offsets = new Array<number>(chains.length).fill(0);
  // Placed chains, kept sorted by offset.
  const placed: number[] = [];
  let size = 0;
  for (const index of order) {
    const chain = chains[index]!;
    const conflicts = placed.filter(
      (j) => chains[j]!.start <= chain.end && chain.start <= chains[j]!.end,
    );
    let cursor = 0;
    let chosen: number | undefined;
    let chosenGap = Number.POSITIVE_INFINITY;
    for (const j of conflicts) {
      const gap = offsets[j]! - cursor;
      if (gap >= chain.bytes && gap < chosenGap) {
        chosen = cursor;
        chosenGap = gap;
        if (fit === "first") break;
      }
      cursor = Math.max(cursor, alignUp(offsets[j]! + chains[j]!.bytes, alignment));
    }
    const offset = chosen ?? cursor;
    offsets[index] = offset;
    const after = placed.findIndex((j) => offsets[j]! > offset);
    placed.splice(after === -1 ? placed.length : after, 0, index);
    size = Math.max(size, alignUp(offset + chain.bytes, alignment));
  }
  return { offsets, size };
}

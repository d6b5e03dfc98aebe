import { dtypeByteSize, type Graph, type Node } from "@nnc/core";
import type { BufferAssignment, BufferPlan, BufferRegion } from "./buffer-plan.js";
import {
  byteSize,
  isElementwisePrimitive,
  nodeLabel,
  REGION_ORDER,
  regionOf,
  schedulePositions,
} from "./plan-buffers.js";

// The plan checker recomputes every value's live interval from the graph and the schedule on
// its own (scanning the schedule, where the planner walks consumers), so a planner that
// misreports lifetimes cannot vouch for itself. Sizes, regions and the in-place rules come from
// the graph as well; only offsets and the schedule are taken from the plan, and those are what
// it checks.

/**
 * Proves a buffer plan safe for `graph`, or throws an Error saying what is wrong: the schedule
 * is not a topological order of exactly the compute nodes; a node has no buffer, the wrong
 * size, region or live interval; an offset is misaligned, a buffer leaves the arena (or the
 * activation region) or the regions are out of order; an in-place claim breaks the rules; or two buffers live at the same
 * schedule position share bytes. That last error names both nodes, their byte ranges and live
 * intervals. The one allowed overlap is an in-place pair: an elementwise op written over an
 * operand (same offset and size) whose last use is that op.
 */
export function checkPlan(graph: Graph, plan: BufferPlan): void {
  const fail = (message: string): never => {
    throw new Error(`invalid buffer plan for graph "${graph.name}": ${message}`);
  };
  const { alignment, arenaBytes, activationBytes } = plan;
  if (!Number.isSafeInteger(alignment) || alignment < 1)
    fail(`alignment ${alignment} is not a positive integer`);
  if (!Number.isSafeInteger(arenaBytes) || !Number.isSafeInteger(activationBytes))
    fail(`arena sizes ${arenaBytes} and ${activationBytes} are not integers`);
  if (activationBytes < 0 || activationBytes > arenaBytes)
    fail(`activation region of ${activationBytes} bytes does not fit the ${arenaBytes}-byte arena`);
  const position = schedulePositions(graph, plan.schedule);
  const length = plan.schedule.length;

  // Live intervals, recomputed: sources before the run, everything read after it to the end.
  const start = graph.nodes.map((n) => position[n.id] ?? -1);
  const end = [...start];
  for (const [p, id] of plan.schedule.entries()) {
    for (const i of graph.node(id).inputs) end[i] = p;
  }
  for (const node of graph.nodes) if (position[node.id] === undefined) end[node.id] = length;
  const survivors = new Set([...graph.outputs, ...graph.updates].map((r) => r.node));
  for (const id of survivors) end[id] = length;

  if (plan.buffers.length !== graph.nodes.length)
    fail(`${plan.buffers.length} buffers for ${graph.nodes.length} nodes`);
  const activationBase = arenaBytes - activationBytes;
  for (const node of graph.nodes) {
    const buffer = plan.buffers[node.id] as BufferAssignment | undefined;
    if (!buffer) fail(`${nodeLabel(node)} has no buffer`);
    const b = buffer!;
    const what = `${nodeLabel(node)} ${range(b)}`;
    if (b.node !== node.id) fail(`the buffer at index ${node.id} is for %${b.node}`);
    if (b.region !== regionOf(node))
      fail(`${what} is in region ${b.region}, not ${regionOf(node)}`);
    if (b.bytes !== byteSize(node))
      fail(`${what} has ${b.bytes} bytes, its value ${byteSize(node)}`);
    if (!Number.isSafeInteger(b.offset) || b.offset < 0 || b.offset % alignment !== 0)
      fail(`${what} is not at a non-negative multiple of the alignment ${alignment}`);
    if (b.offset + b.bytes > arenaBytes) fail(`${what} ends past the ${arenaBytes}-byte arena`);
    const inActivation = b.offset >= activationBase;
    if (b.bytes > 0 && inActivation !== (b.region === "activation")) {
      fail(
        `${what} (${b.region}) is ${inActivation ? "inside" : "outside"} the activation region [${activationBase}, ${arenaBytes})`,
      );
    }
    if (b.start !== start[node.id] || b.end !== end[node.id]) {
      fail(
        `${what} claims live interval ${interval(b.start, b.end)}, but the schedule makes it ${interval(start[node.id]!, end[node.id]!)}`,
      );
    }
    if (b.inPlaceOf !== undefined) checkInPlace(graph, plan, node, end, survivors, fail);
  }
  checkRegionOrder(plan, fail);
  checkOverlaps(graph, plan);
}

/** The non-empty buffers of each region lie after those of the regions before it in {@link REGION_ORDER}. */
function checkRegionOrder(plan: BufferPlan, fail: (message: string) => never): void {
  let previous: { readonly region: BufferRegion; readonly end: number } | undefined;
  for (const region of REGION_ORDER) {
    let low = Number.POSITIVE_INFINITY;
    let high = 0;
    for (const b of plan.buffers) {
      if (b.region !== region || b.bytes === 0) continue;
      low = Math.min(low, b.offset);
      high = Math.max(high, b.offset + b.bytes);
    }
    if (high === 0) continue;
    if (previous && low < previous.end) {
      fail(
        `the ${region} region starts at byte ${low}, before the ${previous.region} region ends (byte ${previous.end})`,
      );
    }
    previous = { region, end: high };
  }
}

function checkInPlace(
  graph: Graph,
  plan: BufferPlan,
  node: Node,
  end: readonly number[],
  survivors: ReadonlySet<number>,
  fail: (message: string) => never,
): void {
  const b = plan.buffers[node.id]!;
  const k = b.inPlaceOf!;
  const claim = `${nodeLabel(node)} ${range(b)} claims to be written in place over %${k}`;
  if (!node.inputs.includes(k)) fail(`${claim}, which is not its operand`);
  const operand = graph.node(k);
  const o = plan.buffers[k]!;
  if (!isElementwisePrimitive(node)) fail(`${claim}, but only elementwise primitives may`);
  if (b.region !== "activation" || o.region !== "activation")
    fail(`${claim}, but ${nodeLabel(operand)} is ${o.region} memory, not an activation`);
  if (o.offset !== b.offset || o.bytes !== b.bytes || b.bytes === 0)
    fail(`${claim}, whose buffer ${range(o)} is not the same non-empty bytes`);
  if (dtypeByteSize(operand.type.dtype) !== dtypeByteSize(node.type.dtype))
    fail(`${claim}, whose elements have another size (${operand.type.dtype})`);
  if (survivors.has(k)) fail(`${claim}, which is read after the run`);
  if (end[k] !== b.start)
    fail(`${claim}, which is still read at position ${end[k]} (after ${b.start})`);
}

/**
 * Every pair of non-empty buffers whose byte ranges intersect must have disjoint live
 * intervals, unless one is written in place over the other. Sorting by offset makes this one
 * sweep over the pairs that actually share bytes.
 */
function checkOverlaps(graph: Graph, plan: BufferPlan): void {
  const buffers = plan.buffers.filter((b) => b.bytes > 0).sort((a, b) => a.offset - b.offset);
  for (const [i, a] of buffers.entries()) {
    for (let j = i + 1; j < buffers.length && buffers[j]!.offset < a.offset + a.bytes; j++) {
      const b = buffers[j]!;
      if (a.end < b.start || b.end < a.start) continue;
      if (a.inPlaceOf === b.node || b.inPlaceOf === a.node) continue;
      const first = Math.max(a.start, b.start);
      const last = Math.min(a.end, b.end);
      throw new Error(
        `invalid buffer plan for graph "${graph.name}": ${nodeLabel(graph.node(a.node))} ${range(a)} live ${interval(a.start, a.end)} and ${nodeLabel(graph.node(b.node))} ${range(b)} live ${interval(b.start, b.end)} share bytes [${b.offset}, ${Math.min(a.offset + a.bytes, b.offset + b.bytes)}) while both live at ${interval(first, last)}`,
      );
    }
  }
}

function range(b: BufferAssignment): string {
  return `bytes [${b.offset}, ${b.offset + b.bytes})`;
}

function interval(start: number, end: number): string {
  return `[${start}, ${end}]`;
}

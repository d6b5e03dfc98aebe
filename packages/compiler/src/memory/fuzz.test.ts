import { createRng, evaluateAll, type Graph, type ReferenceArray } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { randomFeeds } from "../passes/test-support.js";
import type { BufferPlan } from "./buffer-plan.js";
import { checkPlan } from "./check-plan.js";
import { evaluatePlanned } from "./evaluate-planned.js";
import { alignUp, graphOrder, planBuffers } from "./plan-buffers.js";
import { randomGraph, randomSchedule } from "./random-graphs.js";

// Fuzzing the buffer planner: 1,200 seeded random graphs (5–60 nodes), half in graph order and
// half in a random topological order, with alignments 64, 16, 4 and 1. Each is planned three
// ways (naive, reuse without in-place writes, reuse with them) and every plan is proved by
// checkPlan. A few hundred are also run through the arena with evaluatePlanned and compared bit
// for bit with core's evaluator, and every graph gets a deliberately broken plan the checker
// must reject.

const GRAPHS = 1200;
const EVALUATED = 300;
const ALIGNMENTS = [64, 16, 4, 1];

interface FuzzCase {
  readonly seed: number;
  readonly graph: Graph;
  readonly schedule: readonly number[];
  readonly alignment: number;
  readonly naive: BufferPlan;
  readonly reused: BufferPlan;
  readonly inPlace: BufferPlan;
}

function fuzzCase(seed: number): FuzzCase {
  const graph = randomGraph(seed);
  const schedule = seed % 2 === 0 ? graphOrder(graph) : randomSchedule(graph, seed);
  const alignment = ALIGNMENTS[(seed >> 1) % ALIGNMENTS.length]!;
  return {
    seed,
    graph,
    schedule,
    alignment,
    naive: planBuffers(graph, schedule, { alignment, reuse: false }),
    reused: planBuffers(graph, schedule, { alignment, inPlace: false }),
    inPlace: planBuffers(graph, schedule, { alignment }),
  };
}

/**
 * The most activation bytes live at one schedule position, each buffer rounded up to the
 * alignment (buffers live together sit at distinct aligned offsets) and with the plan's
 * in-place writes (a value written over an operand shares its bytes at the one position both
 * are live): no placement of these buffers can use less.
 */
function peakLiveBytes(plan: BufferPlan): number {
  let peak = 0;
  for (let t = 0; t <= plan.schedule.length; t++) {
    let live = 0;
    for (const b of plan.buffers) {
      if (b.region !== "activation" || b.start > t || b.end < t) continue;
      if (b.inPlaceOf !== undefined && b.start === t) continue;
      live += alignUp(b.bytes, plan.alignment);
    }
    peak = Math.max(peak, live);
  }
  return peak;
}

function expectBitIdentical(
  got: Record<string, ReferenceArray>,
  want: Record<string, ReferenceArray>,
  what: string,
): void {
  expect(Object.keys(got).sort(), what).toEqual(Object.keys(want).sort());
  for (const [name, values] of Object.entries(want)) {
    const actual = got[name]!;
    expect(actual.length, `${what} ${name}`).toBe(values.length);
    for (let i = 0; i < values.length; i++) {
      if (!Object.is(actual[i], values[i]))
        expect.fail(`${what} ${name}[${i}]: planned ${actual[i]}, reference ${values[i]}`);
    }
  }
}

describe("buffer planning on random graphs", () => {
  const cases = Array.from({ length: GRAPHS }, (_, seed) => fuzzCase(seed));

  it(`proves ${GRAPHS} graphs × 3 plans free of overlaps between live buffers`, () => {
    const totals = { naive: 0, reused: 0, inPlace: 0, peakLive: 0, nodes: 0, inPlaceWrites: 0 };
    for (const { seed, graph, naive, reused, inPlace } of cases) {
      expect(graph.nodes.length, `seed ${seed}`).toBeGreaterThanOrEqual(5);
      expect(graph.nodes.length, `seed ${seed}`).toBeLessThanOrEqual(60);
      for (const plan of [naive, reused, inPlace]) checkPlan(graph, plan);
      expect(reused.activationBytes, `seed ${seed}`).toBeLessThanOrEqual(naive.activationBytes);
      expect(inPlace.activationBytes, `seed ${seed}`).toBeLessThanOrEqual(naive.activationBytes);
      const peak = peakLiveBytes(inPlace);
      expect(inPlace.activationBytes, `seed ${seed}`).toBeGreaterThanOrEqual(peak);
      expect(naive.buffers.some((b) => b.inPlaceOf !== undefined)).toBe(false);
      expect(reused.buffers.some((b) => b.inPlaceOf !== undefined)).toBe(false);
      totals.naive += naive.activationBytes;
      totals.reused += reused.activationBytes;
      totals.inPlace += inPlace.activationBytes;
      totals.peakLive += peak;
      totals.nodes += graph.nodes.length;
      totals.inPlaceWrites += inPlace.buffers.filter((b) => b.inPlaceOf !== undefined).length;
    }
    console.info(
      `buffer planning over ${GRAPHS} random graphs (${totals.nodes} nodes, ${totals.inPlaceWrites} in-place writes): activation bytes naive ${totals.naive}, reuse ${totals.reused}, reuse + in place ${totals.inPlace} (${((100 * totals.inPlace) / totals.naive).toFixed(1)}% of naive; lower bound from aligned peak live bytes ${totals.peakLive})`,
    );
    expect(totals.inPlace).toBeLessThan(totals.reused);
    expect(totals.reused).toBeLessThan(totals.naive / 2);
  });

  it(`runs ${EVALUATED} graphs through the arena bit-identically to the reference evaluator`, () => {
    for (const { seed, graph, naive, reused, inPlace } of cases.slice(0, EVALUATED)) {
      const feeds = randomFeeds(graph, seed);
      const want = evaluateAll(graph, feeds);
      for (const [kind, plan] of Object.entries({ naive, reused, inPlace })) {
        const got = evaluatePlanned(graph, plan, feeds);
        expectBitIdentical(got.outputs, want.outputs, `seed ${seed} (${kind}) output`);
        expectBitIdentical(got.updates, want.updates, `seed ${seed} (${kind}) update`);
      }
    }
  });

  it("rejects every plan with one buffer moved onto another live one", () => {
    let broken = 0;
    for (const { seed, graph, inPlace: plan } of cases) {
      // Pairs live together, a value moved onto one at least its size, neither in an in-place
      // chain (moving part of a chain would break the chain's own rule first).
      const movable = plan.buffers.filter(
        (b) => b.region === "activation" && b.bytes > 0 && !isChained(plan, b.node),
      );
      const pairs = movable.flatMap((a) =>
        movable
          .filter(
            (b) =>
              b !== a &&
              b.bytes <= a.bytes &&
              b.offset !== a.offset &&
              a.start <= b.end &&
              b.start <= a.end,
          )
          .map((b) => [a, b] as const),
      );
      if (pairs.length === 0) continue;
      const [a, b] = pairs[createRng(seed).int(pairs.length)]!;
      const buffers = plan.buffers.map((x) => (x === b ? { ...b, offset: a.offset } : x));
      expect(() => checkPlan(graph, { ...plan, buffers }), `seed ${seed}`).toThrow(/share bytes/);
      broken++;
    }
    expect(broken).toBeGreaterThan(GRAPHS / 2);
  });
});

/** True when `node` writes over another value's buffer or another value writes over its. */
function isChained(plan: BufferPlan, node: number): boolean {
  return plan.buffers.some(
    (b) => (b.node === node && b.inPlaceOf !== undefined) || b.inPlaceOf === node,
  );
}

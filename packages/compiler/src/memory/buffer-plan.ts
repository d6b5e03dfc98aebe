import type { Graph } from "@nnc/core";

/** Where a value lives while a program runs. */
export type BufferRegion =
  /** Parameters and optimizer/BatchNorm state: persist across steps. */
  | "persistent"
  /** Graph inputs, written by the caller before each run. */
  | "input"
  /** Constants, written once when the program is instantiated. */
  | "constant"
  /** Intermediate values and outputs, reused as their lifetimes allow. */
  | "activation";

/** One value's placement in the arena. */
export interface BufferAssignment {
  /** The node whose output this is. */
  readonly node: number;
  readonly region: BufferRegion;
  /** Byte offset in the arena (aligned). */
  readonly offset: number;
  /** Byte size of the value (element count × dtype size). */
  readonly bytes: number;
  /** Schedule position that writes the value (−1 for values present before the run). */
  readonly start: number;
  /** Last schedule position that reads it (the schedule's length for values that must survive the run). */
  readonly end: number;
  /** When the value is written in place over an operand's buffer: that operand's node id. */
  readonly inPlaceOf?: number;
}

/** Where every value of a scheduled graph lives in one arena. */
export interface BufferPlan {
  /** Node ids in execution order (compute nodes only; sources are present before the run). */
  readonly schedule: readonly number[];
  /** One assignment per node (sources included), indexed by node id. */
  readonly buffers: readonly BufferAssignment[];
  /** Total arena size in bytes (all regions). */
  readonly arenaBytes: number;
  /** Bytes of the activation region (its peak, since it is planned for reuse). */
  readonly activationBytes: number;
  /** Alignment of every offset, in bytes. */
  readonly alignment: number;
}

/** Options of buffer planning. */
export interface BufferPlanOptions {
  /** Byte alignment of every buffer (default 64: a cache line, and enough for any typed array view). */
  readonly alignment?: number;
  /** Let elementwise ops write over an operand that dies there (default true). */
  readonly inPlace?: boolean;
  /** Reuse memory of dead values at all (default true; false gives the naive plan). */
  readonly reuse?: boolean;
}

/** Plans buffers for `graph` executed in `schedule` order. (Implemented in plan-buffers.ts.) */
export type PlanBuffers = (
  graph: Graph,
  schedule: readonly number[],
  options?: BufferPlanOptions,
) => BufferPlan;

import type { ErrorCode } from "./errors.js";
import type { OpName } from "./op-attrs.js";
import type { Rng } from "./random.js";
import type { TensorType } from "./shape.js";

/** A valid use of an op: operand types, canonical attributes and data ranges, for generic tests. */
export interface OpSample {
  readonly inputs: readonly TensorType[];
  readonly attrs: Readonly<Record<string, unknown>>;
  /**
   * Range of random data per operand: floats uniform in [low, high), int32 integers in
   * [low, high). Default [-2, 2). Bool operands are random 0/1.
   */
  readonly ranges?: readonly (readonly [number, number] | undefined)[];
}

/** An invalid use of an op and the error code it must raise when built. */
export interface InvalidOpSample {
  readonly inputs: readonly TensorType[];
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly code: ErrorCode;
  /** What is wrong, for the test name. */
  readonly why: string;
}

/** Generic test material for one op: the registry-wide suites and backend conformance use it. */
export interface OpSamples {
  /** Several random valid uses (shapes and attributes drawn from `rng`). */
  valid(rng: Rng): OpSample[];
  /** Invalid uses, each with the expected error code. */
  readonly invalid: readonly InvalidOpSample[];
}

/** Samples for a family of ops. */
export type SampleFamily<K extends OpName> = { readonly [P in K]: OpSamples };

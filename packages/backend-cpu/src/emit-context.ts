import type { CompositeOpName, Node, PrimitiveOpName, Program } from "@nnc/core";

/**
 * How generated code addresses a value: the typed-array view of the arena holding it (`F`:
 * Float32Array, `I`: Int32Array, `U`: Uint8Array for bool) and its first element's index in that
 * view. All three views alias the one arena ArrayBuffer; offsets are aligned so the index is exact.
 */
export interface ValueRef {
  readonly view: "F" | "I" | "U";
  /** Element index of the value's first element in `view`. */
  readonly base: number;
}

/**
 * What a kernel emitter can use while generating code for a program. Emitters return JavaScript
 * statements that run inside the module's `run()` function, where `F`, `I` and `U` are in scope.
 * Shapes are static: emitters inline every extent, stride and offset as numeric literals.
 */
export interface EmitContext {
  readonly program: Program;
  /** Where a node's value lives. */
  ref(node: number): ValueRef;
  /** A fresh identifier for a local variable (`prefix` + counter), unique in the module. */
  local(prefix: string): string;
  /**
   * Declares a module-level helper function (emitted once, before `run`), e.g. a blocked matmul
   * shared by every matmul kernel; returns its name. `code` must define a function named `name`.
   */
  helper(name: string, code: string): string;
}

/** Emits the statements computing one node (its value into its buffer). */
export type NodeEmitter = (ctx: EmitContext, node: Node) => string;

/**
 * Every elementwise primitive as a scalar expression over its operands' expressions (already
 * loaded values, e.g. `a0`), used to fuse chains into one loop. `attrs` are the node's canonical
 * attributes; `dtype` its result dtype (int32 arithmetic must wrap: `(a + b) | 0`).
 */
export type ScalarExpression = (
  args: readonly string[],
  node: Node,
  helper: EmitContext["helper"],
) => string;

/** Composite ops never reach a backend (the compiler decomposes them). */
export type CompositeOp = CompositeOpName;

/** The primitive ops a backend implements. */
export type PrimitiveOp = PrimitiveOpName;

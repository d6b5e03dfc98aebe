import type { DType } from "./dtype.js";
import type { Graph } from "./graph.js";
import type { OpName } from "./op-attrs.js";

/**
 * The version of the backend plugin interface. A backend declares the version it implements;
 * the compiler refuses a backend built for another version instead of misusing it.
 */
export const BACKEND_API_VERSION = 1;

/** Where a value lives (see {@link ProgramBuffer}). */
export type BufferRegion = "persistent" | "input" | "constant" | "activation";

/** One value's place in the program's single arena. */
export interface ProgramBuffer {
  /** The node whose value this is. */
  readonly node: number;
  readonly region: BufferRegion;
  /** Byte offset in the arena, a multiple of {@link Program.alignment}. */
  readonly offset: number;
  /** Byte size: elements × dtype size (float32/int32: 4, bool: 1). */
  readonly bytes: number;
  /** Set when the value is computed in place over this operand's buffer (same offset). */
  readonly inPlaceOf?: number;
}

/** A group of nodes the compiler asks the backend to run as one kernel (a fused loop). */
export interface ProgramKernel {
  readonly kind: "single" | "elementwise" | "epilogue" | "prologue";
  /** Node ids in execution order; the last one is the kernel's result. */
  readonly nodes: readonly number[];
}

/**
 * What the compiler hands a backend: a verified graph of primitive ops, its execution order
 * grouped into kernels, and the placement of every value in one arena. Parameters and state are
 * in the "persistent" region, inputs in "input", constants in "constant", everything else in
 * "activation" (reused as lifetimes allow: a value's bytes are only valid between its kernel and
 * its last reader).
 */
export interface Program {
  readonly apiVersion: typeof BACKEND_API_VERSION;
  readonly mode: "infer" | "train";
  readonly graph: Graph;
  /** Kernels in execution order; every compute node is in exactly one. */
  readonly kernels: readonly ProgramKernel[];
  /** One buffer per node, indexed by node id. */
  readonly buffers: readonly ProgramBuffer[];
  readonly arenaBytes: number;
  readonly alignment: number;
}

/** A backend's compiled form of a program: source code plus whatever it needs to load it. */
export interface EmittedModule {
  readonly backend: string;
  readonly apiVersion: typeof BACKEND_API_VERSION;
  /** The generated code (a JavaScript module for the CPU backend). */
  readonly source: string;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** A loaded program, ready to run; the compiler's `Executable` drives it. */
export interface BackendInstance {
  /** Copies data into a node's buffer (inputs before a run; parameters and state at any time). */
  write(node: number, data: ArrayLike<number>): void;
  /** Copies a node's value out (outputs after a run; parameters and state at any time). */
  read(node: number): Float32Array | Int32Array | Uint8Array;
  /** Runs every kernel once, then writes each state update into its parameter's buffer. */
  run(): void;
}

/**
 * A backend plugin: a factory (`cpu()`, `webgl()`) returns one of these plain objects. Backends
 * implement the primitive ops only (composites are decomposed before they see a program) and
 * must pass `@nnc/testkit`'s `describeBackendConformance`. Nothing in nnc lists the backends:
 * third-party ones implement this interface in their own packages.
 */
export interface Backend {
  readonly name: string;
  readonly apiVersion: typeof BACKEND_API_VERSION;
  /** Whether the backend runs primitive `op` producing `dtype`. */
  supports(op: OpName, dtype: DType): boolean;
  /** Generates code for a program. Pure: the same program gives the same module. */
  emit(program: Program): EmittedModule;
  /** Loads emitted code for a program and allocates its memory, once. */
  instantiate(module: EmittedModule, program: Program): Promise<BackendInstance>;
}

import type { Graph } from "@nnc/core";

/** Whether a graph is compiled for inference or for a training step. */
export type CompileMode = "infer" | "train";

/** One thing a pass did, or chose not to do (and why), for the compile report. */
export interface PassNote {
  readonly action: "removed" | "rewritten" | "added" | "kept";
  /** The node concerned (its name in the graph the pass received). */
  readonly node: string;
  readonly op?: string;
  /** What happened and why, in one sentence. */
  readonly detail: string;
}

/** What a pass can see and record besides the graph. */
export interface PassContext {
  readonly mode: CompileMode;
  /** Records a change (or a deliberate non-change) for the pass report. */
  note(note: PassNote): void;
  /** Publishes an analysis result for later stages (e.g. the fusion groups), by key. */
  provide(key: string, value: unknown): void;
}

/**
 * A graph transformation with a stable kebab-case name (CLI flags use it). A pass is pure: it
 * returns a new graph, or its input unchanged when it has nothing to do.
 */
export interface Pass {
  readonly name: string;
  /** One sentence: what the pass does. */
  readonly description: string;
  run(graph: Graph, ctx: PassContext): Graph;
}

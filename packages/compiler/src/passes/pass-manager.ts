import { type Graph, NncError, printGraph, verify } from "@nnc/core";
import type { CompileMode, Pass, PassNote } from "./pass.js";

/** What one pass did in a pipeline run. */
export interface PassReport {
  readonly name: string;
  /** Wall time of the pass in milliseconds. */
  readonly ms: number;
  readonly nodesBefore: number;
  readonly nodesAfter: number;
  /** True when the pass was disabled and did not run. */
  readonly disabled: boolean;
  readonly notes: readonly PassNote[];
}

/** The result of running a pipeline. */
export interface PipelineResult {
  readonly graph: Graph;
  readonly reports: readonly PassReport[];
  /** Analysis results passes published with `ctx.provide`, by key. */
  readonly artifacts: Readonly<Record<string, unknown>>;
}

/** Options of a {@link PassManager}. */
export interface PassManagerOptions {
  /** Verify the graph after every pass (always on in tests). Default true. */
  readonly verify?: boolean;
  /** Names of passes to skip. */
  readonly disable?: readonly string[];
  /** Names of passes after which to dump the printed graph, or "all". */
  readonly dumpAfter?: readonly string[] | "all";
  /** Receives each dump; default writes to stderr. */
  readonly dump?: (pass: string, text: string) => void;
}

/**
 * Runs pipelines of passes: times each, verifies the graph after each (so a broken rewrite is
 * caught at the pass that made it), skips disabled passes, dumps the printed graph after the
 * requested ones, and collects every pass's notes into a report.
 */
export class PassManager {
  readonly #options: PassManagerOptions;

  constructor(options: PassManagerOptions = {}) {
    this.#options = options;
  }

  /** Runs `pipeline` over `graph` in `mode`. Unknown pass names in the options are an NNC1002 error. */
  run(graph: Graph, pipeline: readonly Pass[], mode: CompileMode): PipelineResult {
    const known = pipeline.map((p) => p.name);
    checkNames("disable", this.#options.disable ?? [], known);
    const dumpAfter = this.#options.dumpAfter ?? [];
    if (dumpAfter !== "all") checkNames("dump-after", dumpAfter, known);
    const disabled = new Set(this.#options.disable ?? []);
    // console.error rather than process.stderr: the compiler also runs in browsers.
    const dump = this.#options.dump ?? ((pass, text) => console.error(`// after ${pass}\n${text}`));
    const reports: PassReport[] = [];
    const artifacts: Record<string, unknown> = {};
    let current = graph;
    for (const pass of pipeline) {
      if (disabled.has(pass.name)) {
        reports.push({
          name: pass.name,
          ms: 0,
          nodesBefore: current.nodes.length,
          nodesAfter: current.nodes.length,
          disabled: true,
          notes: [],
        });
        continue;
      }
      const notes: PassNote[] = [];
      const start = performance.now();
      const next = pass.run(current, {
        mode,
        note: (note) => notes.push(note),
        provide: (key, value) => {
          artifacts[key] = value;
        },
      });
      const ms = performance.now() - start;
      if (this.#options.verify ?? true) verifyAfter(pass, next);
      reports.push({
        name: pass.name,
        ms,
        nodesBefore: current.nodes.length,
        nodesAfter: next.nodes.length,
        disabled: false,
        notes,
      });
      if (dumpAfter === "all" || dumpAfter.includes(pass.name)) dump(pass.name, printGraph(next));
      current = next;
    }
    return { graph: current, reports, artifacts };
  }
}

function checkNames(option: string, names: readonly string[], known: readonly string[]): void {
  for (const name of names) {
    if (!known.includes(name)) {
      throw new NncError(
        "NNC1002",
        `--${option}: unknown pass "${name}"; the pipeline has ${known.join(", ")}`,
      );
    }
  }
}

function verifyAfter(pass: Pass, graph: Graph): void {
  try {
    verify(graph);
  } catch (error) {
    throw new Error(
      `nnc bug: pass ${pass.name} produced an invalid graph: ${(error as Error).message}`,
    );
  }
}

import {
  deserializeGraph,
  type Graph,
  type GraphJson,
  NncError,
  type Program,
  serializeGraph,
} from "@nnc/core";

/** The `format` field of every module this backend emits. */
export const PROGRAM_FORMAT = "nnc-float64-program";

/** The version of {@link ProgramJson}; a loader rejects other versions instead of misreading them. */
export const PROGRAM_FORMAT_VERSION = 1;

/**
 * What this backend emits: the program's graph in core's graph format, the execution order
 * (the compiler's kernels, each a list of node ids) and the mode. The arena layout is not in it:
 * this backend keeps one Float64Array per node, so every value lives until the next run.
 */
export interface ProgramJson {
  readonly format: typeof PROGRAM_FORMAT;
  readonly version: typeof PROGRAM_FORMAT_VERSION;
  readonly mode: Program["mode"];
  /** Node ids in execution order, grouped as the compiler grouped them into kernels. */
  readonly kernels: readonly (readonly number[])[];
  /** `serializeGraph`'s data (non-finite numbers encoded, so the text is plain JSON). */
  readonly graph: GraphJson;
}

/** The module source for a program: JSON text, deterministic for a given program. */
export function programToSource(program: Program): string {
  const data: ProgramJson = {
    format: PROGRAM_FORMAT,
    version: PROGRAM_FORMAT_VERSION,
    mode: program.mode,
    kernels: program.kernels.map((k) => k.nodes),
    graph: JSON.parse(serializeGraph(program.graph)) as GraphJson,
  };
  return `${JSON.stringify(data)}\n`;
}

/** A parsed, checked module: the verified graph and the node ids to run, in order. */
export interface LoadedProgram {
  readonly mode: Program["mode"];
  readonly graph: Graph;
  readonly schedule: readonly number[];
}

/**
 * Reads a module source back. Anything that is not this backend's format, or a schedule that
 * names a node outside the graph, is an NNC4006 ("backend not usable"); a malformed graph gives
 * core's own serialisation errors (NNC5001/NNC5002) or verification errors.
 */
export function sourceToProgram(source: string): LoadedProgram {
  let data: unknown;
  try {
    data = JSON.parse(source);
  } catch (error) {
    unusable(`the module source is not JSON (${(error as Error).message})`);
  }
  if (!isRecord(data) || data.format !== PROGRAM_FORMAT) {
    unusable(`the module source is not an "${PROGRAM_FORMAT}" document`);
  }
  if (data.version !== PROGRAM_FORMAT_VERSION) {
    unusable(
      `the module is format version ${String(data.version)}; this backend reads ${PROGRAM_FORMAT_VERSION}`,
    );
  }
  if (data.mode !== "infer" && data.mode !== "train") unusable(`"mode" must be "infer" or "train"`);
  const graph = deserializeGraph(data.graph);
  const kernels = data.kernels;
  if (
    !Array.isArray(kernels) ||
    !kernels.every((k) => Array.isArray(k) && k.every((id) => isNodeId(id, graph)))
  ) {
    unusable(`"kernels" must be lists of node ids of the graph`);
  }
  return { mode: data.mode, graph, schedule: (kernels as number[][]).flat() };
}

function isNodeId(id: unknown, graph: Graph): id is number {
  return Number.isInteger(id) && (id as number) >= 0 && (id as number) < graph.nodes.length;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function unusable(why: string): never {
  throw new NncError("NNC4006", `float64 backend: ${why}`);
}

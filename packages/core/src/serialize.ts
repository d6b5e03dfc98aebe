import { isDType } from "./dtype.js";
import { NncError } from "./errors.js";
import { Graph, type GraphOutput, type Node, type NodeOp, type StateUpdate } from "./graph.js";
import { isValidShape } from "./shape.js";
import type { SourceLocation } from "./source-location.js";
import { verify } from "./verify.js";

/** The JSON format's name, in every file's `format` field. */
export const GRAPH_FORMAT = "nnc-graph";

/**
 * The version of the JSON format this nnc writes and the newest it reads. Bump it when the
 * meaning of a field changes; readers reject newer versions instead of misreading them.
 */
export const GRAPH_FORMAT_VERSION = 1;

/** A graph as plain JSON data (what {@link serializeGraph} writes). */
export interface GraphJson {
  readonly format: typeof GRAPH_FORMAT;
  readonly version: number;
  readonly name: string;
  readonly nodes: readonly NodeJson[];
  readonly outputs: readonly GraphOutput[];
  readonly updates: readonly StateUpdate[];
}

/** One node in {@link GraphJson}. */
export interface NodeJson {
  readonly id: number;
  readonly op: string;
  readonly name: string;
  readonly inputs: readonly number[];
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly loc?: SourceLocation;
}

// JSON has no Infinity or NaN; they appear in constants (e.g. -inf padding) and attributes.
const NON_FINITE_KEY = "$nonFinite";

/** The graph as JSON data. */
export function graphToJson(graph: Graph): GraphJson {
  return {
    format: GRAPH_FORMAT,
    version: GRAPH_FORMAT_VERSION,
    name: graph.name,
    nodes: graph.nodes.map((n) => ({
      id: n.id,
      op: n.op,
      name: n.name,
      inputs: n.inputs,
      attrs: n.attrs,
      dtype: n.type.dtype,
      shape: n.type.shape,
      ...(n.loc && { loc: n.loc }),
    })),
    outputs: graph.outputs,
    updates: graph.updates,
  };
}

/** The graph as JSON text (non-finite numbers survive the round trip). */
export function serializeGraph(graph: Graph, indent?: number): string {
  return JSON.stringify(graphToJson(graph), encodeNonFinite, indent);
}

function encodeNonFinite(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value)
    ? { [NON_FINITE_KEY]: String(value) }
    : value;
}

function decodeNonFinite(_key: string, value: unknown): unknown {
  return value &&
    typeof value === "object" &&
    Object.keys(value).length === 1 &&
    NON_FINITE_KEY in value
    ? Number((value as Record<string, unknown>)[NON_FINITE_KEY])
    : value;
}

/**
 * Reads a graph from JSON text or data and verifies it. A file that is not an nnc graph gives
 * NNC5001, one from a newer format version NNC5002, and a graph that breaks an op's rules the
 * same error its builder call would have given.
 */
export function deserializeGraph(source: string | unknown): Graph {
  let data: unknown;
  try {
    // Data objects go through the same text form, so encoded non-finite numbers are decoded
    // and the result shares nothing with the caller's object.
    const text = typeof source === "string" ? source : JSON.stringify(source, encodeNonFinite);
    data = JSON.parse(text, decodeNonFinite);
  } catch (error) {
    malformed(`not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(data) || data.format !== GRAPH_FORMAT) {
    malformed(`not an nnc graph: the "format" field must be "${GRAPH_FORMAT}"`);
  }
  const version = data.version;
  if (!Number.isInteger(version) || (version as number) < 1)
    malformed(`"version" must be a positive integer`);
  if ((version as number) > GRAPH_FORMAT_VERSION) {
    throw new NncError(
      "NNC5002",
      `graph format version ${version} is newer than this nnc reads (${GRAPH_FORMAT_VERSION}); upgrade nnc`,
    );
  }
  if (typeof data.name !== "string") malformed(`"name" must be a string`);
  if (!Array.isArray(data.nodes)) malformed(`"nodes" must be a list`);
  const nodes = data.nodes.map(readNode);
  const outputs = readList(data.outputs, "outputs", (o, i) => {
    if (!isRecord(o) || typeof o.name !== "string" || !Number.isInteger(o.node)) {
      malformed(`outputs[${i}] must be {"name": string, "node": integer}`);
    }
    return { name: o.name, node: o.node as number };
  });
  const updates = readList(data.updates ?? [], "updates", (u, i) => {
    if (!isRecord(u) || typeof u.param !== "string" || !Number.isInteger(u.node)) {
      malformed(`updates[${i}] must be {"param": string, "node": integer}`);
    }
    return { param: u.param, node: u.node as number };
  });
  const graph = new Graph(data.name, nodes, outputs, updates);
  verify(graph);
  return graph;
}

function readNode(raw: unknown, index: number): Node {
  const where = `nodes[${index}]`;
  if (!isRecord(raw)) malformed(`${where} must be an object`);
  if (raw.id !== index) malformed(`${where} must have "id": ${index}`);
  if (typeof raw.op !== "string") malformed(`${where}.op must be a string`);
  if (typeof raw.name !== "string") malformed(`${where}.name must be a string`);
  if (!Array.isArray(raw.inputs) || !raw.inputs.every(Number.isInteger)) {
    malformed(`${where}.inputs must be a list of node ids`);
  }
  if (!isRecord(raw.attrs)) malformed(`${where}.attrs must be an object`);
  if (!isDType(raw.dtype)) malformed(`${where}.dtype must be "float32", "int32" or "bool"`);
  if (!isValidShape(raw.shape)) malformed(`${where}.shape must be a list of non-negative integers`);
  const loc = raw.loc;
  if (
    loc !== undefined &&
    !(
      isRecord(loc) &&
      typeof loc.file === "string" &&
      Number.isInteger(loc.line) &&
      Number.isInteger(loc.column)
    )
  ) {
    malformed(`${where}.loc must be {"file", "line", "column"}`);
  }
  return {
    id: index,
    op: raw.op as NodeOp,
    name: raw.name,
    inputs: raw.inputs as number[],
    attrs: raw.attrs,
    type: { dtype: raw.dtype, shape: raw.shape },
    ...(loc !== undefined && { loc: loc as unknown as SourceLocation }),
  };
}

function readList<T>(raw: unknown, what: string, read: (item: unknown, i: number) => T): T[] {
  if (!Array.isArray(raw)) malformed(`"${what}" must be a list`);
  return raw.map(read);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function malformed(message: string): never {
  throw new NncError("NNC5001", `malformed graph file: ${message}`);
}

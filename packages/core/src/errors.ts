import { formatLocation, type SourceLocation } from "./source-location.js";

/**
 * Every stable error code nnc raises, with a one-line meaning. Codes never change meaning once
 * released; new failure kinds get new codes. 1xxx: graph construction, 2xxx: shapes and dtypes,
 * 3xxx: graph verification, 4xxx: evaluation and inputs, 5xxx: serialisation, 6xxx: autodiff,
 * 7xxx: training.
 */
export const ERROR_CODES = {
  NNC1001: "unknown op",
  NNC1002: "invalid attribute",
  NNC1003: "wrong number of inputs",
  NNC1004: "duplicate name",
  NNC1005: "unknown name",
  NNC1006: "value from another graph builder",
  NNC1007: "invalid name",
  NNC1008: "invalid parameter initialiser",
  NNC2001: "shapes cannot be broadcast",
  NNC2002: "dtype not accepted",
  NNC2003: "contracting dimensions differ",
  NNC2004: "axis out of range",
  NNC2005: "element counts differ",
  NNC2006: "channel counts do not fit",
  NNC2007: "window does not fit the input",
  NNC2008: "invalid shape",
  NNC3001: "malformed graph",
  NNC4001: "missing input",
  NNC4002: "input has the wrong size",
  NNC4003: "unexpected input",
  NNC4004: "input has the wrong dtype",
  NNC4005: "executable used in the wrong mode",
  NNC4006: "backend not usable",
  NNC4007: "shader failed to compile",
  NNC4008: "GPU context lost",
  NNC5001: "malformed graph file",
  NNC5002: "unsupported graph format version",
  NNC5003: "malformed or mismatched checkpoint",
  NNC5004: "file cannot be written",
  NNC6001: "not differentiable",
  NNC7001: "non-finite value during training",
  NNC7002: "training data does not fit the model",
  NNC7003: "invalid training option",
} as const;

/** A stable nnc error code such as `"NNC2003"`. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** What an {@link NncError} knows besides its code and message. */
export interface NncErrorDetails {
  /** The op being built or run, e.g. `"matmul"`. */
  readonly op?: string;
  /** The node's name (`fc2/matmul`), when there is one. */
  readonly node?: string;
  /** Operands as `[role, description]` lines, e.g. `["lhs", 'f32[32,784]  %3 = relu(%2)']`. */
  readonly operands?: readonly (readonly [string, string])[];
  /** The user's source line that built the offending node. */
  readonly location?: SourceLocation;
}

/**
 * The one error type nnc throws at users: a stable code, the op, its operands and the user's
 * source location, rendered like a compiler diagnostic:
 *
 * ```
 * error NNC2003: matmul: contracting dimensions differ (784 vs 512)
 *   lhs: f32[32,784]  %3 = relu(%2)
 *   rhs: f32[512,10]  param "fc2.weight"
 *   at examples/mlp/model.ts:14:22
 * ```
 */
export class NncError extends Error {
  override readonly name = "NncError";
  readonly code: ErrorCode;
  /** The message without the code, operands or location. */
  readonly summary: string;
  readonly op: string | undefined;
  readonly node: string | undefined;
  readonly operands: readonly (readonly [string, string])[];
  readonly location: SourceLocation | undefined;

  constructor(code: ErrorCode, summary: string, details: NncErrorDetails = {}) {
    super(renderError(code, summary, details));
    this.code = code;
    this.summary = summary;
    this.op = details.op;
    this.node = details.node;
    this.operands = details.operands ?? [];
    this.location = details.location;
  }
}

function renderError(code: ErrorCode, summary: string, details: NncErrorDetails): string {
  const head = details.op ? `${details.op}: ${summary}` : summary;
  const lines = [`error ${code}: ${head}`];
  for (const [role, text] of details.operands ?? []) lines.push(`  ${role}: ${text}`);
  if (details.node) lines.push(`  node: ${details.node}`);
  if (details.location) lines.push(`  at ${formatLocation(details.location)}`);
  return lines.join("\n");
}

/** True when `error` is an {@link NncError} (also across copies of the package). */
export function isNncError(error: unknown): error is NncError {
  return error instanceof NncError || (error instanceof Error && error.name === "NncError");
}

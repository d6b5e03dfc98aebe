/** Where in the user's code a node was built: a file path (relative to the cwd when possible), 1-based line and column. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Renders a location as `file:line:column`. */
export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

// Frames from nnc's own packages (sources or builds, but not their tests) are library frames: the
// user's line is the first frame outside them.
const LIBRARY_FRAME =
  /[\\/](?:packages[\\/](?:core|compiler|backend-[\w-]+|testkit|cli)|node_modules[\\/]@nnc[\\/][\w-]+)[\\/](?:src|dist)[\\/](?!.*\.test\.[cm]?[jt]s)/;
const INTERNAL_FRAME = /^(?:node:|internal[\\/]|native)|[\\/]node_modules[\\/](?!@nnc)/;
const FRAME = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?\s*$/;

/**
 * Returns the first stack frame of the caller that is not inside nnc itself (nor Node internals,
 * nor a dependency), or undefined when there is none (e.g. a graph built by a pass).
 */
export function captureSourceLocation(): SourceLocation | undefined {
  const holder: { stack?: string } = {};
  const previousLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  Error.captureStackTrace(holder, captureSourceLocation);
  Error.stackTraceLimit = previousLimit;
  const lines = (holder.stack ?? "").split("\n").slice(1);
  for (const line of lines) {
    const match = FRAME.exec(line.trim());
    if (!match) continue;
    let file = match[1]!;
    // No node:url here: core must also load in browsers.
    if (file.startsWith("file://")) file = decodeURIComponent(new URL(file).pathname);
    if (LIBRARY_FRAME.test(file) || INTERNAL_FRAME.test(file)) continue;
    return { file: relativeToCwd(file), line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}

function relativeToCwd(file: string): string {
  const cwd =
    typeof process !== "undefined" && typeof process.cwd === "function" ? process.cwd() : "";
  if (cwd && file.startsWith(`${cwd}/`)) return file.slice(cwd.length + 1);
  return file;
}

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { SourceLocation } from "@nnc/core";

/**
 * A few lines of `loc.file` around `loc.line`, numbered, with a caret under `loc.column`; an
 * empty string when the file cannot be read.
 *
 * ```
 *   13 |   const h = g.relu(g.matmul(x, w1));
 * > 14 |   const y = g.matmul(h, w2);
 *      |             ^
 *   15 |   g.output("y", y);
 * ```
 */
export function codeFrame(loc: SourceLocation, context = 2): string {
  let text: string;
  try {
    text = readFileSync(resolve(loc.file), "utf8");
  } catch {
    return "";
  }
  const lines = text.split(/\r?\n/);
  if (loc.line < 1 || loc.line > lines.length) return "";
  const first = Math.max(1, loc.line - context);
  const last = Math.min(lines.length, loc.line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === loc.line ? ">" : " ";
    const source = lines[n - 1]!.replace(/\t/g, "  ");
    out.push(`${marker} ${String(n).padStart(width)} | ${source}`.trimEnd());
    if (n === loc.line) {
      // Tabs were widened to two spaces above: widen them in the prefix the caret follows too.
      const prefix = lines[n - 1]!.slice(0, Math.max(0, loc.column - 1)).replace(/\t/g, "  ");
      out.push(`  ${" ".repeat(width)} | ${" ".repeat(prefix.length)}^`);
    }
  }
  return out.join("\n");
}

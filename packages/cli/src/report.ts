import { type CompileReport, formatMemoryReport, type PassReport } from "@nnc/compiler";
import { formatSummary, type Summary } from "@nnc/core";
import type { CheckResult } from "./check.js";

/** What `report.json` holds. */
export interface ReportJson {
  readonly model: string;
  readonly source: string;
  readonly backend: string;
  readonly mode: "infer" | "train";
  readonly summary: Summary;
  readonly passes: readonly PassReport[];
  readonly memory: CompileReport["memory"];
  readonly opCounts: CompileReport["opCounts"];
  readonly kernels: CompileReport["kernels"];
  readonly moduleBytes: number;
  readonly check?: readonly CheckResult[];
}

/** Builds `report.json`'s content. */
export function reportJson(
  model: string,
  source: string,
  summary: Summary,
  report: CompileReport,
  check: readonly CheckResult[] | undefined,
): ReportJson {
  return {
    model,
    source,
    backend: report.backend,
    mode: report.mode,
    summary,
    passes: report.passes,
    memory: report.memory,
    opCounts: sortedCounts(report.opCounts),
    kernels: sortedCounts(report.kernels),
    moduleBytes: report.moduleBytes,
    ...(check && { check }),
  };
}

/**
 * Renders the readable `report.md`: the summary table, the pass log (without timings, so the
 * file is stable across runs), the memory report and op counts. Text from the model (names)
 * only appears inside code fences longer than any backtick run it contains.
 */
export function reportMarkdown(json: ReportJson): string {
  const sections = [
    `# nnc compile report: ${JSON.stringify(json.model)}`,
    "",
    `- source: ${fence1(json.source)}`,
    `- backend: ${fence1(json.backend)}, mode: ${json.mode}`,
    `- module: ${json.moduleBytes.toLocaleString("en-US")} bytes`,
    "",
    "## Summary",
    "",
    fenced(formatSummary(json.summary)),
    "",
    "## Passes",
    "",
    fenced(formatPassLog(json.passes)),
    "",
    "## Memory",
    "",
    fenced(formatMemoryReport(json.memory)),
    "",
    "## Op counts",
    "",
    fenced(formatCounts(json.opCounts)),
    "",
    "## Kernels",
    "",
    fenced(formatCounts(json.kernels)),
  ];
  if (json.check) {
    sections.push(
      "",
      "## Check against the reference evaluator",
      "",
      fenced(
        json.check
          .map(
            (c) =>
              `${c.ok ? "ok  " : "FAIL"}  ${JSON.stringify(c.output)}  max |error| ${c.maxAbsError.toExponential(2)}`,
          )
          .join("\n"),
      ),
    );
  }
  return `${sections.join("\n")}\n`;
}

/** One line per pass (node counts), its notes indented below; names as JSON strings. */
export function formatPassLog(passes: readonly PassReport[]): string {
  const width = Math.max(4, ...passes.map((p) => p.name.length));
  const lines: string[] = [];
  for (const pass of passes) {
    const nodes = pass.disabled ? "disabled" : `${pass.nodesBefore} → ${pass.nodesAfter} nodes`;
    lines.push(`${pass.name.padEnd(width)}  ${nodes}`);
    for (const note of pass.notes) {
      const op = note.op ? ` (${note.op})` : "";
      lines.push(
        `  ${note.action} ${JSON.stringify(note.node)}${op}: ${note.detail.replace(/\s+/g, " ")}`,
      );
    }
  }
  return lines.join("\n");
}

function formatCounts(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts);
  if (entries.length === 0) return "(none)";
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, n]) => `${k.padEnd(width)}  ${n}`).join("\n");
}

function sortedCounts(counts: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

function fenced(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}text\n${text}\n${fence}`;
}

function fence1(text: string): string {
  const clean = text.replace(/[\r\n]+/g, " ");
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((run) => run.length));
  const tick = "`".repeat(longest + 1);
  return `${tick} ${clean} ${tick}`;
}

/**
 * Writes the CLI reference (src/reference/cli.md, gitignored) from the CLI's own help text
 * (`USAGE` of @nnc/cli) and core's table of error codes (`ERROR_CODES`), so the page cannot
 * drift from what `nnc --help` prints and what nnc throws.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { USAGE } from "@nnc/cli";
import { ERROR_CODES } from "@nnc/core";

/** The generated page. */
export const CLI_REFERENCE = fileURLToPath(new URL("../src/reference/cli.md", import.meta.url));

/** The error-code families, by the first digit of the code (as `ERROR_CODES` documents them). */
const FAMILIES: Readonly<Record<string, string>> = {
  "1": "graph construction",
  "2": "shapes and dtypes",
  "3": "graph verification",
  "4": "evaluation, inputs and backends",
  "5": "serialisation",
  "6": "autodiff",
  "7": "training",
};

/** Generates {@link CLI_REFERENCE}. */
export default async function generateCli(): Promise<void> {
  const rows = Object.entries(ERROR_CODES).map(([code, meaning]) => {
    const family = FAMILIES[code.charAt(3)];
    if (family === undefined) throw new Error(`generate-cli: no family for ${code}`);
    return `| \`${code}\` | ${meaning} | ${family} |`;
  });
  const page = [
    "---",
    "title: CLI reference",
    "order: 1",
    "---",
    "",
    "# CLI reference",
    "",
    "`nnc compile` turns a model file into a standalone module. This page is generated from the",
    "CLI's help text and core's table of error codes when the site is built. For a walk through",
    "the options with real output, see [Compiling with the CLI](/guides/cli).",
    "",
    "## `nnc --help`",
    "",
    "```txt",
    USAGE,
    "```",
    "",
    "## Error codes",
    "",
    "Every error nnc reports to users is an `NncError` with one of these stable codes; the CLI",
    "prints it with the op, the operands and a code frame of the model file, and exits with",
    "status 1. A code never changes meaning once released.",
    "",
    "| code | meaning | raised during |",
    "| --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
  await mkdir(dirname(CLI_REFERENCE), { recursive: true });
  await writeFile(CLI_REFERENCE, page);
  console.log(`generate-cli: ${join("src", "reference", "cli.md")} (${rows.length} error codes)`);
}

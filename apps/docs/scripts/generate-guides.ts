/**
 * Runs the code of "Getting started" and "Compiling with the CLI" when the site is built and
 * writes what it printed as markdown fragments (generated/guides/*.md, gitignored) that the
 * pages include, so every figure and file listing there is nnc's own output:
 *
 * 1. the README's commands for a fresh machine (quoted from README.md, not copied by hand);
 * 2. snippets/first-model/run.ts: the first model in the library (it saves weights.safetensors);
 * 3. `nnc compile` on snippets/first-model/model.ts: --summary, --check --emit svg, training,
 *    --weights, and a model with a mistake (snippets/cli/broken-model.ts);
 * 4. snippets/cli/use-model.mjs with plain Node: the standalone module imported and run;
 * 5. for the backend plugin guide: the tests @nnc/testkit's conformance suite registers, and
 *    sections of the example plugin's README.
 *
 * Everything runs in generated/guides/work, laid out like a user's project (model.ts, nnc-out/).
 */
import { spawnSync } from "node:child_process";
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runCli } from "@nnc/cli";
import { planConformance, referenceBackend, SUITE_TITLE } from "@nnc/testkit";
import { options as exampleOptions } from "../snippets/backend-plugin/conformance-options.js";
import { markdownSection } from "./markdown-section.js";

const app = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(app, "../..");
const snippets = join(app, "snippets");

/** The fragments pages include, e.g. `<!--@include: ../../generated/guides/cli-check.md-->`. */
export const GUIDES_DIR = join(app, "generated", "guides");
/** Pictures the pages show, served at /generated/guides/. */
export const GUIDES_PUBLIC_DIR = join(app, "src", "public", "generated", "guides");
const work = join(GUIDES_DIR, "work");

/** What each file `nnc compile` writes is for. */
const OUTPUT_FILES: Readonly<Record<string, string>> = {
  "model.js": "the compiled program as a standalone ES module (no runtime dependency on nnc)",
  "model.d.ts": "its types: inputs, outputs and parameters by name, with shapes",
  "model.safetensors": "the parameters (initialised, or from `--weights`)",
  "report.json": "the summary, memory plan, pass timings and `--check` results, as data",
  "report.md": "the same report, for people",
  "graph.svg": "a picture of the graph (`--emit svg`)",
};

/** The example backend plugin's README, and the sections of it the guide quotes. */
const PLUGIN_README = "examples/third-party-backend/README.md";
const PLUGIN_SECTIONS = [
  ["plugin-how.md", "## How a backend is written"],
  ["plugin-publishing.md", "## Publishing one"],
] as const;

/** Runs every step and writes the fragments. */
export default async function generateGuides(): Promise<void> {
  await rm(GUIDES_DIR, { recursive: true, force: true });
  await rm(GUIDES_PUBLIC_DIR, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  await mkdir(GUIDES_PUBLIC_DIR, { recursive: true });

  await fragment("readme-commands.md", ["```sh", await readmeCommands(), "```"].join("\n"));

  const run = runNode([tsx(), "--conditions=source", join(snippets, "first-model", "run.ts")]);
  await fragment("first-model-run.md", transcript("npx tsx run.ts", run));

  await copyFile(join(snippets, "first-model", "model.ts"), join(work, "model.ts"));
  await copyFile(join(snippets, "cli", "broken-model.ts"), join(work, "broken-model.ts"));
  await copyFile(join(snippets, "cli", "use-model.mjs"), join(work, "use-model.mjs"));

  await nnc("cli-summary.md", ["compile", "model.ts", "--summary"]);
  await nnc("cli-check.md", ["compile", "model.ts", "--check", "--emit", "svg"]);
  await fragment("cli-files.md", await fileTable(join(work, "nnc-out", "mlp")));
  await copyFile(join(work, "nnc-out", "mlp", "graph.svg"), join(GUIDES_PUBLIC_DIR, "mlp.svg"));
  await nnc("cli-train.md", [
    "compile",
    "model.ts",
    "--mode",
    "train",
    "--optimizer",
    "adam",
    "--lr",
    "0.001",
    "--batch",
    "32",
    "--out",
    "nnc-out/mlp-train",
  ]);
  await nnc("cli-broken.md", ["compile", "broken-model.ts"], 1);
  // Last: the module use-model.mjs imports must hold the trained weights of step 2.
  await nnc("cli-weights.md", [
    "compile",
    "model.ts",
    "--weights",
    "weights.safetensors",
    "--check",
  ]);
  await fragment("use-model.md", transcript("node use-model.mjs", runNode(["use-model.mjs"])));
  await fragment(
    "model-d-ts.md",
    [
      "```ts",
      (await readFile(join(work, "nnc-out", "mlp", "model.d.ts"), "utf8")).trim(),
      "```",
    ].join("\n"),
  );
  await fragment("conformance-plan.md", conformanceTable());
  // The guide's example options must pass the suite's first test, "has valid options".
  await planConformance(exampleOptions)[0]!.run(referenceBackend);
  const pluginReadme = await readFile(join(repo, PLUGIN_README), "utf8");
  for (const [name, heading] of PLUGIN_SECTIONS) {
    await fragment(name, markdownSection(pluginReadme, heading, PLUGIN_README));
  }
  console.log(`generate-guides: ${(await readdir(GUIDES_DIR)).length - 1} fragments`);
}

/** The conformance suite's tests by group, and its model tests by name. */
function conformanceTable(): string {
  const plan = planConformance();
  const groups = new Map<string, number>();
  for (const test of plan) {
    const group = test.group.split(" > ")[0] || "the plugin interface and the options";
    groups.set(group, (groups.get(group) ?? 0) + 1);
  }
  const models = plan.filter((test) => test.group.startsWith("models"));
  return [
    `\`describeBackendConformance\` registers ${plan.length} tests under "${SUITE_TITLE}":`,
    "",
    "| group | tests |",
    "| --- | --: |",
    ...[...groups].map(([group, count]) => `| ${group} | ${count} |`),
    "",
    "The model tests:",
    "",
    // Titles are prose with brackets and symbols: escape what markdown would read as syntax.
    ...models.map((test) => `- ${test.title.replace(/[[\]*_<>`\\]/g, "\\$&")}`),
  ].join("\n");
}

/** The first shell block of the repository's README: its commands for a fresh machine. */
async function readmeCommands(): Promise<string> {
  const readme = await readFile(join(repo, "README.md"), "utf8");
  const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error("generate-guides: README.md has no ```sh block");
  return block.trimEnd();
}

/** Runs `nnc <argv>` in the work directory, in process, and writes its transcript. */
async function nnc(name: string, argv: readonly string[], expectedExit = 0): Promise<void> {
  const lines: string[] = [];
  const io = {
    stdout: (text: string) => lines.push(text),
    stderr: (text: string) => lines.push(text),
  };
  const cwd = process.cwd();
  process.chdir(work);
  let exit: number;
  try {
    exit = await runCli(argv, io);
  } finally {
    process.chdir(cwd);
  }
  const output = lines.join("\n");
  if (exit !== expectedExit) {
    throw new Error(
      `generate-guides: nnc ${argv.join(" ")} exited ${exit}, not ${expectedExit}:\n${output}`,
    );
  }
  await fragment(name, transcript(`nnc ${argv.join(" ")}`, output));
}

/** Runs node with `args` in the work directory; fails on a non-zero exit. */
function runNode(args: readonly string[]): string {
  const result = spawnSync(process.execPath, args, { cwd: work, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(
      `generate-guides: node ${args.join(" ")} failed:\n${result.stdout}${result.stderr}`,
    );
  }
  return result.stdout.trimEnd();
}

/** tsx's command-line entry, run with the same node. */
function tsx(): string {
  return join(app, "node_modules", "tsx", "dist", "cli.mjs");
}

/** A console block: the command, then what it printed. */
function transcript(command: string, output: string): string {
  return ["```txt", `$ ${command}`, output.trimEnd(), "```"].join("\n");
}

/** A table of the files in an output directory, with their sizes and what they are for. */
async function fileTable(dir: string): Promise<string> {
  const rows: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const what = OUTPUT_FILES[name];
    if (what === undefined) throw new Error(`generate-guides: nnc wrote ${name}; describe it`);
    const bytes = (await stat(join(dir, name))).size;
    rows.push(`| \`${name}\` | ${bytes.toLocaleString("en-US")} | ${what} |`);
  }
  return [
    `\`${relative(work, dir)}/\`:`,
    "",
    "| file | bytes | what |",
    "| --- | --: | --- |",
    ...rows,
  ].join("\n");
}

async function fragment(name: string, text: string): Promise<void> {
  await writeFile(join(GUIDES_DIR, name), `${text}\n`);
}

import { parseArgs } from "node:util";
import { CliError } from "./cli-error.js";

/** What `nnc compile` was asked to do, validated. */
export interface CompileCommand {
  readonly command: "compile";
  readonly model: string;
  readonly out: string | undefined;
  readonly backend: string;
  readonly mode: "infer" | "train";
  readonly optimizer: "sgd" | "momentum" | "adam" | undefined;
  readonly lr: number | undefined;
  readonly loss: string | undefined;
  readonly batch: number | undefined;
  readonly summary: boolean;
  readonly emit: readonly ("dot" | "svg" | "json")[];
  readonly dumpAfter: readonly string[];
  readonly disable: readonly string[];
  readonly check: boolean;
  readonly weights: string | undefined;
}

/** A parsed command line. */
export type Command = { readonly command: "help" | "version" } | CompileCommand;

/** The text `nnc --help` prints. */
export const USAGE = `Usage: nnc compile <model.ts|model.js> [options]

Compiles the model a file's default export builds (a Graph, or a possibly async function
returning one) into a standalone module: model.js, model.d.ts, model.safetensors, report.json
and report.md in the output directory.

For --backend cpu, model.js has no dependencies. For a backend plugin, model.js imports the
plugin's package and @nnc/core at run time (resolved from where model.js lives: install both
next to it, or bundle it) and loads the program with the plugin's instantiate.

Options:
  --out <dir>               output directory (default ./nnc-out/<graph name>/)
  --backend <name>          cpu (default), or the npm package name of a backend plugin
  --mode <infer|train>      compile for inference (default) or for training
  --optimizer <name>        training: sgd (default), momentum or adam
  --lr <number>             training: learning rate (default 0.01)
  --loss <output>           training: the scalar output to minimise (default "loss")
  --batch <n>               static batch size, passed to the model function as { batch }
  --summary                 print the per-layer summary table and exit
  --emit <dot|svg|json>     also write a picture of the graph (repeatable)
  --dump-after <pass>       print the graph after a pass to stderr and into dumps/ (repeatable)
  --disable <pass>          skip a pass (repeatable)
  --check                   run the compiled program on random inputs against the reference
  --weights <file>          initial parameters from a .safetensors file
  -h, --help                show this help
  -v, --version             show the version

Exit codes: 0 success, 1 compile or model error, 2 usage error.`;

const OPTIONS = {
  out: { type: "string" },
  backend: { type: "string" },
  mode: { type: "string" },
  optimizer: { type: "string" },
  lr: { type: "string" },
  loss: { type: "string" },
  batch: { type: "string" },
  summary: { type: "boolean" },
  emit: { type: "string", multiple: true },
  "dump-after": { type: "string", multiple: true },
  disable: { type: "string", multiple: true },
  check: { type: "boolean" },
  weights: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

/** Parses and validates a command line (without the `node nnc` prefix); throws usage errors. */
export function parseCommand(argv: readonly string[]): Command {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError("usage", usageMessage(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: "help" };
  if (values.version) return { command: "version" };
  const [command, ...rest] = positionals;
  if (command === undefined) throw new CliError("usage", "missing command: nnc compile <model.ts>");
  if (command !== "compile") {
    throw new CliError(
      "usage",
      `unknown command ${JSON.stringify(command)}; the command is compile`,
    );
  }
  if (rest.length === 0) throw new CliError("usage", "compile: missing the model file");
  if (rest.length > 1) {
    throw new CliError(
      "usage",
      `compile: expected one model file, got ${rest.length}: ${rest.map((r) => JSON.stringify(r)).join(", ")}`,
    );
  }
  const mode = oneOf("--mode", values.mode ?? "infer", ["infer", "train"] as const);
  const optimizer =
    values.optimizer === undefined
      ? undefined
      : oneOf("--optimizer", values.optimizer, ["sgd", "momentum", "adam"] as const);
  const lr = values.lr === undefined ? undefined : positiveNumber("--lr", values.lr);
  if (mode !== "train") {
    for (const [flag, given] of [
      ["--optimizer", values.optimizer],
      ["--lr", values.lr],
      ["--loss", values.loss],
    ] as const) {
      if (given !== undefined) throw new CliError("usage", `${flag} needs --mode train`);
    }
  }
  const batch = values.batch === undefined ? undefined : positiveInteger("--batch", values.batch);
  const emit = (values.emit ?? []).map((e) => oneOf("--emit", e, ["dot", "svg", "json"] as const));
  for (const flag of ["out", "backend", "weights", "loss"] as const) {
    if (values[flag] === "") throw new CliError("usage", `--${flag} must not be empty`);
  }
  return {
    command: "compile",
    model: rest[0]!,
    out: values.out,
    backend: values.backend ?? "cpu",
    mode,
    optimizer,
    lr,
    loss: values.loss,
    batch,
    summary: values.summary ?? false,
    emit: [...new Set(emit)],
    dumpAfter: values["dump-after"] ?? [],
    disable: values.disable ?? [],
    check: values.check ?? false,
    weights: values.weights,
  };
}

function usageMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // parseArgs says e.g. "Unknown option '--frobnicate'. To specify a positional argument ...".
  return message.split(". To specify")[0]!.replace(/\.$/, "");
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new CliError(
    "usage",
    `${flag} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`,
  );
}

function positiveNumber(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new CliError("usage", `${flag} must be a positive number, got ${JSON.stringify(text)}`);
  }
  return value;
}

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new CliError("usage", `${flag} must be a positive integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

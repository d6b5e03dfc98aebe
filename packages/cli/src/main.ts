import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { wasmGemmModule } from "@nnc/backend-cpu";
import {
  adam,
  compileProgram,
  formatMemoryReport,
  loadProgram,
  momentum,
  type Optimizer,
  sgd,
} from "@nnc/compiler";
import {
  formatShape,
  formatSummary,
  isNncError,
  type Program,
  readSafetensors,
  summarize,
} from "@nnc/core";
import { type CompileCommand, parseCommand, USAGE } from "./args.js";
import { checkExecutable } from "./check.js";
import { CliError } from "./cli-error.js";
import { codeFrame } from "./code-frame.js";
import { resolveBackend } from "./load-backend.js";
import { loadModel } from "./load-model.js";
import { renderGraph } from "./render/index.js";
import { reportJson, reportMarkdown } from "./report.js";
import { writeStandaloneFiles } from "./standalone/index.js";
import { safeDirectoryName, writeOutputAtomically } from "./write-output.js";

/** Where the CLI writes: stdout for results, stderr for diagnostics. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const PROCESS_IO: CliIo = {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
};

/** The CLI's version, from its package.json. */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  return String(pkg.version);
}

/**
 * Runs `nnc` with `argv` (the arguments after the program name) and returns the exit code:
 * 0 on success, 1 for a compile or model error, 2 for a usage error. Never throws for user
 * errors; they are printed to `io.stderr`, NncErrors with a code frame of the model file.
 */
export async function runCli(argv: readonly string[], io: CliIo = PROCESS_IO): Promise<number> {
  try {
    const command = parseCommand(argv);
    switch (command.command) {
      case "help":
        io.stdout(USAGE);
        return 0;
      case "version":
        io.stdout(cliVersion());
        return 0;
      case "compile":
        await compileCommand(command, io);
        return 0;
    }
  } catch (error) {
    return reportError(error, io);
  }
}

async function compileCommand(command: CompileCommand, io: CliIo): Promise<void> {
  const graph = await loadModel(command.model, {
    ...(command.batch !== undefined && { batch: command.batch }),
  });
  const summary = summarize(graph);
  if (command.summary) {
    io.stdout(formatSummary(summary));
    return;
  }
  const { backend, specifier, exportName } = await resolveBackend(command.backend);
  const train = command.mode === "train";
  const loss = train ? (command.loss ?? "loss") : undefined;
  const dumps = new Map<string, string>();
  // Compiled and emitted without loading it: writing the files needs no device, so a WebGL
  // model compiles in Node. Only --check loads the program (on this machine's backend).
  const compiled = await compileProgram(graph, {
    backend,
    mode: command.mode,
    ...(loss !== undefined && { loss }),
    ...(train && { optimizer: makeOptimizer(command) }),
    passes: {
      disable: command.disable,
      dumpAfter: command.dumpAfter,
      dump: (pass, text) => {
        io.stderr(`// after ${pass}\n${text}`);
        dumps.set(pass, text);
      },
    },
  });
  const params: Record<string, ArrayLike<number>> = { ...compiled.initialParams };
  if (command.weights !== undefined) {
    Object.assign(params, await loadWeights(compiled.program, command.weights));
  }

  const files = new Map<string, string | Uint8Array>();
  const standalone = writeStandaloneFiles(
    { ...compiled, getParams: () => params },
    {
      name: graph.name,
      ...(loss !== undefined && { loss }),
      // CPU modules carry the WebAssembly SIMD GEMM (used where SIMD is available).
      ...(compiled.module.backend === "cpu" && { wasmGemm: wasmGemmModule() }),
      // Other backends' modules import the backend package (and @nnc/core) at run time.
      ...(specifier !== null && { backendPackage: { specifier, exportName } }),
    },
  );
  for (const [name, content] of Object.entries(standalone)) files.set(name, content);
  for (const format of command.emit) files.set(`graph.${format}`, renderGraph(graph, format));
  for (const [pass, text] of dumps) files.set(`dumps/${safeDirectoryName(pass)}.txt`, `${text}\n`);

  // Last, after the files are built: in training the check runs a step, which updates parameters.
  let check: ReturnType<typeof checkExecutable> | undefined;
  if (command.check) {
    const exe = await loadProgram(compiled, backend);
    exe.setParams(params);
    check = checkExecutable(graph, exe, loss);
  }
  const source = relative(process.cwd(), command.model) || command.model;
  const json = reportJson(graph.name, source, summary, compiled.report, check);
  files.set("report.json", `${JSON.stringify(json, null, 2)}\n`);
  files.set("report.md", reportMarkdown(json));
  const failed = check?.filter((c) => !c.ok) ?? [];
  if (failed.length) {
    throw new CliError(
      "user",
      `--check: the compiled program differs from the reference evaluator:\n${failed
        .map(
          (c) =>
            `  output ${JSON.stringify(c.output)}: max |error| ${c.maxAbsError.toExponential(2)}`,
        )
        .join("\n")}\nnothing was written`,
    );
  }
  const outDir = command.out ?? join("nnc-out", safeDirectoryName(graph.name));
  await writeOutputAtomically(outDir, files);

  io.stdout(formatSummary(summary));
  io.stdout("");
  const memory = compiled.report.memory;
  io.stdout(
    `compiled ${JSON.stringify(graph.name)} for ${compiled.report.backend} (${compiled.report.mode}): ${Object.values(compiled.report.opCounts).reduce((a, b) => a + b, 0)} ops, arena ${(memory.arenaBytes / 1024).toFixed(1)} KiB`,
  );
  for (const c of check ?? []) {
    io.stdout(
      `check ${JSON.stringify(c.output)}: ok (max |error| ${c.maxAbsError.toExponential(2)})`,
    );
  }
  // The memory report (issue 5: `nnc compile` prints it): kept activations, planned vs naive.
  io.stdout("");
  io.stdout(formatMemoryReport(memory));
  io.stdout("");
  io.stdout(`wrote ${outDir}: ${[...files.keys()].sort().join(", ")}`);
}

function makeOptimizer(command: CompileCommand): Optimizer {
  const lr = command.lr ?? 0.01;
  switch (command.optimizer ?? "sgd") {
    case "sgd":
      return sgd({ lr });
    case "momentum":
      return momentum({ lr });
    case "adam":
      return adam({ lr });
  }
}

/** Sets the executable's parameters from a safetensors file; every tensor must be a parameter. */
/** The parameter values of a `--weights` safetensors file, checked against the program's. */
async function loadWeights(program: Program, file: string): Promise<Record<string, Float32Array>> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch {
    throw new CliError("user", `--weights: cannot read ${file}`);
  }
  const { tensors } = readSafetensors(bytes);
  const params = program.graph.params;
  const values: Record<string, Float32Array> = {};
  for (const [name, tensor] of tensors) {
    const param = params.find((p) => p.name === name);
    if (!param) {
      throw new CliError(
        "user",
        `--weights ${file}: tensor ${JSON.stringify(name)} is not a parameter of the compiled program (parameters: ${params.map((p) => JSON.stringify(p.name)).join(", ")})`,
      );
    }
    const expected = formatShape(param.type.shape);
    if (formatShape(tensor.shape) !== expected) {
      throw new CliError(
        "user",
        `--weights ${file}: tensor ${JSON.stringify(name)} has shape ${formatShape(tensor.shape)}, the parameter has ${expected}`,
      );
    }
    values[name] = Float32Array.from(tensor.data);
  }
  return values;
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CliError) {
    io.stderr(`nnc: error: ${error.message}`);
    if (error.kind === "usage") io.stderr('Run "nnc --help" for usage.');
    return error.exitCode;
  }
  if (isNncError(error)) {
    io.stderr(error.message);
    const frame = error.location ? codeFrame(error.location) : "";
    if (frame) io.stderr(`\n${frame}`);
    return 1;
  }
  io.stderr(`nnc: internal error (please report it): ${(error as Error)?.stack ?? String(error)}`);
  return 1;
}

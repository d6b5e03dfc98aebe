/**
 * `pnpm bench`: runs the workloads of BENCHMARKS.md with nnc and the peer libraries in one run
 * on this machine, each library in its own process, checks that they agree before timing any of
 * them, and prints the results as markdown (the table in bench/README.md comes from here).
 */
import { LIBRARY_PACKAGES, type LibraryId } from "./libraries/library.js";
import { packageVersion } from "./libraries/load.js";
import { type MachineInfo, machineInfo } from "./machine.js";
import { parseOptions, USAGE } from "./options.js";
import {
  baselineRss,
  REFERENCE_LIBRARY,
  runWorkload,
  type WorkloadResult,
} from "./run-workload.js";
import { renderTable } from "./table.js";
import { MEMORY_WORKLOAD, makeWorkload, WORKLOADS } from "./workloads.js";

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const options = parseOptions(argv);
  const log = (line: string) => console.log(line);
  const machine = machineInfo();
  log(
    `nnc bench${options.quick ? " (--quick: a smoke test, not for the README)" : ""}: every ` +
      `library runs in its own process and is checked against ${REFERENCE_LIBRARY} before it is timed.`,
  );

  // M1 is measured in the W2 processes, so selecting M1 runs W2.
  const withMemory = options.groups.has("M1");
  const selected = WORKLOADS.filter(
    ({ id, group }) => options.groups.has(group) || (withMemory && id === MEMORY_WORKLOAD),
  );
  const results: WorkloadResult[] = [];
  for (const { id } of selected) {
    results.push(await runWorkload(makeWorkload(id), options.libraries, options.plan, log));
  }
  const memory = withMemory ? results.find((r) => r.workload.id === MEMORY_WORKLOAD) : undefined;
  const baselineRssBytes = withMemory ? await baselineRss() : undefined;
  const loadAfter = loadAverage();

  log(
    [
      "",
      `## Results (${machine.date})`,
      "",
      machineLine(machine, loadAfter),
      "",
      ...options.libraries.map((id) => libraryLine(id, machine, results)),
      "",
      renderTable({
        libraries: options.libraries,
        workloads: results,
        memory,
        baselineRssBytes,
        plan: options.plan,
      }),
    ].join("\n"),
  );
}

function machineLine(machine: MachineInfo, loadAfter: string): string {
  return (
    `Machine: ${machine.nproc} cores (\`nproc\`), ${machine.cpuModel}, ${machine.memoryGiB} GiB, ` +
    `${machine.platform}, Node ${machine.node}; load average ${machine.loadAverage} before the ` +
    `run, ${loadAfter} after.`
  );
}

/** "- tfjs-wasm: @tensorflow/tfjs 4.22.0, @tensorflow/tfjs-backend-wasm 4.22.0, 1 thread". */
function libraryLine(id: LibraryId, machine: MachineInfo, results: readonly WorkloadResult[]) {
  const packages = LIBRARY_PACKAGES[id];
  const version =
    packages.length === 0
      ? `nnc working tree at commit ${machine.nncCommit} (sources run as they are)`
      : packages.map((name) => `${name} ${packageVersion(name)}`).join(", ");
  let threads: number | undefined;
  for (const { cells } of results) {
    const cell = cells.get(id);
    if (cell?.status === "timed") threads = cell.library.threads;
  }
  const threadText = threads === undefined ? "" : `, ${threads} thread${threads === 1 ? "" : "s"}`;
  return `- ${id}: ${version}${threadText}`;
}

function loadAverage(): string {
  return machineInfo().loadAverage;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

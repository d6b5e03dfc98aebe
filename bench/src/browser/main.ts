/**
 * `pnpm bench:browser`: the workloads W1–W4 with nnc-webgl, tfjs-webgl and jax-js-webgl side by
 * side in one headless Chromium session (WebGL2 through SwiftShader), a fresh page per library
 * and workload; every library is checked against tfjs-webgl before it is timed. Prints the
 * results as markdown, with nnc-webgl's speed-up over each peer.
 */
import {
  BROWSER_LIBRARY_IDS,
  type BrowserLibraryId,
  LIBRARY_PACKAGES,
} from "../libraries/library.js";
import { packageVersion } from "../libraries/load.js";
import { type MachineInfo, machineInfo } from "../machine.js";
import type { TimingPlan } from "../measure.js";
import { parseCommandLine } from "../options.js";
import { makeWorkload, WORKLOADS, type WorkloadGroup } from "../workloads.js";
import { bundlePage } from "./bundle.js";
import type { GlEnvironment } from "./protocol.js";
import {
  BROWSER_REFERENCE,
  type BrowserWorkloadResult,
  runBrowserWorkload,
} from "./run-workload.js";
import { servePage } from "./server.js";
import { BrowserSession } from "./session.js";
import { renderBrowserTable } from "./table.js";

const GROUPS: readonly WorkloadGroup[] = ["W1", "W2", "W3", "W4"];

const USAGE = `usage: pnpm bench:browser [--only W1,W2,W3,W4] [--libs ${BROWSER_LIBRARY_IDS.join(",")}] [--quick]
  --only   workloads to run (default: all)
  --libs   libraries to compare (default: all)
  --quick  up to 5 timed runs after 1 warm-up run, at least 2 (a smoke test; the README figures
           use the default: 50 timed runs after 5 warm-up runs, at least 10 for a library slower
           than the 60 s budget per cell)
  Chromium: $NNC_CHROMIUM, else /usr/bin/chromium`;

// jax-js's WebGL device takes seconds per W3 b=16 or W4 run under SwiftShader (tens of seconds
// on a busy machine), so slow cells go down to fewer runs than in the Node harness, and the
// smoke test keeps every cell short enough for the whole run to take a few minutes.
const FULL: TimingPlan = { warmup: 5, steps: 50, minSteps: 10, budgetMs: 60_000 };
const QUICK: TimingPlan = { warmup: 1, steps: 5, minSteps: 2, budgetMs: 3_000 };

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const options = parseCommandLine(argv, {
    groups: GROUPS,
    libraries: BROWSER_LIBRARY_IDS,
    full: FULL,
    quick: QUICK,
    usage: USAGE,
  });
  const log = (line: string) => console.log(line);
  const machine = machineInfo();
  log(
    `nnc bench:browser${options.quick ? " (--quick: a smoke test, not for the README)" : ""}: ` +
      `one headless Chromium, a fresh page per library and workload, every library checked ` +
      `against ${BROWSER_REFERENCE} before it is timed.`,
  );

  const bundle = await bundlePage();
  if (bundle.webglProblem) log(`nnc-webgl will fail: ${bundle.webglProblem}`);
  const server = await servePage(bundle);
  let session: BrowserSession | undefined;
  try {
    session = await BrowserSession.launch(server.url);
    const environment = await session.environment();
    log(`Chromium ${session.version()}; WebGL2 renderer: ${describeGl(environment)}`);
    const results: BrowserWorkloadResult[] = [];
    for (const { id, group } of WORKLOADS) {
      if (!options.groups.has(group)) continue;
      const workload = makeWorkload(id);
      results.push(
        await runBrowserWorkload(session, workload, options.libraries, options.plan, log),
      );
    }
    log(
      [
        "",
        `## WebGL results (${machine.date})`,
        "",
        machineLine(machine),
        `Browser: Chromium ${session.version()} (headless, \`--use-angle=swiftshader\`); WebGL2 ` +
          `renderer: ${describeGl(environment)}.`,
        "",
        ...options.libraries.map((id) => libraryLine(id, machine)),
        "",
        renderBrowserTable(options.libraries, results, options.plan),
      ].join("\n"),
    );
  } finally {
    await session?.close();
    await server.close();
  }
}

function describeGl(environment: GlEnvironment | undefined): string {
  if (!environment) return "none (no WebGL2 in this browser)";
  return `${environment.renderer} (${environment.vendor}; ${environment.version})`;
}

function machineLine(machine: MachineInfo): string {
  return (
    `Machine: ${machine.nproc} cores (\`nproc\`), ${machine.cpuModel}, ${machine.memoryGiB} GiB, ` +
    `${machine.platform}, Node ${machine.node}; load average ${machine.loadAverage} before the ` +
    `run, ${machineInfo().loadAverage} after.`
  );
}

/** "- tfjs-webgl: @tensorflow/tfjs 4.22.0". */
function libraryLine(id: BrowserLibraryId, machine: MachineInfo): string {
  const packages = LIBRARY_PACKAGES[id];
  const version =
    packages.length === 0
      ? `nnc working tree at commit ${machine.nncCommit} (sources run as they are)`
      : packages.map((name) => `${name} ${packageVersion(name)}`).join(", ");
  return `- ${id}: ${version}`;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

import { LIBRARY_IDS, type LibraryId } from "./libraries/library.js";
import type { TimingPlan } from "./measure.js";
import { WORKLOAD_GROUPS, type WorkloadGroup } from "./workloads.js";

/** Command-line options of `pnpm bench`. */
export interface BenchOptions {
  readonly groups: ReadonlySet<WorkloadGroup>;
  readonly libraries: readonly LibraryId[];
  readonly quick: boolean;
  readonly plan: TimingPlan;
}

export const USAGE = `usage: pnpm bench [--only W1,W2,W3,W4,M1] [--libs ${LIBRARY_IDS.join(",")}] [--quick]
  --only   workloads to run (default: all); M1 is measured in W2's processes, so it runs W2
  --libs   libraries to compare (default: all)
  --quick  10 timed runs after 2 warm-up runs (a smoke test; the README figures use the default:
           50 timed runs after 5 warm-up runs, fewer for a library slower than the time budget)`;

const FULL: TimingPlan = { warmup: 5, steps: 50, minSteps: 20, budgetMs: 60_000 };
const QUICK: TimingPlan = { warmup: 2, steps: 10, minSteps: 5, budgetMs: 5_000 };

/** Parses argv (without node and the script); throws a message with the usage on bad input. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  let groups = new Set<WorkloadGroup>(WORKLOAD_GROUPS);
  let libraries: LibraryId[] = [...LIBRARY_IDS];
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.split("=", 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v.split(",").map((s) => s.trim());
    };
    if (flag === "--only") groups = new Set(value().map((g) => pick(g, WORKLOAD_GROUPS, flag)));
    else if (flag === "--libs") libraries = value().map((l) => pick(l, LIBRARY_IDS, flag));
    else if (flag === "--quick") quick = true;
    else if (flag === "--") continue;
    else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  return { groups, libraries, quick, plan: quick ? QUICK : FULL };
}

function pick<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (!match)
    throw new Error(`${flag}: unknown "${value}" (one of ${allowed.join(", ")})\n${USAGE}`);
  return match;
}

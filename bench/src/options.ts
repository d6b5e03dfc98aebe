import { LIBRARY_IDS, type LibraryId } from "./libraries/library.js";
import type { TimingPlan } from "./measure.js";
import { WORKLOAD_GROUPS, type WorkloadGroup } from "./workloads.js";

/** Command-line options of `pnpm bench` (and, with other choices, `pnpm bench:browser`). */
export interface BenchOptions<Id extends LibraryId = LibraryId> {
  readonly groups: ReadonlySet<WorkloadGroup>;
  readonly libraries: readonly Id[];
  readonly quick: boolean;
  readonly plan: TimingPlan;
}

/** What a harness accepts on its command line. */
export interface OptionSpec<Id extends LibraryId> {
  readonly groups: readonly WorkloadGroup[];
  readonly libraries: readonly Id[];
  readonly full: TimingPlan;
  readonly quick: TimingPlan;
  readonly usage: string;
}

export const USAGE = `usage: pnpm bench [--only W1,W2,W3,W4,M1] [--libs ${LIBRARY_IDS.join(",")}] [--quick]
  --only   workloads to run (default: all); M1 is measured in W2's processes, so it runs W2
  --libs   libraries to compare (default: all)
  --quick  10 timed runs after 2 warm-up runs (a smoke test; the README figures use the default:
           50 timed runs after 5 warm-up runs, fewer for a library slower than the time budget)`;

const FULL: TimingPlan = { warmup: 5, steps: 50, minSteps: 20, budgetMs: 60_000 };
const QUICK: TimingPlan = { warmup: 2, steps: 10, minSteps: 5, budgetMs: 5_000 };

/** Parses `pnpm bench`'s argv (without node and the script); throws a message with the usage on bad input. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  return parseCommandLine(argv, {
    groups: WORKLOAD_GROUPS,
    libraries: LIBRARY_IDS,
    full: FULL,
    quick: QUICK,
    usage: USAGE,
  });
}

/** Parses `--only`, `--libs` and `--quick` against `spec`; throws a message with the usage on bad input. */
export function parseCommandLine<Id extends LibraryId>(
  argv: readonly string[],
  spec: OptionSpec<Id>,
): BenchOptions<Id> {
  const { usage } = spec;
  let groups = new Set<WorkloadGroup>(spec.groups);
  let libraries: Id[] = [...spec.libraries];
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.split("=", 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${usage}`);
      return v.split(",").map((s) => s.trim());
    };
    if (flag === "--only") groups = new Set(value().map((g) => pick(g, spec.groups, flag, usage)));
    else if (flag === "--libs")
      libraries = value().map((l) => pick(l, spec.libraries, flag, usage));
    else if (flag === "--quick") quick = true;
    else if (flag === "--") continue;
    else throw new Error(`unknown option ${arg}\n${usage}`);
  }
  return { groups, libraries, quick, plan: quick ? spec.quick : spec.full };
}

function pick<T extends string>(
  value: string,
  allowed: readonly T[],
  flag: string,
  usage: string,
): T {
  const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (!match)
    throw new Error(`${flag}: unknown "${value}" (one of ${allowed.join(", ")})\n${usage}`);
  return match;
}

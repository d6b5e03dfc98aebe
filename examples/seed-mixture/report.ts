/** Text tables of a mixture-recovery run, for the seed-mixture script. */
import type { MixtureRun } from "./fit-mixture.js";
import type { Recovery } from "./mixture.js";

/**
 * One row per true component: true and fitted π, |Δπ|, true and fitted w (fitted component
 * matched by the best permutation), and ‖Δw‖₂.
 */
export function formatComponentTable(recovery: Recovery): string {
  const header = [
    "component",
    "fitted unit",
    "π true",
    "π fitted",
    "|Δπ|",
    "w true",
    "w fitted",
    "‖Δw‖",
  ];
  const rows = recovery.components.map((c, k) => [
    String(k + 1),
    String(c.fitted + 1),
    c.truePi.toFixed(3),
    c.fittedPi.toFixed(3),
    c.piError.toFixed(3),
    formatVector(c.trueWeight),
    formatVector(c.fittedWeight),
    c.weightError.toFixed(3),
  ]);
  return formatTable([header, ...rows]);
}

/** The prediction gap and the NLLs, before and after training, against the true mixture. */
export function formatFitSummary(run: MixtureRun): string {
  const { before, after } = run;
  const rows = [
    ["", "untrained", "fitted", "true mixture"],
    [
      "mean |p̂(x) − p(x)|",
      before.recovery.predictionGap.toFixed(4),
      after.recovery.predictionGap.toFixed(4),
      "0",
    ],
    [
      "max |p̂(x) − p(x)|",
      before.recovery.maxPredictionGap.toFixed(4),
      after.recovery.maxPredictionGap.toFixed(4),
      "0",
    ],
    [
      "held-out NLL",
      before.heldOutNll.toFixed(5),
      after.heldOutNll.toFixed(5),
      run.trueHeldOutNll.toFixed(5),
    ],
    [
      "training NLL",
      before.trainNll.toFixed(5),
      after.trainNll.toFixed(5),
      run.trueTrainNll.toFixed(5),
    ],
  ];
  return formatTable(rows);
}

function formatVector(values: readonly number[]): string {
  return `(${values.map((v) => (Object.is(Math.round(v * 100), -0) ? 0 : v).toFixed(2).padStart(5)).join(", ")})`;
}

/** Left-aligned first column, right-aligned others, two spaces between columns. */
function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...r[i]!].length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => {
          const pad = " ".repeat(widths[i]! - [...cell].length);
          return i === 0 ? cell + pad : pad + cell;
        })
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

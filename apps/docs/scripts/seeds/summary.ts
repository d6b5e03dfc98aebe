/** Model summaries as the pages print them: one row per layer, shapes per example (H×W×C). */
import { formatExampleShape, type Summary } from "@nnc/core";

/** One summary row, ready to print. */
export interface SummaryRowFigure {
  readonly name: string;
  readonly op: string;
  /** Output shape per example: `31×31×5` for NCHW, `5` for a vector. */
  readonly output: string;
  readonly params: number;
  /** `4×4`, or null when the graph has no image input upstream. */
  readonly receptiveField: string | null;
}

/** The rows and totals of `summary`, as plain JSON. */
export function summaryFigure(summary: Summary) {
  const rows: SummaryRowFigure[] = summary.rows.map((r) => ({
    name: r.name,
    op: r.op,
    output: formatExampleShape(r.outputShape),
    params: r.params,
    receptiveField: r.receptiveField ? `${r.receptiveField[0]}×${r.receptiveField[1]}` : null,
  }));
  return {
    rows,
    trainableParams: summary.trainableParams,
    nonTrainableParams: summary.nonTrainableParams,
  };
}

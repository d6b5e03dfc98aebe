import { NncError } from "@nnc/core";
import type { NonFiniteValue } from "./non-finite-probe.js";

/** Where training was when a value went non-finite, and what the probe found. */
export interface NonFiniteEvent {
  /** The step's loss; absent when debug mode stopped before the step ran. */
  readonly loss?: number;
  readonly step: number;
  readonly epoch: number;
  /** 1-based index of the batch within its epoch. */
  readonly batch: number;
  readonly stepsPerEpoch: number;
  readonly culprit: NonFiniteValue | undefined;
  /** Whether the step could be re-run to look for the culprit. */
  readonly traced: boolean;
}

/**
 * The NNC7001 error that stops training: the step, the loss, and the first node whose value went
 * NaN or ±Inf with the user's source line that built it.
 */
export function nonFiniteLossError(event: NonFiniteEvent): NncError {
  const where = `step ${event.step} (epoch ${event.epoch}, batch ${event.batch} of ${event.stepsPerEpoch})`;
  const what = event.loss === undefined ? "a value is not finite" : `the loss is ${event.loss}`;
  const { culprit } = event;
  if (culprit) {
    const counts = [
      culprit.nan > 0 ? `${culprit.nan} NaN` : "",
      culprit.infinite > 0 ? `${culprit.infinite} ±Inf` : "",
    ]
      .filter(Boolean)
      .join(", ");
    const role = culprit.op === "param" ? "parameter" : "node";
    return new NncError(
      "NNC7001",
      `${where}: ${what}; the first non-finite value is ${role} "${culprit.node}" (${culprit.op} → ${culprit.type}: ${counts} of ${culprit.size}); training stopped with the parameters from before this step`,
      {
        op: culprit.op,
        node: culprit.node,
        ...(culprit.location && { location: culprit.location }),
      },
    );
  }
  const hint = event.traced
    ? "re-running the step found every value finite (the compiled step and the probe round differently); try debug: true"
    : "the parameters were too large to keep a copy before each step: rerun with debug: true to find the first non-finite node";
  return new NncError("NNC7001", `${where}: ${what}; ${hint}`);
}

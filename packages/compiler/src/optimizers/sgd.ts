import { NncError } from "@nnc/core";
import { type Optimizer, withL2 } from "./optimizer.js";

/** Options of {@link sgd}. */
export interface SgdOptions {
  readonly lr: number;
  /** Coupled L2 penalty λ: the gradient gets + λ·w. Default 0. */
  readonly weightDecay?: number;
}

/** Plain stochastic gradient descent: w ← w − lr·(∇w + λ·w). */
export function sgd(options: SgdOptions): Optimizer {
  const weightDecay = options.weightDecay ?? 0;
  checkHyper("sgd", { lr: options.lr, weightDecay });
  return {
    name: "sgd",
    lr: options.lr,
    hyperparameters: { lr: options.lr, weightDecay },
    update: (ctx, w, grad) => ctx.g.sub(w, ctx.g.mul(withL2(ctx, w, grad, weightDecay), ctx.lr)),
  };
}

/** Rejects non-finite or negative hyperparameters with a clear error. */
export function checkHyper(
  optimizer: string,
  values: Readonly<Record<string, number>>,
  ranges: Readonly<Record<string, [number, number]>> = {},
): void {
  for (const [name, value] of Object.entries(values)) {
    const [low, high] = ranges[name] ?? [0, Number.POSITIVE_INFINITY];
    if (typeof value !== "number" || !Number.isFinite(value) || value < low || value > high) {
      const range = high === Number.POSITIVE_INFINITY ? `≥ ${low}` : `in [${low}, ${high}]`;
      throw new NncError(
        "NNC1002",
        `${optimizer}: ${name} must be a finite number ${range}, got ${value}`,
      );
    }
  }
}

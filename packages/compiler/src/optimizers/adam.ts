import type { Value } from "@nnc/core";
import { type Optimizer, type UpdateContext, withL2 } from "./optimizer.js";
import { checkHyper } from "./sgd.js";

/** Options of {@link adam} and {@link adamw}. */
export interface AdamOptions {
  readonly lr: number;
  /** β₁, default 0.9. */
  readonly beta1?: number;
  /** β₂, default 0.999. */
  readonly beta2?: number;
  /** ε, default 1e-8. */
  readonly epsilon?: number;
  /** Adam: coupled L2 penalty added to the gradient; AdamW: decoupled decay. Default 0 (AdamW 0.01). */
  readonly weightDecay?: number;
}

/**
 * Adam (Kingma & Ba): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², w ← w − lr·m̂/(√v̂ + ε) with the
 * bias corrections m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ). `weightDecay` is the coupled L2 penalty.
 */
export function adam(options: AdamOptions): Optimizer {
  return adamFamily("adam", options, options.weightDecay ?? 0, false);
}

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay,
 * w ← w − lr·(m̂/(√v̂ + ε) + λ·w). Default λ = 0.01.
 */
export function adamw(options: AdamOptions): Optimizer {
  return adamFamily("adamw", options, options.weightDecay ?? 0.01, true);
}

function adamFamily(
  name: string,
  options: AdamOptions,
  weightDecay: number,
  decoupled: boolean,
): Optimizer {
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const epsilon = options.epsilon ?? 1e-8;
  checkHyper(
    name,
    { lr: options.lr, beta1, beta2, epsilon, weightDecay },
    { beta1: [0, 1], beta2: [0, 1] },
  );
  return {
    name,
    lr: options.lr,
    hyperparameters: { lr: options.lr, beta1, beta2, epsilon, weightDecay },
    update: (ctx: UpdateContext, w: Value, grad: Value) => {
      const { g } = ctx;
      const gradient = decoupled ? grad : withL2(ctx, w, grad, weightDecay);
      const m = ctx.state("m", "zeros");
      const v = ctx.state("v", "zeros");
      const nextM = g.add(g.mul(m, beta1), g.mul(gradient, 1 - beta1));
      const nextV = g.add(g.mul(v, beta2), g.mul(g.square(gradient), 1 - beta2));
      ctx.setState(m, nextM);
      ctx.setState(v, nextV);
      // Bias corrections 1 − βᵗ, scalars computed once per step.
      const mHat = g.div(nextM, g.sub(1, g.pow(g.constant(beta1), ctx.step)));
      const vHat = g.div(nextV, g.sub(1, g.pow(g.constant(beta2), ctx.step)));
      let direction = g.div(mHat, g.add(g.sqrt(vHat), epsilon));
      if (decoupled && weightDecay !== 0) direction = g.add(direction, g.mul(w, weightDecay));
      return g.sub(w, g.mul(direction, ctx.lr));
    },
  };
}

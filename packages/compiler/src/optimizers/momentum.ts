import { type Optimizer, withL2 } from "./optimizer.js";
import { checkHyper } from "./sgd.js";

/** Options of {@link momentum}. */
export interface MomentumOptions {
  readonly lr: number;
  /** μ, default 0.9. */
  readonly momentum?: number;
  /** Nesterov's variant: step along ∇w + μ·v instead of v. Default false. */
  readonly nesterov?: boolean;
  /** Coupled L2 penalty λ. Default 0. */
  readonly weightDecay?: number;
}

/**
 * SGD with momentum, PyTorch's formulation: v ← μ·v + g, then w ← w − lr·v (or, Nesterov,
 * w ← w − lr·(g + μ·v)), with g = ∇w + λ·w. The velocity starts at zero.
 */
export function momentum(options: MomentumOptions): Optimizer {
  const mu = options.momentum ?? 0.9;
  const nesterov = options.nesterov ?? false;
  const weightDecay = options.weightDecay ?? 0;
  checkHyper("momentum", { lr: options.lr, momentum: mu, weightDecay }, { momentum: [0, 1] });
  return {
    name: nesterov ? "nesterov" : "momentum",
    lr: options.lr,
    hyperparameters: { lr: options.lr, momentum: mu, nesterov, weightDecay },
    update: (ctx, w, grad) => {
      const { g } = ctx;
      const gradient = withL2(ctx, w, grad, weightDecay);
      const velocity = ctx.state("velocity", "zeros");
      const next = g.add(g.mul(velocity, mu), gradient);
      ctx.setState(velocity, next);
      const direction = nesterov ? g.add(gradient, g.mul(next, mu)) : next;
      return g.sub(w, g.mul(direction, ctx.lr));
    },
  };
}

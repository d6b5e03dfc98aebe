import type { GraphBuilder, InitOption, Value } from "@nnc/core";

/** What an optimizer's update rule can use while building the update of one parameter. */
export interface UpdateContext {
  readonly g: GraphBuilder;
  /** The parameter's name (`fc1.weight`). */
  readonly param: string;
  /** The learning rate: a scalar state parameter `opt/lr`, so schedules can change it between steps. */
  readonly lr: Value;
  /** The step count after this step (1 on the first step), float32 scalar. */
  readonly step: Value;
  /**
   * Declares a state slot of this parameter (`opt/<param>/<name>`, same shape, non-trainable,
   * initialised as given) and returns its current value.
   */
  state(name: string, init?: InitOption): Value;
  /** Records the state slot's value after this step. */
  setState(slot: Value, value: Value): void;
}

/**
 * An optimizer as a graph transformation: for each trainable parameter, `update` builds the
 * parameter's new value from its value and its gradient, declaring whatever state it keeps.
 */
export interface Optimizer {
  readonly name: string;
  /** The learning rate the `opt/lr` state starts at. */
  readonly lr: number;
  /** Every hyperparameter, for reports. */
  readonly hyperparameters: Readonly<Record<string, number | boolean>>;
  /** The new value of `param` given its gradient `grad`. */
  update(ctx: UpdateContext, param: Value, grad: Value): Value;
}

/** Adds coupled L2 weight decay to a gradient: g + λ·w (the gradient of (λ/2)‖w‖²). */
export function withL2(ctx: UpdateContext, param: Value, grad: Value, weightDecay: number): Value {
  return weightDecay === 0 ? grad : ctx.g.add(grad, ctx.g.mul(param, weightDecay));
}

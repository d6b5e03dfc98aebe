import type { GraphBuilder, Value } from "@nnc/core";

/**
 * Marks `x` as a constant for differentiation: its value passes through unchanged, but no
 * gradient flows back through it (JAX's `lax.stop_gradient`). The same as `g.stopGradient(x)`.
 */
export function stopGradient(g: GraphBuilder, x: Value): Value {
  return g.stopGradient(x);
}

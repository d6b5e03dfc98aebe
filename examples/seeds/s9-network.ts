/**
 * SEEDS.md S9 (seed document 004): the numeric backpropagation walk-through.
 *   a⁽¹⁾ = W⁽¹⁾x, h⁽¹⁾ = ReLU(a⁽¹⁾), a⁽²⁾ = W⁽²⁾h⁽¹⁾, h⁽²⁾ = ReLU(a⁽²⁾), ŷ = W⁽³⁾h⁽²⁾,
 *   J = (y − ŷ)²,
 * with W⁽¹⁾ = [1, −1]ᵀ, W⁽²⁾ = [[−1, 1], [1, −1]], W⁽³⁾ = [−1, 1], no biases, x = 3, y = 6.
 *
 * Layout: the document multiplies weight matrices into column vectors, a⁽²⁾ᵢ = Σⱼ w⁽²⁾ᵢⱼ·h⁽¹⁾ⱼ,
 * so w⁽²⁾ᵢⱼ connects unit j of layer 1 to unit i of layer 2 and its gradient is
 * ∂J/∂a⁽²⁾ᵢ·h⁽¹⁾ⱼ (equations 30–33). The network keeps that layout: activations are [units, 1]
 * columns and every layer is `matmul(W, h)` with W of shape [out, in], so `W2` row-major is
 * (w₁₁, w₁₂, w₂₁, w₂₂) and its gradient comes out as the document's [[0, 0], [−18, 0]].
 * (nnc's dense layers use the transposed [in, out] layout, y = x·W, which would put the −18 at
 * [0][1] instead.)
 */
import { type Graph, GraphBuilder, type Value } from "@nnc/core";

/** The values of the walk-through, as graph values. */
export interface S9Values {
  readonly x: Value;
  readonly y: Value;
  readonly w1: Value;
  readonly w2: Value;
  readonly w3: Value;
  readonly a1: Value;
  readonly h1: Value;
  readonly a2: Value;
  readonly h2: Value;
  readonly yHat: Value;
  /** J = (y − ŷ)², a scalar. */
  readonly j: Value;
}

/**
 * Adds the S9 network to `g`: inputs `x` and `y` ([1, 1]), parameters `W1` [2, 1], `W2` [2, 2]
 * and `W3` [1, 2] initialised to the document's values. Declares no outputs, so callers can
 * extend the loss (a weight penalty, say) before choosing them.
 */
export function addS9Network(g: GraphBuilder): S9Values {
  // #region network
  const x = g.input("x", [1, 1]);
  const y = g.input("y", [1, 1]);
  const w1 = g.param("W1", [2, 1], { init: [1, -1] });
  const w2 = g.param("W2", [2, 2], { init: [-1, 1, 1, -1] });
  const w3 = g.param("W3", [1, 2], { init: [-1, 1] });
  const a1 = g.matmul(w1, x);
  const h1 = g.relu(a1);
  const a2 = g.matmul(w2, h1);
  const h2 = g.relu(a2);
  const yHat = g.matmul(w3, h2);
  const j = g.sum(g.square(g.sub(y, yHat)));
  // #endregion network
  return { x, y, w1, w2, w3, a1, h1, a2, h2, yHat, j };
}

/**
 * Builds the S9 network with outputs `a1`, `h1`, `a2`, `h2` (each [2, 1]), `yHat` [1, 1] and the
 * loss `J` (a scalar). Feed `x = [3]`, `y = [6]` for the document's figures.
 */
export function buildS9Network(): Graph {
  const g = new GraphBuilder("s9-walkthrough");
  const v = addS9Network(g);
  g.output("a1", v.a1);
  g.output("h1", v.h1);
  g.output("a2", v.a2);
  g.output("h2", v.h2);
  g.output("yHat", v.yHat);
  g.output("J", v.j);
  return g.build();
}

export default buildS9Network;

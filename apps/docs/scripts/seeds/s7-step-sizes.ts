/**
 * SEEDS.md S7: f(x, y) = y² + (y − x)², minimum at (0, 0). One full-gradient step from (1, 1)
 * with step 0.01, 0.1 and 10 lands on (1, 0.98), (1, 0.8) and (1, −19), at distances 1.40, 1.28
 * and 19.03 from the minimum; momentum is an optimizer too.
 */
import { cpu } from "@nnc/backend-cpu";
import { compile, momentum, type Optimizer, sgd } from "@nnc/compiler";
import { type Graph, GraphBuilder } from "@nnc/core";
import { checkClose, checkEqual } from "./check.js";

// #region model
/** f(x, y) = y² + (y − x)² with x and y as parameters starting at (1, 1). */
function buildS7(): Graph {
  const g = new GraphBuilder("s7");
  const x = g.param("x", [], { init: [1] });
  const y = g.param("y", [], { init: [1] });
  g.output("f", g.add(g.square(y), g.square(g.sub(y, x))));
  return g.build();
}

/** Compiles one training step of `optimizer` on f for the CPU backend. */
async function descent(optimizer: Optimizer) {
  const exe = await compile(buildS7(), { backend: cpu(), mode: "train", loss: "f", optimizer });
  return {
    /** One step (f has no inputs); returns f at the point the step started from. */
    step: () => exe.step({}),
    point: () => {
      const { x, y } = exe.getParams();
      return [x![0]!, y![0]!] as const;
    },
  };
}
// #endregion model

/** The figures of the S7 page. */
export async function seedS7() {
  const expected = [
    { lr: 0.01, y: 0.98, distance: "1.40" },
    { lr: 0.1, y: 0.8, distance: "1.28" },
    { lr: 10, y: -19, distance: "19.03" },
  ];
  const steps = [];
  for (const { lr, y, distance } of expected) {
    const run = await descent(sgd({ lr }));
    const f = run.step();
    const [xAfter, yAfter] = run.point();
    const reached = Math.hypot(xAfter, yAfter);
    checkEqual(`S7 f(1, 1) before the step of ${lr}`, f, 1);
    checkEqual(`S7 x after a step of ${lr}`, xAfter, 1);
    checkClose(`S7 y after a step of ${lr}`, yAfter, y, 1e-6);
    checkEqual(`S7 distance after a step of ${lr}`, reached.toFixed(2), distance);
    // f at the new point: y² + (y − x)².
    steps.push({
      lr,
      x: xAfter,
      y: yAfter,
      distance: reached,
      f: yAfter ** 2 + (yAfter - xAfter) ** 2,
    });
  }

  // Twenty steps of plain gradient descent and of heavy-ball momentum with the same step size.
  const paths = [];
  for (const [name, optimizer] of [
    ["sgd", sgd({ lr: 0.1 })],
    ["momentum", momentum({ lr: 0.1, momentum: 0.9 })],
  ] as const) {
    const run = await descent(optimizer);
    const points = [run.point()];
    for (let i = 0; i < 20; i++) {
      run.step();
      points.push(run.point());
    }
    paths.push({ name, points: points.map(([x, y]) => ({ x, y, distance: Math.hypot(x, y) })) });
  }
  // Momentum's second step by hand: g₁ = (0, 2), v₁ = g₁; g₂ = (0.4, 1.2), v₂ = 0.9·v₁ + g₂
  // = (0.4, 3); (x, y) = (1, 0.8) − 0.1·v₂ = (0.96, 0.5).
  const second = paths[1]!.points[2]!;
  checkClose("S7 momentum after two steps", [second.x, second.y], [0.96, 0.5], 1e-6);
  return { steps, paths };
}

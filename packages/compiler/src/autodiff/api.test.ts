import {
  createRng,
  evaluate,
  type Graph,
  GraphBuilder,
  initialParams,
  type Value,
} from "@nnc/core";
import { describe, expect, it } from "vitest";
import { stopGradient } from "../index.js";
import { grad, jvp, linearize, linearTranspose, valueAndGrad, vjp } from "./api.js";
import { axpy, dot, finiteDifference, maxError, randn } from "./test-support.js";

function mlp(): Graph {
  const g = new GraphBuilder("mlp");
  const x = g.input("x", [4, 5]);
  const y = g.input("y", [4], "int32");
  const h = g.layers.dense(x, 6, { name: "fc1", activation: "tanh", seed: 1 });
  const logits = g.layers.dense(h, 3, { name: "fc2", seed: 2 });
  g.output("loss", g.softmaxCrossEntropy(logits, y));
  g.output("logits", logits);
  return g.build();
}

function mlpFeeds() {
  const rng = createRng(7);
  return { x: randn(20, rng), y: [0, 2, 1, 2] };
}

describe("grad", () => {
  it("matches finite differences on an MLP with cross-entropy", () => {
    const graph = mlp();
    const feeds = { ...mlpFeeds(), ...initialParams(graph) };
    const g2 = grad(graph, { of: "loss" });
    const out = evaluate(g2, feeds);
    expect(Object.keys(out).sort()).toEqual([
      "grad/fc1.bias",
      "grad/fc1.weight",
      "grad/fc2.bias",
      "grad/fc2.weight",
      "logits",
      "loss",
    ]);
    const rng = createRng(3);
    for (const name of ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]) {
      const direction = randn(feeds[name as keyof typeof feeds].length, rng);
      const fd = finiteDifference(graph, feeds, { [name]: direction }, "loss")[0]!;
      expect(dot(out[`grad/${name}`]!, direction)).toBeCloseTo(fd, 8);
    }
  });

  it("names the value and gradients with valueAndGrad", () => {
    const { graph, value, grads } = valueAndGrad(mlp(), { of: "loss", wrt: ["fc2.bias"] });
    expect(value).toBe("loss");
    expect(grads).toEqual({ "fc2.bias": "grad/fc2.bias" });
    expect(graph.outputs.map((o) => o.name)).toContain("grad/fc2.bias");
  });

  it("needs a scalar output", () => {
    expect(() => grad(mlp(), { of: "logits" })).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC2008: dense: grad needs a scalar output, but "logits" has shape [4,3]; reduce it (sum, mean) or use vjp
        node: fc2/dense
        at src/autodiff/api.test.ts:19:27]
    `);
  });

  it("returns zeros for a parameter the output does not depend on", () => {
    const g = new GraphBuilder();
    const x = g.input("x", [2]);
    g.param("unused", [3], { init: "ones" });
    g.output("y", g.sum(g.square(x)));
    const out = evaluate(grad(g.build(), { of: "y", wrt: ["x", "unused"] }), { x: [1, 2] });
    expect(Array.from(out["grad/x"]!)).toEqual([2, 4]);
    expect(Array.from(out["grad/unused"]!)).toEqual([0, 0, 0]);
  });
});

describe("jvp, vjp, linearize and linearTranspose agree", () => {
  const graph = mlp();
  const params = initialParams(graph);
  const feeds = { ...mlpFeeds(), ...params };
  const wrt = ["fc1.weight", "fc2.bias"];
  const rng = createRng(11);
  const tangents = Object.fromEntries(wrt.map((n) => [n, randn(params[n]!.length, rng)]));
  const cotangent = randn(12, rng);

  it("⟨vjp(c), t⟩ = ⟨c, jvp(t)⟩", () => {
    const forward = evaluate(jvp(graph, { of: "logits", wrt }), {
      ...feeds,
      ...Object.fromEntries(Object.entries(tangents).map(([n, t]) => [`tangent/${n}`, t])),
    })["tangent/logits"]!;
    const backward = evaluate(vjp(graph, { of: "logits", wrt }), {
      ...feeds,
      "cotangent/logits": cotangent,
    });
    const lhs = dot(cotangent, forward);
    const rhs = wrt.reduce((s, n) => s + dot(backward[`grad/${n}`]!, tangents[n]!), 0);
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-10 * (1 + Math.abs(lhs)));
  });

  it("linearize splits the JVP into primal + residuals and a linear graph", () => {
    const { primal, linear, residuals } = linearize(graph, { of: "logits", wrt });
    const primalOut = evaluate(primal, feeds);
    expect(residuals.length).toBeGreaterThan(0);
    // The linear graph only has linear ops of the tangents and residual factors.
    const residualFeeds = Object.fromEntries(
      residuals.map((r) => [`residual/${r}`, primalOut[`residual/${r}`]!]),
    );
    const tangentFeeds = Object.fromEntries(
      Object.entries(tangents).map(([n, t]) => [`tangent/${n}`, t]),
    );
    const viaLinear = evaluate(linear, { ...residualFeeds, ...tangentFeeds })["tangent/logits"]!;
    const viaJvp = evaluate(jvp(graph, { of: "logits", wrt }), { ...feeds, ...tangentFeeds })[
      "tangent/logits"
    ]!;
    expect(maxError(viaLinear, viaJvp)).toBeLessThan(1e-12);
    // Linear in the tangents: doubling them doubles the output.
    const doubled = evaluate(linear, {
      ...residualFeeds,
      ...Object.fromEntries(Object.entries(tangentFeeds).map(([n, t]) => [n, axpy(t, 1, t)])),
    })["tangent/logits"]!;
    expect(
      maxError(
        doubled,
        viaLinear.map((v) => 2 * v),
      ),
    ).toBeLessThan(1e-12);

    const transposed = linearTranspose(linear);
    const back = evaluate(transposed, { ...residualFeeds, "cotangent/tangent/logits": cotangent });
    const viaVjp = evaluate(vjp(graph, { of: "logits", wrt }), {
      ...feeds,
      "cotangent/logits": cotangent,
    });
    for (const n of wrt)
      expect(maxError(back[`cotangent/tangent/${n}`]!, viaVjp[`grad/${n}`]!)).toBeLessThan(1e-12);
  });
});

describe("grad of grad", () => {
  // For f(x) = Σ op(x)·w, grad gives ∇f; the gradient of ⟨∇f, d⟩ is the Hessian-vector product
  // H·d, checked against central differences of ∇f along d.
  const cases: [string, number[], (g: GraphBuilder, x: Value) => Value, [number, number]][] = [
    ["tanh", [3, 4], (g, x) => g.tanh(x), [-2, 2]],
    ["sigmoid", [3, 4], (g, x) => g.sigmoid(x), [-3, 3]],
    ["swish", [3, 4], (g, x) => g.swish(x, 1.5), [-3, 3]],
    ["softplus", [3, 4], (g, x) => g.softplus(x), [-3, 3]],
    ["exp", [3, 4], (g, x) => g.exp(x), [-1, 1]],
    ["log", [3, 4], (g, x) => g.log(x), [0.5, 3]],
    ["matmul", [3, 4], (g, x) => g.matmul(g.tanh(x), g.transpose(x)), [-1, 1]],
    [
      "conv2d",
      [1, 2, 5, 5],
      (g, x) => {
        const w = g.param("w", [3, 2, 3, 3], { init: "normal", seed: 4 });
        return g.conv2d(g.square(x), w, { padding: "same", stride: 2 });
      },
      [-1, 1],
    ],
  ];
  it.each(cases)("works for %s", (_name, shape, build, range) => {
    const g = new GraphBuilder("f");
    const x = g.input("x", shape);
    const y = build(g, x);
    const w = g.input("w_out", y.shape);
    g.output("f", g.sum(g.mul(y, w)));
    const f = g.build();
    const df = grad(f, { of: "f", wrt: ["x"] });
    // Second-order: differentiate ⟨∇f, d⟩ with respect to x.
    const g2 = new GraphBuilder("hvp");
    const values = new Map<number, Value>();
    for (const node of df.nodes)
      values.set(
        node.id,
        g2.copyNode(
          node,
          node.inputs.map((i) => values.get(i)!),
        ),
      );
    const gradX = values.get(df.outputs.find((o) => o.name === "grad/x")!.node)!;
    const d = g2.input("d", shape);
    g2.output("gd", g2.sum(g2.mul(gradX, d)));
    g2.output("gradx", gradX);
    const hvpGraph = grad(g2.build(), { of: "gd", wrt: ["x"] });

    const rng = createRng(5);
    const n = shape.reduce((a, b) => a * b, 1);
    const xs = Float64Array.from({ length: n }, () => rng.uniform(range[0], range[1]));
    const feeds = {
      x: xs,
      w_out: randn(
        y.shape.reduce((a, b) => a * b, 1),
        rng,
      ),
      d: randn(n, rng),
    };
    const hvp = evaluate(hvpGraph, feeds)["grad/x"]!;
    const fd = finiteDifference(hvpGraph, feeds, { x: feeds.d }, "gradx", 1e-5);
    expect(maxError(hvp, fd)).toBeLessThan(1e-6);
  });
});

describe("differentiating a gradient graph", () => {
  it("names second-order gradients grad2/<x> and computes them", () => {
    const g = new GraphBuilder("cube");
    const x = g.input("x", []);
    g.output("y", g.mul(g.square(x), x));
    const first = grad(g.build(), { of: "y", wrt: ["x"] });
    const second = grad(first, { of: "grad/x", wrt: ["x"] });
    // y = x³: y' = 3x², y'' = 6x
    const out = evaluate(second, { x: [2] });
    expect([out["grad/x"]![0], out["grad2/x"]![0]]).toEqual([12, 12]);
  });

  it("gives ReLU a zero second derivative instead of an error", () => {
    const g = new GraphBuilder("relu2");
    const x = g.input("x", [4]);
    g.output("y", g.sum(g.relu(x)));
    const second = grad(g.build(), { of: "y", wrt: ["x"] });
    const g2 = new GraphBuilder("relu2-sum");
    const values = new Map<number, Value>();
    for (const node of second.nodes)
      values.set(
        node.id,
        g2.copyNode(
          node,
          node.inputs.map((i) => values.get(i)!),
        ),
      );
    g2.output("s", g2.sum(values.get(second.outputs.find((o) => o.name === "grad/x")!.node)!));
    const out = evaluate(grad(g2.build(), { of: "s", wrt: ["x"] }), { x: [-2, -0.5, 0.5, 2] });
    expect(Array.from(out["grad/x"]!)).toEqual([0, 0, 0, 0]);
  });
});

describe("non-differentiable paths", () => {
  it("names the op and the path when a gradient must pass through argmax", () => {
    const g = new GraphBuilder("argmax-path");
    const x = g.input("x", [2, 3]);
    const w = g.param("w", [3, 3], { init: "ones" });
    const scores = g.matmul(x, w);
    const picked = g.cast(g.argmax(scores, -1), "float32");
    g.output("loss", g.sum(g.mul(picked, picked)));
    expect(() => grad(g.build(), { of: "loss", wrt: ["w"] })).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC6001: argmax: not differentiable, but the gradient of "loss" with respect to "w" flows through it: w → matmul → argmax → cast
        node: argmax
        at src/autodiff/api.test.ts:242:29]
    `);
  });

  it("names a comparison on the path", () => {
    const g = new GraphBuilder("compare-path");
    const x = g.param("x", [3], { init: [1, -1, 2] });
    g.output("loss", g.sum(g.cast(g.gt(x, 0), "float32")));
    expect(() => grad(g.build(), { of: "loss", wrt: ["x"] })).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC6001: gt: not differentiable, but the gradient of "loss" with respect to "x" flows through it: x → gt → cast
        node: gt
        at src/autodiff/api.test.ts:254:37]
    `);
  });

  it("refuses integer inputs and integer outputs", () => {
    const g = new GraphBuilder("ints");
    const labels = g.input("labels", [3], "int32");
    const x = g.input("x", [3, 4]);
    g.output("loss", g.softmaxCrossEntropy(x, labels));
    g.output("pred", g.argmax(x, -1));
    const graph = g.build();
    expect(() => grad(graph, { of: "loss", wrt: ["labels"] })).toThrowErrorMatchingInlineSnapshot(`
      [NncError: error NNC6001: cannot differentiate with respect to input "labels": it is int32, and only float32 values have gradients
        at src/autodiff/api.test.ts:264:22]
    `);
    expect(() => vjp(graph, { of: "pred", wrt: ["x"] })).toThrowError(
      /NNC6001: argmax: output "pred" is int32/,
    );
  });

  it("differentiates freely where a non-differentiable op only steers (select, labels)", () => {
    const g = new GraphBuilder("steer");
    const x = g.input("x", [4]);
    g.output("y", g.sum(g.select(g.gt(x, 0), g.square(x), g.neg(x))));
    const out = evaluate(grad(g.build(), { of: "y", wrt: ["x"] }), { x: [-2, -0.5, 0.5, 3] });
    expect(Array.from(out["grad/x"]!)).toEqual([-1, -1, 1, 6]);
  });

  it("stops gradients at stopGradient", () => {
    const g = new GraphBuilder("stop");
    const x = g.input("x", [2]);
    g.output("y", g.sum(g.mul(stopGradient(g, g.square(x)), x)));
    // y = Σ sg(x²)·x: dy/dx = x² (the stopped factor is a constant)
    const out = evaluate(grad(g.build(), { of: "y", wrt: ["x"] }), { x: [2, 3] });
    expect(Array.from(out["grad/x"]!)).toEqual([4, 9]);
  });
});

describe("the backward graph", () => {
  it("reduces the conv bias gradient with sum, never with a convolution", () => {
    const g = new GraphBuilder("conv-bias");
    const x = g.input("x", [2, 3, 6, 6]);
    const y = g.layers.conv2d(x, { name: "conv", filters: 4, kernel: 3, padding: "same" });
    g.output("loss", g.sum(g.square(y)));
    const back = grad(g.build(), { of: "loss", wrt: ["conv.bias"] });
    const ops = new Set<string>();
    const visit = (id: number, seen = new Set<number>()) => {
      if (seen.has(id)) return;
      seen.add(id);
      const node = back.node(id);
      // Stop at the forward computation: only what the transposition added matters.
      if (!node.name.startsWith("grad(")) return;
      ops.add(node.op);
      for (const i of node.inputs) visit(i, seen);
    };
    visit(back.outputs.find((o) => o.name === "grad/conv.bias")!.node);
    // sum's transpose broadcasts the seed, square's JVP factor multiplies, and the bias's
    // broadcast-add and reshape transpose to a reduce-sum and a reshape: nothing else.
    expect([...ops].sort()).toEqual(["broadcast_to", "mul", "reshape", "sum"]);
  });

  it("holds no tangent inputs or forward-mode nodes", () => {
    const back = grad(mlp(), { of: "loss" });
    expect(back.inputs.map((n) => n.name)).toEqual(["x", "y"]);
    expect(back.nodes.some((n) => n.name.startsWith("tangent/"))).toBe(false);
  });

  it("routes max-pool gradients through int32 argmax indices, not the input", () => {
    const g = new GraphBuilder("pool");
    const x = g.input("x", [1, 2, 4, 4]);
    g.output("loss", g.sum(g.square(g.maxPool2d(x, { kernel: 2 }))));
    const ops = grad(g.build(), { of: "loss", wrt: ["x"] }).nodes.map((n) => n.op);
    expect(ops).toContain("max_pool2d_argmax");
    expect(ops).toContain("scatter_add_spatial");
  });
});

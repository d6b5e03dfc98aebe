import { type Graph, GraphBuilder, NncError, type Value } from "@nnc/core";
import { valueAndGrad } from "../autodiff/api.js";
import { pruneGraph } from "../prune-graph.js";
import type { Optimizer, UpdateContext } from "./optimizer.js";

/** Options of {@link trainingGraph}. */
export interface TrainingGraphOptions {
  /** The scalar output to minimise. */
  readonly loss: string;
  readonly optimizer: Optimizer;
  /** Parameters to train; default every trainable parameter. */
  readonly wrt?: readonly string[];
}

/** Name of the learning-rate state parameter of a training graph. */
export const LEARNING_RATE_PARAM = "opt/lr";
/** Name of the step-count state parameter of a training graph. */
export const STEP_PARAM = "opt/step";

/**
 * Turns a model graph into one training step: the gradient of `loss` (reverse mode), then the
 * optimizer's update of every trained parameter, recorded as state updates (`graph.updates`)
 * alongside the optimizer's own state (`opt/<param>/<slot>`), the learning rate `opt/lr` and the
 * step count `opt/step`. Running the result once and writing the updates back is one step.
 * The outputs stay the model's outputs (the loss among them); gradients are not outputs, so they
 * need not outlive the step.
 */
export function trainingGraph(graph: Graph, options: TrainingGraphOptions): Graph {
  const wrt =
    options.wrt ?? graph.params.filter((p) => p.attrs.trainable !== false).map((p) => p.name);
  if (wrt.length === 0)
    throw new NncError("NNC1005", `graph "${graph.name}" has no trainable parameters to optimise`);
  const { graph: withGrads, grads } = valueAndGrad(graph, { of: options.loss, wrt });
  const g = new GraphBuilder(graph.name);
  const values = new Map<number, Value>();
  for (const node of withGrads.nodes)
    values.set(
      node.id,
      g.copyNode(
        node,
        node.inputs.map((i) => values.get(i)!),
      ),
    );
  const value = (name: string) => values.get(withGrads.findNode(name)!.id)!;

  const { optimizer } = options;
  const lr = g.param(LEARNING_RATE_PARAM, [], {
    init: { kind: "constant", value: optimizer.lr },
    trainable: false,
  });
  const step = g.param(STEP_PARAM, [], { init: "zeros", trainable: false });
  const nextStep = g.add(step, 1);
  g.update(step, nextStep);
  for (const name of wrt) {
    const gradOutput = withGrads.outputs.find((o) => o.name === grads[name])!;
    const param = value(name);
    const ctx: UpdateContext = {
      g,
      param: name,
      lr,
      step: nextStep,
      state: (slot, init = "zeros") =>
        g.param(`opt/${name}/${slot}`, param.shape, { init, trainable: false }),
      setState: (slot, next) => g.update(slot, next),
    };
    const next = g.scope(`opt/${name}`, () =>
      optimizer.update(ctx, param, values.get(gradOutput.node)!),
    );
    g.update(param, next);
  }
  const gradOutputs = new Set(Object.values(grads));
  for (const output of withGrads.outputs) {
    if (!gradOutputs.has(output.name)) g.output(output.name, values.get(output.node)!);
  }
  for (const update of withGrads.updates) g.update(value(update.param), values.get(update.node)!);
  return pruneGraph(g.build());
}

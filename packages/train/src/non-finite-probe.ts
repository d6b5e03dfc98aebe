import {
  compile,
  type Executable,
  type Optimizer,
  type TensorFeeds,
  trainingGraph,
} from "@nnc/compiler";
import {
  type Backend,
  expandComposites,
  formatShape,
  type Graph,
  GraphBuilder,
  type Node,
  type SourceLocation,
  type Value,
} from "@nnc/core";

/** A value that went NaN or ±Inf, and how badly. */
export interface NonFiniteValue {
  /** The node's name in the training step graph (`fc1/matmul`, `d(fc1/relu)/mul`, a parameter). */
  readonly node: string;
  readonly op: string;
  /** `float32[32,120]`. */
  readonly type: string;
  readonly nan: number;
  readonly infinite: number;
  readonly size: number;
  /** The user's line that built the node (derived nodes point at their forward node's line). */
  readonly location?: SourceLocation;
}

/** What the probe needs to rebuild the training step the trainer runs. */
export interface ProbeOptions {
  readonly backend: Backend;
  readonly loss: string;
  readonly optimizer: Optimizer;
  readonly wrt?: readonly string[];
}

// Passes that would merge or rewrite nodes, and so lose the names the probe reports.
const REWRITING_PASSES = [
  "fold-batch-norm",
  "constant-fold",
  "simplify-algebra",
  "eliminate-common-subexpressions",
];

/**
 * Runs one training step with every node's value observable, on the same backend as training
 * (so float32 overflow shows exactly where training saw it), and finds the first node, in
 * execution order, whose output is not finite: the forward pass, then the gradient, then the
 * optimizer update. Built lazily by the trainer, because its program keeps every value alive.
 */
export class NonFiniteProbe {
  readonly #executable: Executable;
  readonly #observed: readonly { readonly output: string; readonly node: Node }[];
  readonly #params: ReadonlySet<string>;
  readonly #paramNodes: readonly Node[];

  private constructor(
    executable: Executable,
    observed: readonly { output: string; node: Node }[],
    paramNodes: readonly Node[],
  ) {
    this.#executable = executable;
    this.#observed = observed;
    this.#paramNodes = paramNodes;
    this.#params = new Set(paramNodes.map((p) => p.name));
  }

  /** Builds and compiles the observable training step of `model`. */
  static async create(model: Graph, options: ProbeOptions): Promise<NonFiniteProbe> {
    const step = trainingGraph(expandComposites(model), {
      loss: options.loss,
      optimizer: options.optimizer,
      ...(options.wrt && { wrt: options.wrt }),
    });
    const g = new GraphBuilder(step.name);
    const values = new Map<number, Value>();
    const observed: { output: string; node: Node }[] = [];
    for (const node of step.nodes) {
      const value = g.copyNode(
        node,
        node.inputs.map((i) => values.get(i)!),
      );
      values.set(node.id, value);
      if (node.op === "input" || node.op === "param" || node.op === "constant") continue;
      if (node.type.dtype !== "float32") continue;
      // Output names of our own: node names may collide with the model's output names.
      const output = `probe/${observed.length}`;
      g.output(output, value);
      observed.push({ output, node });
    }
    const executable = await compile(g.build(), {
      backend: options.backend,
      mode: "infer",
      passes: { disable: REWRITING_PASSES },
    });
    return new NonFiniteProbe(executable, observed, step.params);
  }

  /**
   * The first non-finite value of a training step from `params` (every parameter and state
   * value, as `getParams()` returns them) on `batch`: a parameter that already holds one, or
   * else the first node in execution order. Undefined when every value is finite.
   */
  firstNonFinite(
    params: Readonly<Record<string, Float32Array>>,
    batch: TensorFeeds,
  ): NonFiniteValue | undefined {
    for (const node of this.#paramNodes) {
      const data = params[node.name];
      if (data && !allFinite(data)) return describe(node, data);
    }
    this.#executable.setParams(
      Object.fromEntries(Object.entries(params).filter(([name]) => this.#params.has(name))),
    );
    const outputs = this.#executable.run(batch);
    for (const { output, node } of this.#observed) {
      const data = outputs[output]!;
      if (!allFinite(data)) return describe(node, data);
    }
    return undefined;
  }
}

function allFinite(data: ArrayLike<number>): boolean {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return false;
  return true;
}

function describe(node: Node, data: ArrayLike<number>): NonFiniteValue {
  let nan = 0;
  let infinite = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (Number.isNaN(v)) nan++;
    else if (!Number.isFinite(v)) infinite++;
  }
  return {
    node: node.name,
    op: node.op,
    type: `${node.type.dtype}${formatShape(node.type.shape)}`,
    nan,
    infinite,
    size: data.length,
    ...(node.loc && { location: node.loc }),
  };
}

import { describeNode } from "./describe-node.js";
import { type DType, isDType } from "./dtype.js";
import { NncError } from "./errors.js";
import { Graph, type GraphOutput, type Node, type NodeOp, type StateUpdate } from "./graph.js";
import type { InitSpec } from "./init.js";
import type { OpAttrMap, OpName } from "./op-attrs.js";
import type { OpDef } from "./op-def.js";
import { hashString } from "./random.js";
import { OPS } from "./registry.js";
import { makeRuleContext, operandRole } from "./rule-context.js";
import { isValidShape, type Shape, sizeOf, type TensorType } from "./shape.js";
import { captureSourceLocation, type SourceLocation } from "./source-location.js";
import { validateInitSpec } from "./source-ops.js";
import { Value } from "./value.js";
import { verify } from "./verify.js";

/** An operand of a builder method: a value, or a number that becomes a scalar constant. */
export type Operand = Value | number;

/** How a parameter is initialised in a builder call. */
export type InitOption =
  | "zeros"
  | "ones"
  | "uniform"
  | "normal"
  | "truncated_normal"
  | "glorot_uniform"
  | "glorot_normal"
  | "he_uniform"
  | "he_normal"
  | "lecun_normal"
  | readonly number[]
  | Float32Array
  | Float64Array
  | InitSpec;

/** Options of {@link GraphBuilderBase.param}. */
export interface ParamOptions {
  /** Initialiser name, explicit row-major values, or a full spec. Default `"glorot_uniform"`. */
  readonly init?: InitOption;
  /** Seed for random initialisers; default derived from the parameter's name, so reproducible. */
  readonly seed?: number;
  readonly dtype?: DType;
  /** False for state that is updated but not trained (BatchNorm running statistics). */
  readonly trainable?: boolean;
}

// Names may hold any printable text (they are escaped wherever they are emitted) but no control
// characters, which would corrupt printed graphs and reports.
function hasControlChars(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * The graph-building machinery under {@link GraphBuilder}: sources (inputs, parameters,
 * constants), outputs, name scopes and the generic `apply` every op method goes through. Shape
 * and dtype errors are raised here, when the node is built, with the user's source line.
 */
export class GraphBuilderBase {
  /** The graph's name. */
  readonly name: string;
  #nodes: Node[] = [];
  #names = new Set<string>();
  #nameCounters = new Map<string, number>();
  #scopes: string[] = [];
  #outputs: GraphOutput[] = [];
  #updates: StateUpdate[] = [];
  // Set while a pass rebuilds nodes on behalf of an original node (see atLocation).
  #locationOverride: { loc: SourceLocation | undefined } | undefined;

  constructor(name = "graph") {
    checkName(name, "graph", captureSourceLocation());
    this.name = name;
  }

  /** Declares a graph input (fed at run time). */
  input(name: string, shape: Shape, dtype: DType = "float32"): Value {
    const loc = this.#location();
    this.#checkSourceName(name, "input", loc);
    checkType(name, shape, dtype, loc);
    return this.#push("input", [], {}, { dtype, shape: [...shape] }, name, loc);
  }

  /**
   * Declares a trainable parameter with an initialiser, e.g.
   * `g.param("fc1.weight", [784, 256], { init: "he_normal", seed: 1 })`.
   */
  param(name: string, shape: Shape, options: ParamOptions = {}): Value {
    const loc = this.#location();
    this.#checkSourceName(name, "param", loc);
    const dtype = options.dtype ?? "float32";
    checkType(name, shape, dtype, loc);
    const init = resolveInit(options, name, shape, loc);
    const trainable = options.trainable ?? true;
    return this.#push("param", [], { init, trainable }, { dtype, shape: [...shape] }, name, loc);
  }

  /**
   * A constant tensor. `values` is a number (filled to `shape`, default a scalar) or row-major
   * values of exactly `shape`'s size (default a 1-D shape). `name` is kept when still free.
   */
  constant(
    values: number | readonly number[] | ArrayLike<number>,
    shape?: Shape,
    dtype: DType = "float32",
    name?: string,
  ): Value {
    const loc = this.#location();
    const list = typeof values === "number" ? undefined : Array.from(values);
    const resolvedShape = shape ?? (list ? [list.length] : []);
    checkType("constant", resolvedShape, dtype, loc);
    const n = sizeOf(resolvedShape);
    const data = list ?? new Array<number>(n).fill(values as number);
    if (data.length !== n) {
      throw new NncError(
        "NNC2005",
        `constant has ${data.length} values but shape [${resolvedShape.join(",")}] holds ${n}`,
        { op: "constant", location: loc },
      );
    }
    const value =
      dtype === "float32"
        ? data
        : data.map((v) => (dtype === "bool" ? (v ? 1 : 0) : Math.trunc(v)));
    return this.#push(
      "constant",
      [],
      { value },
      { dtype, shape: [...resolvedShape] },
      // A given name is kept when free (passes rebuilding a graph), otherwise derived from it.
      name !== undefined && !this.#names.has(name) ? name : this.#deriveName(name ?? "constant"),
      loc,
    );
  }

  /** Marks `value` as a named graph output. */
  output(name: string, value: Value): void {
    const loc = this.#location();
    checkName(name, "output", loc);
    this.#own(value, "output", loc);
    if (this.#outputs.some((o) => o.name === name)) {
      throw new NncError("NNC1004", `output "${name}" is declared twice`, { location: loc });
    }
    this.#outputs.push({ name, node: value.id });
  }

  /** Records `value` as the new value of the non-trainable parameter `param` after a step. */
  update(param: Value, value: Value): void {
    const loc = this.#location();
    this.#own(param, "update", loc);
    this.#own(value, "update", loc);
    const node = this.#nodes[param.id]!;
    if (node.op !== "param") {
      throw new NncError("NNC1005", `update target ${describeNode(node)} is not a parameter`, {
        location: loc,
      });
    }
    if (param.dtype !== value.dtype || param.shape.join() !== value.shape.join()) {
      throw new NncError(
        "NNC2008",
        `update of "${node.name}" must keep its type [${param.shape.join(",")}], got [${value.shape.join(",")}]`,
        { location: loc },
      );
    }
    this.#updates.push({ param: node.name, node: value.id });
  }

  /**
   * Runs `body` with every node it builds named under `name` (`fc1/matmul`); scopes nest. Layer
   * helpers open one scope per layer, which is how the summary groups nodes into layers.
   */
  scope<T>(name: string, body: () => T): T {
    checkName(name, "scope", captureSourceLocation());
    this.#scopes.push(name);
    try {
      return body();
    } finally {
      this.#scopes.pop();
    }
  }

  /**
   * Runs `body` with every node it builds attributed to `loc` instead of the caller's line. Graph
   * transformations (autodiff, passes) use it so derived nodes point at the user's line that
   * built the original node.
   */
  atLocation<T>(loc: SourceLocation | undefined, body: () => T): T {
    const previous = this.#locationOverride;
    this.#locationOverride = { loc };
    try {
      return body();
    } finally {
      this.#locationOverride = previous;
    }
  }

  /**
   * Adds a copy of `node` (from another graph) reading `inputs`: same op, attributes, name (when
   * still free; otherwise a suffixed one) and source location. Sources are re-declared, with
   * their parameter initialisers. For graph transformations.
   */
  copyNode(node: Node, inputs: readonly Value[]): Value {
    return this.atLocation(node.loc, () => {
      switch (node.op) {
        case "input":
          return this.input(node.name, node.type.shape, node.type.dtype);
        case "param":
          return this.param(node.name, node.type.shape, {
            init: node.attrs.init as InitSpec,
            trainable: node.attrs.trainable !== false,
            dtype: node.type.dtype,
          });
        case "constant":
          return this.constant(
            node.attrs.value as number[],
            node.type.shape,
            node.type.dtype,
            node.name,
          );
        default:
          return this.apply(node.op, inputs, node.attrs, node.name, { exactName: true });
      }
    });
  }

  /** The current scope prefix (`"fc1/"`), empty at top level. */
  protected get scopePrefix(): string {
    return this.#scopes.map((s) => `${s}/`).join("");
  }

  /**
   * Applies any registered op with canonical attributes: the generic path under every op method.
   * Numbers among `operands` become scalar constants of the other operands' dtype.
   */
  apply<P extends OpName>(
    op: P,
    operands: readonly Operand[],
    attrs: Partial<OpAttrMap[P]> | Readonly<Record<string, unknown>> = {},
    name?: string,
    options: { readonly exactName?: boolean } = {},
  ): Value {
    const loc = this.#location();
    const def = (OPS as Record<string, OpDef<unknown>>)[op];
    if (!def) throw new NncError("NNC1001", `unknown op "${String(op)}"`, { location: loc });
    const values = this.#toValues(operands, op, loc);
    const nodeName =
      options.exactName && name !== undefined && !this.#names.has(name)
        ? name
        : this.#deriveName(name ?? op);
    const ctx = makeRuleContext({
      op,
      inputs: values.map((v) => v.type),
      roles: def.operands,
      describeOperand: (i) => describeNode(this.#nodes[values[i]!.id]!),
      node: nodeName,
      ...(loc && { location: loc }),
    });
    checkArity(def, values.length, ctx.fail.bind(ctx));
    const canonical = def.validateAttrs(attrs as Record<string, unknown>, ctx);
    const shape = def.inferShape(ctx.inputs, canonical, ctx);
    const dtype = def.inferDtype(ctx.inputs, canonical, ctx);
    return this.#push(
      op,
      values.map((v) => v.id),
      canonical as Record<string, unknown>,
      { dtype, shape },
      nodeName,
      loc,
    );
  }

  /** Finishes the graph; it is verified before it is returned. */
  build(): Graph {
    const graph = new Graph(this.name, this.#nodes, this.#outputs, this.#updates);
    verify(graph);
    return graph;
  }

  /** The type of the node behind a value (for layer helpers). */
  protected nodeOf(value: Value): Node {
    return this.#nodes[value.id]!;
  }

  #push(
    op: NodeOp,
    inputs: number[],
    attrs: Readonly<Record<string, unknown>>,
    type: TensorType,
    name: string,
    loc: SourceLocation | undefined,
  ): Value {
    const id = this.#nodes.length;
    this.#names.add(name);
    this.#nodes.push({ id, op, inputs, attrs, type, name, ...(loc && { loc }) });
    return new Value(id, type, this);
  }

  #location(): SourceLocation | undefined {
    return this.#locationOverride ? this.#locationOverride.loc : captureSourceLocation();
  }

  #deriveName(base: string): string {
    const stem = this.scopePrefix + base;
    if (!this.#names.has(stem)) return stem;
    let k = this.#nameCounters.get(stem) ?? 1;
    while (this.#names.has(`${stem}_${k}`)) k++;
    this.#nameCounters.set(stem, k + 1);
    return `${stem}_${k}`;
  }

  #checkSourceName(name: string, what: string, loc: SourceLocation | undefined): void {
    checkName(name, what, loc);
    if (this.#names.has(name)) {
      throw new NncError("NNC1004", `${what} "${name}": a node with this name already exists`, {
        ...(loc && { location: loc }),
      });
    }
  }

  #own(value: Value, op: string, loc: SourceLocation | undefined): void {
    if (!(value instanceof Value) || value.owner !== this) {
      throw new NncError(
        "NNC1006",
        value instanceof Value
          ? "operand was built by another GraphBuilder"
          : `operand must be a Value or a number, got ${typeof value}`,
        { op, ...(loc && { location: loc }) },
      );
    }
  }

  #toValues(operands: readonly Operand[], op: string, loc: SourceLocation | undefined): Value[] {
    // Literals take the dtype of the first non-bool value operand (x * 2 stays int32 for int x).
    const anchor = operands.find((o): o is Value => o instanceof Value && o.dtype !== "bool");
    const literalDtype = anchor?.dtype ?? "float32";
    return operands.map((o) => {
      if (typeof o === "number") {
        if (literalDtype === "int32" && !Number.isInteger(o)) {
          throw new NncError(
            "NNC2002",
            `literal ${o} is not an integer but the operands are int32`,
            {
              op,
              ...(loc && { location: loc }),
            },
          );
        }
        const id = this.#nodes.length;
        const name = this.#deriveName("constant");
        this.#names.add(name);
        const type = { dtype: literalDtype, shape: [] };
        this.#nodes.push({
          id,
          op: "constant",
          inputs: [],
          attrs: { value: [o] },
          type,
          name,
          ...(loc && { loc }),
        });
        return new Value(id, type, this);
      }
      this.#own(o, op, loc);
      return o;
    });
  }
}

/** Fails when an op gets a number of operands its record does not allow. */
export function checkArity(
  def: OpDef<unknown>,
  count: number,
  fail: (code: "NNC1003", message: string) => never,
): void {
  const max = def.variadic ? Number.POSITIVE_INFINITY : def.operands.length;
  const min = def.operands.length - (def.optionalOperands ?? 0);
  if (count < min || count > max) {
    const expected =
      min === max
        ? `${min}`
        : max === Number.POSITIVE_INFINITY
          ? `at least ${min}`
          : `${min} to ${max}`;
    const roles = def.operands.map((_, i) => operandRole(def.operands, i)).join(", ");
    fail("NNC1003", `takes ${expected} operands (${roles}), got ${count}`);
  }
}

function checkName(name: string, what: string, loc: SourceLocation | undefined): void {
  if (typeof name !== "string" || name.length === 0 || hasControlChars(name)) {
    throw new NncError(
      "NNC1007",
      `${what} name must be a non-empty string without control characters, got ${JSON.stringify(name)}`,
      { ...(loc && { location: loc }) },
    );
  }
}

function checkType(
  name: string,
  shape: Shape,
  dtype: DType,
  loc: SourceLocation | undefined,
): void {
  if (!isValidShape(shape)) {
    throw new NncError(
      "NNC2008",
      `"${name}": shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`,
      {
        ...(loc && { location: loc }),
      },
    );
  }
  if (!isDType(dtype)) {
    throw new NncError("NNC2002", `"${name}": unknown dtype ${JSON.stringify(dtype)}`, {
      ...(loc && { location: loc }),
    });
  }
}

function resolveInit(
  options: ParamOptions,
  name: string,
  shape: Shape,
  loc: SourceLocation | undefined,
): InitSpec {
  const seed = options.seed ?? hashString(name);
  const init = options.init ?? "glorot_uniform";
  let spec: unknown;
  if (typeof init === "string") {
    spec =
      init === "zeros" || init === "ones"
        ? { kind: init }
        : init === "uniform"
          ? { kind: init, low: -0.05, high: 0.05, seed }
          : init === "normal" || init === "truncated_normal"
            ? { kind: init, mean: 0, std: 0.05, seed }
            : { kind: init, seed };
  } else if (Array.isArray(init) || ArrayBuffer.isView(init)) {
    spec = { kind: "values", values: Array.from(init as ArrayLike<number>) };
  } else {
    spec = init;
  }
  const ctx = makeRuleContext({
    op: "param",
    inputs: [],
    roles: [],
    describeOperand: () => "",
    node: name,
    ...(loc && { location: loc }),
  });
  const canonical = validateInitSpec(spec, ctx);
  if (canonical.kind === "values" && canonical.values.length !== sizeOf(shape)) {
    ctx.fail(
      "NNC1008",
      `parameter "${name}" of shape [${shape.join(",")}] needs ${sizeOf(shape)} initial values, got ${canonical.values.length}`,
    );
  }
  return canonical;
}

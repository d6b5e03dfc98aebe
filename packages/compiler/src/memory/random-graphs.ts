import {
  createRng,
  type DType,
  type Graph,
  GraphBuilder,
  type Rng,
  type Shape,
  sizeOf,
  type Value,
} from "@nnc/core";

// A seeded generator of small random graphs for fuzzing the buffer planner (test support, not
// part of the package's API). The graphs are built through GraphBuilder, so every one is valid
// by construction; they mix what stresses a planner: values of several sizes and dtypes (bool
// is 1 byte, zero-size values now and then), long elementwise chains that invite in-place
// writes, values read much later than they are made (operands are drawn mostly from the last
// few values, sometimes the oldest value nothing reads yet, sometimes any), dead values, several outputs (sometimes a source or an
// intermediate) and occasionally a state update of a non-trainable parameter.

/** Options of {@link randomGraph}. */
export interface RandomGraphOptions {
  /** Fewest nodes (default 5). */
  readonly minNodes?: number;
  /** Most nodes (default 60; at least `minNodes` + 10 for the bound to hold). */
  readonly maxNodes?: number;
}

const FLOAT_UNARY = [
  "exp",
  "tanh",
  "relu",
  "neg",
  "sigmoid",
  "abs",
  "square",
  "sin",
  "log",
  "softplus",
] as const;
const INT_UNARY = ["abs", "sign", "square", "relu"] as const;
const ARITHMETIC = ["add", "sub", "mul", "maximum", "minimum"] as const;
const COMPARISONS = ["lt", "ge", "eq", "ne"] as const;
const REDUCTIONS = ["sum", "mean", "max", "min"] as const;

/**
 * A random graph of `minNodes`–`maxNodes` nodes, the same for the same seed: inputs,
 * parameters and constants; elementwise unary and binary ops with broadcasting, comparisons,
 * select and casts; matmul; reductions with and without keepDims; reshape, transpose and
 * slices; one to three outputs and sometimes a state update.
 */
export function randomGraph(seed: number, options: RandomGraphOptions = {}): Graph {
  const rng = createRng(seed);
  const minNodes = options.minNodes ?? 5;
  const maxNodes = options.maxNodes ?? 60;
  const withUpdate = rng.next() < 0.25;
  // One step adds at most MAX_STEP_NODES nodes and the state update UPDATE_NODES, so stopping
  // at `target` keeps the graph within maxNodes.
  const last = Math.max(
    minNodes,
    maxNodes - (MAX_STEP_NODES - 1) - (withUpdate ? UPDATE_NODES : 0),
  );
  const target = minNodes + rng.int(last - minNodes + 1);
  const builder = new RandomBuilder(`random${seed}`, rng);
  // No source locations: capturing a stack per node would dominate the fuzzing time.
  return builder.g.atLocation(undefined, () => {
    builder.sources();
    while (builder.size < target) builder.step();
    builder.finish(withUpdate);
    return builder.g.build();
  });
}

const MAX_STEP_NODES = 5;
const UPDATE_NODES = 6;

/** A random topological order of `graph`'s compute nodes (Kahn's algorithm, random picks). */
export function randomSchedule(graph: Graph, seed: number): number[] {
  const rng = createRng(seed);
  const isSource = (op: string) => op === "input" || op === "param" || op === "constant";
  const waiting = graph.nodes.map(
    (n) => new Set(n.inputs.filter((i) => !isSource(graph.node(i).op))).size,
  );
  const ready = graph.nodes.filter((n) => !isSource(n.op) && waiting[n.id] === 0).map((n) => n.id);
  const schedule: number[] = [];
  while (ready.length > 0) {
    const id = ready.splice(rng.int(ready.length), 1)[0]!;
    schedule.push(id);
    for (const user of new Set(graph.consumers[id])) {
      if (--waiting[user]! === 0) ready.push(user);
    }
  }
  return schedule;
}

class RandomBuilder {
  readonly g: GraphBuilder;
  readonly #rng: Rng;
  readonly #pool: Value[] = [];
  readonly #read = new Set<number>();
  #sources = 0;
  size = 0;

  constructor(name: string, rng: Rng) {
    this.g = new GraphBuilder(name);
    this.#rng = rng;
  }

  /** One or two inputs and up to two parameters to start from. */
  sources(): void {
    const inputs = 1 + this.#rng.int(2);
    for (let i = 0; i < inputs; i++) this.#source(this.#shape(), this.#dtype(), "input");
    const params = this.#rng.int(3);
    for (let i = 0; i < params; i++) this.#source(this.#shape(), "float32", "param");
  }

  /** Adds one random op (and whatever sources it needs). */
  step(): void {
    const r = this.#rng.next();
    if (r < 0.24) this.#unary();
    else if (r < 0.5) this.#binary();
    else if (r < 0.55) this.#comparison();
    else if (r < 0.6) this.#select();
    else if (r < 0.64) this.#cast();
    else if (r < 0.72) this.#matmul();
    else if (r < 0.83) this.#reduce();
    else if (r < 0.89) this.#reshape();
    else if (r < 0.94) this.#transpose();
    else this.#slice();
  }

  /** Outputs (the last value and up to two others) and, if asked, a state update. */
  finish(withUpdate: boolean): void {
    const last = this.#pool.at(-1)!;
    this.g.output("out0", last);
    const extra = this.#rng.int(3);
    const named = new Set([last.id]);
    for (let i = 1; i <= extra; i++) {
      // Mostly a value nothing reads (it would be dead otherwise), which then lives to the end.
      const unread = this.#pool.filter((v) => !this.#read.has(v.id) && !named.has(v.id));
      const value =
        unread.length > 0 && this.#rng.next() < 0.8
          ? unread[this.#rng.int(unread.length)]!
          : this.#pick(() => true);
      if (named.has(value.id)) continue;
      named.add(value.id);
      this.g.output(`out${i}`, value);
    }
    if (withUpdate) {
      const value = this.#pick((v) => v.dtype === "float32");
      const state = this.g.param("state", value.shape, { init: "zeros", trainable: false });
      // An exponential moving average, like BatchNorm's running statistics.
      this.#add(this.g.add(this.g.mul(state, 0.9), this.g.mul(value, 0.1)));
      this.g.update(state, this.#pool.at(-1)!);
    }
  }

  #add(value: Value): Value {
    this.#pool.push(value);
    this.size = Math.max(this.size, value.id + 1);
    return value;
  }

  #source(shape: Shape, dtype: DType, kind: "input" | "param" | "constant"): Value {
    const name = `${kind}${this.#sources++}`;
    const n = sizeOf(shape);
    if (kind === "input") return this.#add(this.g.input(name, shape, dtype));
    if (kind === "param") {
      return this.#add(this.g.param(name, shape, { init: "glorot_uniform", seed: this.#sources }));
    }
    const values = Array.from({ length: n }, () =>
      dtype === "bool"
        ? this.#rng.int(2)
        : dtype === "int32"
          ? this.#rng.int(5) - 2
          : this.#rng.normal(),
    );
    return this.#add(this.g.constant(values, shape, dtype));
  }

  /** A fresh source of `shape`: an input, a parameter (float32 only) or a constant. */
  #freshSource(shape: Shape, dtype: DType): Value {
    const r = this.#rng.next();
    const kind = r < 0.3 ? "input" : r < 0.7 && dtype === "float32" ? "param" : "constant";
    return this.#source(shape, dtype, kind);
  }

  /**
   * Mostly one of the last few matching values; sometimes the oldest one nothing reads yet (a
   * long lifetime, and fewer dead values), sometimes any. Undefined when none match.
   */
  #tryPick(test: (v: Value) => boolean): Value | undefined {
    const candidates = this.#pool.filter(test);
    if (candidates.length === 0) return undefined;
    const r = this.#rng.next();
    const unread = r < 0.2 ? candidates.find((v) => !this.#read.has(v.id)) : undefined;
    const recent = Math.min(candidates.length, 4);
    const value =
      unread ??
      (r < 0.8
        ? candidates[candidates.length - 1 - this.#rng.int(recent)]!
        : candidates[this.#rng.int(candidates.length)]!);
    this.#read.add(value.id);
    return value;
  }

  #pick(test: (v: Value) => boolean): Value {
    return this.#tryPick(test) ?? this.#freshSource(this.#shape(), "float32");
  }

  #numeric(): Value {
    return this.#tryPick((v) => v.dtype !== "bool") ?? this.#freshSource(this.#shape(), "float32");
  }

  #shape(): number[] {
    const rank = this.#rng.int(4);
    // A zero extent now and then: zero-size values take no bytes.
    return Array.from({ length: rank }, () => (this.#rng.next() < 0.02 ? 0 : 1 + this.#rng.int(4)));
  }

  #dtype(): DType {
    const r = this.#rng.next();
    return r < 0.75 ? "float32" : r < 0.9 ? "int32" : "bool";
  }

  /** A shape that broadcasts against `shape` to `shape`: a suffix with some extents 1. */
  #broadcastable(shape: Shape): number[] {
    const rank = this.#rng.int(shape.length + 1);
    return shape.slice(shape.length - rank).map((d) => (this.#rng.next() < 0.3 ? 1 : d));
  }

  /** An operand for a binary op with `a`: an existing value that broadcasts, or a fresh one. */
  #partner(a: Value): Value {
    const existing =
      this.#rng.next() < 0.6
        ? this.#tryPick((v) => v.dtype === a.dtype && v.id !== a.id && fitsInto(v.shape, a.shape))
        : undefined;
    return existing ?? this.#freshSource(this.#broadcastable(a.shape), a.dtype);
  }

  #unary(): void {
    const x = this.#numeric();
    if (x.dtype === "int32") {
      this.#add(this.g.apply(INT_UNARY[this.#rng.int(INT_UNARY.length)]!, [x]));
    } else {
      this.#add(this.g.apply(FLOAT_UNARY[this.#rng.int(FLOAT_UNARY.length)]!, [x]));
    }
  }

  #binary(): void {
    const a = this.#numeric();
    const b = this.#partner(a);
    const op = ARITHMETIC[this.#rng.int(ARITHMETIC.length)]!;
    this.#add(this.#rng.next() < 0.5 ? this.g.apply(op, [a, b]) : this.g.apply(op, [b, a]));
  }

  #comparison(): void {
    const a = this.#numeric();
    this.#add(this.g.apply(COMPARISONS[this.#rng.int(COMPARISONS.length)]!, [a, this.#partner(a)]));
  }

  #select(): void {
    const a = this.#numeric();
    const cond =
      this.#tryPick((v) => v.dtype === "bool" && fitsInto(v.shape, a.shape)) ??
      this.#add(this.g.gt(a, this.#partner(a)));
    this.#add(this.g.select(cond, a, this.#partner(a)));
  }

  #cast(): void {
    const x = this.#pick(() => true);
    const to: DType =
      x.dtype === "float32" ? (this.#rng.next() < 0.7 ? "int32" : "bool") : "float32";
    this.#add(this.g.cast(x, to));
  }

  #matmul(): void {
    const a = this.#tryPick((v) => v.rank === 2 && v.dtype !== "bool");
    if (!a) {
      // Make a matrix from whatever is at hand, so matmuls happen in every graph.
      const x = this.#numeric();
      this.#add(this.g.reshape(x, [sizeOf(x.shape), 1]));
      return;
    }
    const k = a.shape[1]!;
    const b =
      (this.#rng.next() < 0.4
        ? this.#tryPick((v) => v.rank === 2 && v.dtype === a.dtype && v.shape[0] === k)
        : undefined) ?? this.#freshSource([k, 1 + this.#rng.int(4)], a.dtype);
    this.#add(this.g.matmul(a, b));
  }

  #reduce(): void {
    const x = this.#numeric();
    let op = REDUCTIONS[this.#rng.int(REDUCTIONS.length)]!;
    // int32 has no mean, and no ±∞ for max/min over an empty extent.
    if (x.dtype === "int32" && (op === "mean" || x.shape.includes(0))) op = "sum";
    const axes = x.shape.map((_, i) => i).filter(() => this.#rng.next() < 0.5);
    const keepDims = this.#rng.next() < 0.5;
    this.#add(
      this.g.apply(op, [x], { axes: axes.length > 0 || x.rank === 0 ? axes : [0], keepDims }),
    );
  }

  #reshape(): void {
    const x = this.#pick(() => true);
    const n = sizeOf(x.shape);
    const shape = n === 0 ? [0, 1 + this.#rng.int(3)] : factorize(n, this.#rng);
    this.#add(this.g.reshape(x, shape));
  }

  #transpose(): void {
    const x = this.#tryPick((v) => v.rank >= 2) ?? this.#freshSource([2, 3], "float32");
    const perm = x.shape.map((_, i) => i);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = this.#rng.int(i + 1);
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    this.#add(this.g.transpose(x, perm));
  }

  #slice(): void {
    const x = this.#tryPick((v) => v.rank >= 1) ?? this.#freshSource([4, 3], "float32");
    const start = x.shape.map((d) => this.#rng.int(Math.max(1, d)));
    const end = x.shape.map((d, i) => start[i]! + 1 + this.#rng.int(Math.max(1, d - start[i]!)));
    const step = x.shape.map(() => 1 + this.#rng.int(2));
    this.#add(this.g.slice(x, start, end, step));
  }
}

/** True when `shape` broadcasts against `target` without changing it. */
function fitsInto(shape: Shape, target: Shape): boolean {
  if (shape.length > target.length) return false;
  const offset = target.length - shape.length;
  return shape.every((d, i) => d === 1 || d === target[offset + i]);
}

/** `n` as a product of one to three random factors. */
function factorize(n: number, rng: Rng): number[] {
  const factors: number[] = [];
  let rest = n;
  const parts = 1 + rng.int(3);
  for (let i = 1; i < parts; i++) {
    const divisors = [];
    for (let d = 1; d <= rest; d++) if (rest % d === 0) divisors.push(d);
    const d = divisors[rng.int(divisors.length)]!;
    factors.push(d);
    rest /= d;
  }
  factors.push(rest);
  return factors;
}

/**
 * Data from a known mixture of logistic regressions (SEEDS.md S5), and a measure of how well a
 * fitted network recovers it.
 *
 * The S5 model is p(y = 1 | x) = Σₖ πₖ σ(wₖᵀx) with no bias term, so an intercept can only enter
 * through the input: x = (x₁, x₂, 1), with x₁, x₂ ~ N(0, 1) and the constant third feature
 * making wₖ₃ component k's intercept.
 *
 * Identifiability, honestly: the labels only ever show p(y = 1 | x), and from it a mixture of
 * logistic regressions is determined at best up to the order of its components, so fitted
 * components are matched to the true ones by the best of the K! permutations. Beyond that,
 * recovery needs the components to be distinct in a way the data can see:
 * - no two directions may coincide (two copies of one component split π arbitrarily), and none
 *   may be the negative of another, since σ(−t) = 1 − σ(t) lets π₁σ(t) + π₂σ(−t) be rewritten
 *   as π₂ + (π₁ − π₂)σ(t): TRUE_MIXTURE's directions are about 120° apart;
 * - each component must leave a visible mark on p(y = 1 | x): norms of about 4 make every
 *   sigmoid turn within a quarter of a standard deviation of x, so its boundary can be located,
 *   and πₖ ≥ 0.2 gives every component a fifth of the labels or more; the three π differ, so the
 *   matched proportions are not interchangeable either;
 * - intercepts stay small (|wₖ₃| ≤ 1): a large one turns its component into a near-constant
 *   that trades off against π.
 * Even so the labels are close to coin flips (the true mixture's NLL is about 0.655 nats against
 * ln 2 = 0.693 for a coin), so the weights are recovered only approximately and need many
 * examples: their error shrinks like 1/√N. Measured with the Trainer: 100,000 examples give a
 * worst-component ‖ŵ − w‖ of 0.2–0.5 (data seeds 1–3), 400,000 about 0.1, against norms of
 * about 4; the rarest component is usually the worst.
 */
import { createRng, NncError, type Rng } from "@nnc/core";

/** A mixture of K logistic regressions over d features. */
export interface Mixture {
  /** `weights[k]` is wₖ, d numbers. */
  readonly weights: readonly (readonly number[])[];
  /** The mixing proportions πₖ (positive, summing to 1). */
  readonly pi: readonly number[];
}

/** d: two Gaussian features and the constant 1 (the intercept feature). */
export const FEATURES = 3;

/** K, the number of components of {@link TRUE_MIXTURE}. */
export const COMPONENTS = 3;

/**
 * The mixture the data come from: directions about 120° apart in the (x₁, x₂) plane with norms
 * about 4, small intercepts, and distinct proportions (see the header for why these choices).
 */
export const TRUE_MIXTURE: Mixture = {
  weights: [
    [4, 0, 1],
    [-2, 3.5, -1],
    [-2, -3.5, 0.5],
  ],
  pi: [0.5, 0.3, 0.2],
};

/** A sample from a mixture: inputs, labels, and the true p(y = 1 | x) of every example. */
export interface MixtureSample {
  /** Row-major [count, d]: the network's `x`. */
  readonly x: Float32Array;
  /** [count, 1] labels in {0, 1}: the network's `y`. */
  readonly y: Float32Array;
  /** p(y = 1 | x) under the generating mixture, for the float32 x actually stored. */
  readonly pTrue: Float64Array;
  /** The latent zₙ that generated each label (for inspection; the network never sees it). */
  readonly component: Uint8Array;
  readonly count: number;
}

/** σ(t) = 1 / (1 + e^−t), without overflow for large |t|. */
export function sigmoid(t: number): number {
  if (t >= 0) return 1 / (1 + Math.exp(-t));
  const e = Math.exp(t);
  return e / (1 + e);
}

/** p(y = 1 | x) = Σₖ πₖ σ(wₖᵀx) for the example at `x[offset … offset + d)`. */
export function mixtureProbability(mixture: Mixture, x: ArrayLike<number>, offset = 0): number {
  let p = 0;
  mixture.weights.forEach((w, k) => {
    let dot = 0;
    for (let i = 0; i < w.length; i++) dot += w[i]! * x[offset + i]!;
    p += mixture.pi[k]! * sigmoid(dot);
  });
  return p;
}

/** `count` inputs x = (x₁, x₂, 1) with x₁, x₂ ~ N(0, 1), row-major [count, 3]. */
export function drawInputs(rng: Rng, count: number): Float32Array {
  const x = new Float32Array(count * FEATURES);
  for (let n = 0; n < count; n++) {
    x[n * FEATURES] = rng.normal();
    x[n * FEATURES + 1] = rng.normal();
    x[n * FEATURES + 2] = 1;
  }
  return x;
}

/**
 * Draws `count` examples from `mixture` (default {@link TRUE_MIXTURE}), seeded: x as in
 * {@link drawInputs}, zₙ ~ Categorical(π), yₙ ~ Bernoulli(σ(w_zₙᵀxₙ)).
 */
export function sampleMixture(
  count: number,
  seed: number,
  mixture: Mixture = TRUE_MIXTURE,
): MixtureSample {
  checkMixture(mixture, "sampleMixture");
  const rng = createRng(seed);
  const x = drawInputs(rng, count);
  const y = new Float32Array(count);
  const pTrue = new Float64Array(count);
  const component = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const z = drawCategorical(rng, mixture.pi);
    const w = mixture.weights[z]!;
    let dot = 0;
    for (let i = 0; i < FEATURES; i++) dot += w[i]! * x[n * FEATURES + i]!;
    y[n] = rng.next() < sigmoid(dot) ? 1 : 0;
    component[n] = z;
    pTrue[n] = mixtureProbability(mixture, x, n * FEATURES);
  }
  return { x, y, pTrue, component, count };
}

/** Splits a sample into its first `count − heldOut` examples and the last `heldOut` (views, no copy). */
export function splitSample(
  sample: MixtureSample,
  heldOut: number,
): { readonly train: MixtureSample; readonly heldOut: MixtureSample } {
  if (!Number.isInteger(heldOut) || heldOut < 1 || heldOut >= sample.count) {
    throw new NncError(
      "NNC7003",
      `splitSample: heldOut must be an integer in [1, ${sample.count - 1}], got ${heldOut}`,
    );
  }
  const cut = sample.count - heldOut;
  const part = (from: number, to: number): MixtureSample => ({
    x: sample.x.subarray(from * FEATURES, to * FEATURES),
    y: sample.y.subarray(from, to),
    pTrue: sample.pTrue.subarray(from, to),
    component: sample.component.subarray(from, to),
    count: to - from,
  });
  return { train: part(0, cut), heldOut: part(cut, sample.count) };
}

/** The mean negative log-likelihood −[y log p + (1 − y) log(1 − p)] of labels `y` under `p`. */
export function meanNll(p: ArrayLike<number>, y: ArrayLike<number>): number {
  let total = 0;
  for (let n = 0; n < y.length; n++) total -= Math.log(y[n] ? p[n]! : 1 - p[n]!);
  return total / y.length;
}

/**
 * Reads a fitted mixture out of the parameters of buildLogisticMixture: `experts.weight` [d, K]
 * row-major (column k is wₖ) and `mixture.logits` [K] (π = their softmax).
 */
export function mixtureFromParams(
  params: Readonly<Record<string, ArrayLike<number>>>,
  features = FEATURES,
): Mixture {
  const w = params["experts.weight"];
  const logitValues = params["mixture.logits"];
  if (!w || !logitValues) {
    throw new NncError(
      "NNC7003",
      `mixtureFromParams: expected parameters "experts.weight" and "mixture.logits" (got ${Object.keys(params).join(", ")})`,
    );
  }
  const logits = Array.from(logitValues);
  const k = logits.length;
  if (w.length !== features * k) {
    throw new NncError(
      "NNC7003",
      `mixtureFromParams: experts.weight holds ${w.length} values, not ${features} × ${k}`,
    );
  }
  // softmax: subtract the max first so large logits do not overflow.
  const top = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - top));
  const total = e.reduce((a, b) => a + b, 0);
  return {
    weights: logits.map((_, j) => Array.from({ length: features }, (_, i) => w[i * k + j]!)),
    pi: e.map((v) => v / total),
  };
}

/** How one true component was recovered. */
export interface ComponentRecovery {
  /** Index of the fitted component matched to this true one. */
  readonly fitted: number;
  readonly trueWeight: readonly number[];
  readonly fittedWeight: readonly number[];
  /** ‖ŵ − w‖₂. */
  readonly weightError: number;
  /** max over features of |ŵᵢ − wᵢ|. */
  readonly maxWeightError: number;
  readonly truePi: number;
  readonly fittedPi: number;
  /** |π̂ − π|. */
  readonly piError: number;
}

/** How well a fitted mixture recovers the true one. */
export interface Recovery {
  /** Mean |p̂(x) − p_true(x)| over fresh inputs from the data distribution. */
  readonly predictionGap: number;
  /** The largest |p̂(x) − p_true(x)| seen over those inputs. */
  readonly maxPredictionGap: number;
  /** One entry per true component, in the true order. */
  readonly components: readonly ComponentRecovery[];
  /** Largest ‖ŵ − w‖₂ over the components. */
  readonly worstWeightError: number;
  /** Largest |π̂ − π| over the components. */
  readonly worstPiError: number;
}

/** Fresh inputs {@link measureRecovery} draws by default to measure the prediction gap. */
export const RECOVERY_SAMPLES = 20_000;

/** Options of {@link measureRecovery}. */
export interface RecoveryOptions {
  /** Fresh inputs drawn to measure the prediction gap; default {@link RECOVERY_SAMPLES}. */
  readonly samples?: number;
  /** Seed of those inputs; default 12345 (keep it away from the training seeds). */
  readonly seed?: number;
}

/**
 * Measures how well `fitted` recovers `truth`: the mean prediction gap |p̂(x) − p_true(x)| over
 * fresh x, and the components matched by the permutation minimising Σₖ ‖ŵ_σ(k) − wₖ‖² (brute
 * force over the K! orders, so K ≤ 6), with each one's weight and π error.
 */
export function measureRecovery(
  fitted: Mixture,
  truth: Mixture = TRUE_MIXTURE,
  options: RecoveryOptions = {},
): Recovery {
  checkMixture(fitted, "measureRecovery: fitted");
  checkMixture(truth, "measureRecovery: truth");
  const k = truth.pi.length;
  if (fitted.pi.length !== k || fitted.weights[0]!.length !== truth.weights[0]!.length) {
    throw new NncError(
      "NNC7003",
      `measureRecovery: the fitted mixture has ${fitted.pi.length} components of ${fitted.weights[0]!.length} features, the true one ${k} of ${truth.weights[0]!.length}`,
    );
  }
  if (k > 6) {
    throw new NncError(
      "NNC7003",
      `measureRecovery: ${k} components are too many to match by brute force (at most 6)`,
    );
  }
  const { samples = RECOVERY_SAMPLES, seed = 12345 } = options;
  const x = drawInputs(createRng(seed), samples);
  let gapSum = 0;
  let gapMax = 0;
  for (let n = 0; n < samples; n++) {
    const gap = Math.abs(
      mixtureProbability(fitted, x, n * FEATURES) - mixtureProbability(truth, x, n * FEATURES),
    );
    gapSum += gap;
    gapMax = Math.max(gapMax, gap);
  }
  let best: { order: number[]; cost: number } | undefined;
  for (const order of permutations(k)) {
    let cost = 0;
    for (let j = 0; j < k; j++)
      cost += squaredDistance(fitted.weights[order[j]!]!, truth.weights[j]!);
    if (!best || cost < best.cost) best = { order, cost };
  }
  const components = truth.weights.map((trueWeight, j): ComponentRecovery => {
    const fittedIndex = best!.order[j]!;
    const fittedWeight = fitted.weights[fittedIndex]!;
    const fittedPi = fitted.pi[fittedIndex]!;
    const truePi = truth.pi[j]!;
    return {
      fitted: fittedIndex,
      trueWeight,
      fittedWeight,
      weightError: Math.sqrt(squaredDistance(fittedWeight, trueWeight)),
      maxWeightError: Math.max(...trueWeight.map((v, i) => Math.abs(fittedWeight[i]! - v))),
      truePi,
      fittedPi,
      piError: Math.abs(fittedPi - truePi),
    };
  });
  return {
    predictionGap: gapSum / samples,
    maxPredictionGap: gapMax,
    components,
    worstWeightError: Math.max(...components.map((c) => c.weightError)),
    worstPiError: Math.max(...components.map((c) => c.piError)),
  };
}

/** Every order of 0 … k−1 (Heap's algorithm would do; k ≤ 6 makes recursion plenty fast). */
export function permutations(k: number): number[][] {
  if (k === 0) return [[]];
  const result: number[][] = [];
  for (const rest of permutations(k - 1)) {
    for (let at = 0; at <= rest.length; at++) {
      result.push([...rest.slice(0, at), k - 1, ...rest.slice(at)]);
    }
  }
  return result;
}

function squaredDistance(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return s;
}

function drawCategorical(rng: Rng, pi: readonly number[]): number {
  let u = rng.next();
  for (let k = 0; k < pi.length - 1; k++) {
    u -= pi[k]!;
    if (u < 0) return k;
  }
  // Rounding in Σπ must not push u past the last bin.
  return pi.length - 1;
}

function checkMixture(mixture: Mixture, what: string): void {
  const { weights, pi } = mixture;
  const sum = pi.reduce((a, b) => a + b, 0);
  if (pi.length === 0 || weights.length !== pi.length || pi.some((p) => !(p >= 0))) {
    throw new NncError(
      "NNC7003",
      `${what}: needs one weight vector per proportion and πₖ ≥ 0 (got ${weights.length} weight vectors, π = [${pi.join(", ")}])`,
    );
  }
  if (Math.abs(sum - 1) > 1e-6) {
    throw new NncError("NNC7003", `${what}: the proportions π must sum to 1 (they sum to ${sum})`);
  }
  const d = weights[0]!.length;
  if (weights.some((w) => w.length !== d)) {
    throw new NncError("NNC7003", `${what}: every weight vector needs the same length (${d})`);
  }
}

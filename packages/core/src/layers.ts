import type { PaddingOption, Spatial } from "./conv-options.js";
import { NncError } from "./errors.js";
import type { GraphBuilder } from "./graph-builder.js";
import type { InitOption } from "./graph-builder-base.js";
import { hashString } from "./random.js";
import { captureSourceLocation } from "./source-location.js";
import type { Value } from "./value.js";

/**
 * Name of the dropout step counter: a non-trainable float32 scalar state parameter that salts
 * the masks of training-mode dropout layers and counts the training steps (see
 * {@link Layers.dropout}).
 */
export const RNG_STEP_PARAM = "rng/step";

/** Activation functions a layer can apply to its output. */
export type Activation =
  | "linear"
  | "relu"
  | "leaky_relu"
  | "elu"
  | "sigmoid"
  | "tanh"
  | "softplus"
  | "swish"
  | "gelu"
  | "softmax";

/** Options every layer takes. */
export interface LayerOptions {
  /** The layer's name: its parameters are `<name>.weight` etc. and its nodes `<name>/...`. */
  readonly name?: string;
}

/** Options of a layer with a weight and a bias. */
export interface WeightedLayerOptions extends LayerOptions {
  readonly activation?: Activation;
  /** Whether the layer has a bias (default true). */
  readonly bias?: boolean;
  /** Weight initialiser (default "glorot_uniform"). */
  readonly init?: InitOption;
  /** Bias initialiser (default "zeros"). */
  readonly biasInit?: InitOption;
  /** Seed of the weight initialiser (default derived from the parameter name). */
  readonly seed?: number;
}

/** Options of `layers.conv2d`. */
export interface Conv2dLayerOptions extends WeightedLayerOptions {
  readonly filters: number;
  readonly kernel: Spatial;
  readonly stride?: Spatial;
  readonly padding?: PaddingOption;
  readonly dilation?: Spatial;
  readonly groups?: number;
}

/** Options of `layers.batchNorm`. */
export interface BatchNormLayerOptions extends LayerOptions {
  /** Batch statistics (and running-stat updates) when true; running statistics when false. */
  readonly training: boolean;
  /** Weight of the new batch statistic in the running average (PyTorch convention, default 0.1). */
  readonly momentum?: number;
  readonly epsilon?: number;
}

/** Options of the pooling layers. */
export interface Pool2dLayerOptions extends LayerOptions {
  readonly kernel: Spatial;
  readonly stride?: Spatial;
  readonly padding?: PaddingOption;
}

/**
 * Layer helpers in the style of Keras and PyTorch: each call creates its parameters, named
 * `<layer>.weight`, `<layer>.bias` (BatchNorm also `<layer>.running_mean` and
 * `<layer>.running_var`), and builds its nodes inside the scope `<layer>/`. Layers without a
 * name get `dense`, `dense_1`, ... Reach them as `g.layers`.
 */
export class Layers {
  #g: GraphBuilder;
  #used = new Set<string>();
  #rngStep: Value | undefined;

  /** @internal */
  constructor(g: GraphBuilder) {
    this.#g = g;
  }

  /**
   * Fully connected layer `x · W + b` with W `[in, units]`. Inputs of rank > 2 are flattened
   * after the batch axis first, as in the classic conv-net head.
   */
  dense(x: Value, units: number, options: WeightedLayerOptions = {}): Value {
    const name = this.#layerName(options.name, "dense");
    return this.#g.scope(name, () => {
      const flat = x.rank > 2 ? this.#g.flatten(x, 1) : x;
      const inFeatures = flat.shape[flat.rank - 1] ?? 1;
      const w = this.#g.param(`${name}.weight`, [inFeatures, units], weightOptions(options));
      const b =
        (options.bias ?? true)
          ? this.#g.param(`${name}.bias`, [units], { init: options.biasInit ?? "zeros" })
          : undefined;
      const y = this.#g.dense(flat, w, b);
      return this.#activate(y, options.activation);
    });
  }

  /** 2-D convolution layer over NCHW input with an OIHW weight `[filters, C / groups, kh, kw]`. */
  conv2d(x: Value, options: Conv2dLayerOptions): Value {
    const name = this.#layerName(options.name, "conv2d");
    return this.#g.scope(name, () => {
      const [kh, kw] =
        typeof options.kernel === "number" ? [options.kernel, options.kernel] : options.kernel;
      const groups = options.groups ?? 1;
      const channels = x.shape[1] ?? 0;
      const w = this.#g.param(
        `${name}.weight`,
        [options.filters, Math.floor(channels / groups), kh, kw],
        weightOptions(options),
      );
      let y = this.#g.conv2d(x, w, {
        ...(options.stride !== undefined && { stride: options.stride }),
        ...(options.padding !== undefined && { padding: options.padding }),
        ...(options.dilation !== undefined && { dilation: options.dilation }),
        groups,
      });
      if (options.bias ?? true) {
        const b = this.#g.param(`${name}.bias`, [options.filters], {
          init: options.biasInit ?? "zeros",
        });
        y = this.#g.add(y, this.#g.reshape(b, [1, options.filters, 1, 1]));
      }
      return this.#activate(y, options.activation);
    });
  }

  /**
   * Batch normalisation over channels (axis 1) with learnable `weight` (γ, ones) and `bias`
   * (β, zeros). In training it normalises with batch statistics and records state updates of
   * `running_mean` / `running_var` (unbiased variance), new = (1 − momentum)·old + momentum·batch;
   * in inference it uses the running statistics.
   */
  batchNorm(x: Value, options: BatchNormLayerOptions): Value {
    const name = this.#layerName(options.name, "batch_norm");
    const g = this.#g;
    return g.scope(name, () => {
      const channels = x.shape[1] ?? 0;
      const epsilon = options.epsilon ?? 1e-5;
      const scale = g.param(`${name}.weight`, [channels], { init: "ones" });
      const offset = g.param(`${name}.bias`, [channels], { init: "zeros" });
      const runningMean = g.param(`${name}.running_mean`, [channels], {
        init: "zeros",
        trainable: false,
      });
      const runningVar = g.param(`${name}.running_var`, [channels], {
        init: "ones",
        trainable: false,
      });
      if (!options.training) {
        return g.batchNorm(x, scale, offset, { mean: runningMean, variance: runningVar, epsilon });
      }
      const y = g.batchNorm(x, scale, offset, { training: true, epsilon });
      const momentum = options.momentum ?? 0.1;
      const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
      const count = axes.reduce((n, a) => n * (x.shape[a] ?? 1), 1);
      const batchMean = g.mean(x, axes, { keepDims: true });
      const centered = g.sub(x, batchMean);
      // Running variance is unbiased (divides by n − 1), as in PyTorch.
      const unbiasedVar = g.div(g.sum(g.square(centered), axes), Math.max(count - 1, 1));
      g.update(
        runningMean,
        g.add(g.mul(runningMean, 1 - momentum), g.mul(g.reshape(batchMean, [channels]), momentum)),
      );
      g.update(runningVar, g.add(g.mul(runningVar, 1 - momentum), g.mul(unbiasedVar, momentum)));
      return y;
    });
  }

  /** Max pooling layer (no parameters). */
  maxPool2d(x: Value, options: Pool2dLayerOptions): Value {
    const name = this.#layerName(options.name, "max_pool2d");
    return this.#g.scope(name, () => this.#g.maxPool2d(x, poolOptions(options)));
  }

  /** Average pooling layer (no parameters). */
  avgPool2d(x: Value, options: Pool2dLayerOptions): Value {
    const name = this.#layerName(options.name, "avg_pool2d");
    return this.#g.scope(name, () => this.#g.avgPool2d(x, poolOptions(options)));
  }

  /** Flattens everything after the batch axis. */
  flatten(x: Value, options: LayerOptions = {}): Value {
    const name = this.#layerName(options.name, "flatten");
    return this.#g.scope(name, () => this.#g.flatten(x, 1));
  }

  /**
   * Dropout when `training`, the identity otherwise. In training the mask is salted with the
   * graph's step counter {@link RNG_STEP_PARAM} (a non-trainable float32 scalar, created by the
   * first dropout layer, starting at 0, updated to itself + 1 by every step), so each training
   * step draws a fresh mask, and a run resumed from a checkpoint draws the masks an uninterrupted
   * one would. The seed defaults to a hash of the layer's name, so layers draw independent masks.
   */
  dropout(
    x: Value,
    options: LayerOptions & {
      readonly rate: number;
      readonly training: boolean;
      readonly seed?: number;
    },
  ): Value {
    if (!options.training) return x;
    const name = this.#layerName(options.name, "dropout");
    return this.#g.scope(name, () =>
      this.#g.dropout(x, {
        rate: options.rate,
        seed: options.seed ?? hashString(name),
        salt: this.#stepCounter(),
      }),
    );
  }

  /** The graph's shared dropout step counter, declared with its increment on first use. */
  #stepCounter(): Value {
    if (!this.#rngStep) {
      const g = this.#g;
      this.#rngStep = g.param(RNG_STEP_PARAM, [], { init: "zeros", trainable: false });
      // Built inside the first dropout layer's scope, like BatchNorm's running-stat updates.
      g.update(this.#rngStep, g.add(this.#rngStep, 1));
    }
    return this.#rngStep;
  }

  #layerName(given: string | undefined, kind: string): string {
    let name = given;
    if (name === undefined) {
      name = kind;
      for (let k = 1; this.#used.has(name); k++) name = `${kind}_${k}`;
    } else if (this.#used.has(name)) {
      throw new NncError("NNC1004", `layer "${name}" is defined twice`, locationDetail());
    }
    this.#used.add(name);
    return name;
  }

  #activate(y: Value, activation: Activation | undefined): Value {
    const g = this.#g;
    switch (activation ?? "linear") {
      case "linear":
        return y;
      case "relu":
        return g.relu(y);
      case "leaky_relu":
        return g.leakyRelu(y);
      case "elu":
        return g.elu(y);
      case "sigmoid":
        return g.sigmoid(y);
      case "tanh":
        return g.tanh(y);
      case "softplus":
        return g.softplus(y);
      case "swish":
        return g.swish(y);
      case "gelu":
        return g.gelu(y);
      case "softmax":
        return g.softmax(y, -1);
      default:
        throw new NncError(
          "NNC1002",
          `unknown activation ${JSON.stringify(activation)}`,
          locationDetail(),
        );
    }
  }
}

function locationDetail() {
  const location = captureSourceLocation();
  return location ? { location } : {};
}

function weightOptions(options: WeightedLayerOptions) {
  return {
    init: options.init ?? "glorot_uniform",
    ...(options.seed !== undefined && { seed: options.seed }),
  } as const;
}

function poolOptions(options: Pool2dLayerOptions) {
  return {
    kernel: options.kernel,
    ...(options.stride !== undefined && { stride: options.stride }),
    ...(options.padding !== undefined && { padding: options.padding }),
  };
}

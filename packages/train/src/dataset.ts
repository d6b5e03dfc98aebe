import type { TensorSpec } from "@nnc/compiler";
import { createRng, formatShape, NncError, sizeOf } from "@nnc/core";

/**
 * A dataset: one row-major array per model input, holding every example back to back
 * (`image`: 8,000 × 784 floats, `label`: 8,000 ints). The names are the model's input names.
 */
export type Dataset = Readonly<Record<string, ArrayLike<number>>>;

/** How a dataset lines up with a model's inputs. */
export interface DatasetLayout {
  /** Number of examples. */
  readonly count: number;
  /** Input name → values per example (the input's size without its batch axis). */
  readonly perExample: ReadonlyMap<string, number>;
}

/**
 * Checks that `data` has exactly the model's inputs and the same number of examples in each,
 * where an example of input `x` has the size of `x` without its leading batch axis.
 */
export function layoutDataset(
  data: Dataset,
  inputs: readonly TensorSpec[],
  what: string,
): DatasetLayout {
  if (data === null || typeof data !== "object") {
    throw new NncError("NNC7002", `${what}: expected an object of arrays keyed by input name`);
  }
  const names = inputs.map((i) => JSON.stringify(i.name)).join(", ");
  for (const name of Object.keys(data)) {
    if (!inputs.some((i) => i.name === name)) {
      throw new NncError(
        "NNC7002",
        `${what}: "${name}" is not an input of the model (inputs: ${names})`,
      );
    }
  }
  const perExample = new Map<string, number>();
  let count: number | undefined;
  let countFrom = "";
  for (const input of inputs) {
    const values = data[input.name];
    if (values === undefined || typeof values.length !== "number") {
      throw new NncError(
        "NNC7002",
        `${what}: no data for input "${input.name}" (${input.dtype}${formatShape(input.shape)})`,
      );
    }
    if (input.shape.length === 0) {
      throw new NncError(
        "NNC7002",
        `${what}: input "${input.name}" is a scalar; training data needs a leading batch axis`,
      );
    }
    const size = sizeOf(input.shape.slice(1));
    if (size === 0 || values.length % size !== 0) {
      throw new NncError(
        "NNC7002",
        `${what}: "${input.name}" holds ${values.length} values, not a whole number of examples of ${size} (${input.dtype}${formatShape(input.shape.slice(1))})`,
      );
    }
    const n = values.length / size;
    if (count !== undefined && n !== count) {
      throw new NncError(
        "NNC7002",
        `${what}: "${input.name}" holds ${n} examples but "${countFrom}" holds ${count}`,
      );
    }
    if (input.dtype !== "float32") checkIntegers(values, input, what);
    count = n;
    countFrom = input.name;
    perExample.set(input.name, size);
  }
  return { count: count ?? 0, perExample };
}

// Checked once per dataset, because batches are gathered into Int32Arrays, which would
// silently truncate a label of 1.5.
function checkIntegers(values: ArrayLike<number>, input: TensorSpec, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const ok =
      input.dtype === "bool" ? v === 0 || v === 1 : Number.isInteger(v) && Math.abs(v) < 2 ** 31;
    if (!ok) {
      throw new NncError(
        "NNC7002",
        `${what}: input "${input.name}" is ${input.dtype} but value ${i} is ${v}`,
      );
    }
  }
}

/**
 * The order in which an epoch visits the examples: a Fisher–Yates shuffle seeded by
 * (seed, epoch), or 0, 1, 2… without shuffling. A function of its arguments only, so a run
 * resumed from a checkpoint visits exactly the batches the uninterrupted run would have.
 */
export function epochOrder(
  count: number,
  seed: number,
  epoch: number,
  shuffle: boolean,
): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  if (!shuffle) return order;
  // Golden-ratio mixing keeps (seed, epoch) pairs apart in createRng's 32-bit seed space.
  const rng = createRng((Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/**
 * Batch arrays allocated once and refilled for every batch (the gather is the only per-step
 * copy), typed like the inputs so the executable's dtype checks stay cheap.
 */
export class BatchBuffers {
  readonly #layout: DatasetLayout;
  readonly #buffers: Map<string, Float32Array | Int32Array>;

  constructor(inputs: readonly TensorSpec[], layout: DatasetLayout) {
    this.#layout = layout;
    this.#buffers = new Map(
      inputs.map((i) => [
        i.name,
        i.dtype === "float32" ? new Float32Array(sizeOf(i.shape)) : new Int32Array(sizeOf(i.shape)),
      ]),
    );
  }

  /** Copies examples `order[start … start + batch)` of `data` into the buffers and returns them. */
  fill(
    data: Dataset,
    order: ArrayLike<number>,
    start: number,
    batch: number,
  ): Readonly<Record<string, Float32Array | Int32Array>> {
    const feeds: Record<string, Float32Array | Int32Array> = {};
    for (const [name, buffer] of this.#buffers) {
      const size = this.#layout.perExample.get(name)!;
      const source = data[name]!;
      const typed = ArrayBuffer.isView(source) ? (source as unknown as Float64Array) : undefined;
      for (let b = 0; b < batch; b++) {
        const from = order[start + b]! * size;
        const to = b * size;
        // TypedArray.set converts between element types: a memcpy-speed row copy.
        if (typed) buffer.set(typed.subarray(from, from + size), to);
        else for (let k = 0; k < size; k++) buffer[to + k] = source[from + k]!;
      }
      feeds[name] = buffer;
    }
    return feeds;
  }
}

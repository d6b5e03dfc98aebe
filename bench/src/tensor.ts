/** A row-major array on the host with its shape: how weights and batches are handed around. */
export interface HostTensor<T extends Float32Array | Int32Array = Float32Array | Int32Array> {
  readonly shape: readonly number[];
  readonly data: T;
}

/** Named host tensors: a batch's inputs or a model's parameters. */
export type HostTensors = Readonly<Record<string, HostTensor>>;

/** The number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/**
 * Permutes the axes of a row-major float32 array viewed with `shape`: output axis i is input axis
 * `perm[i]`. Used to hand a library its native layout (NHWC images, HWIO kernels).
 */
export function transpose(
  data: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): HostTensor<Float32Array> {
  const rank = shape.length;
  const outShape = perm.map((axis) => shape[axis]!);
  const inStrides = stridesOf(shape);
  // The input stride walked by each output axis.
  const walk = perm.map((axis) => inStrides[axis]!);
  const out = new Float32Array(data.length);
  const index = new Array<number>(rank).fill(0);
  let source = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = data[source]!;
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]!++;
      source += walk[axis]!;
      if (index[axis]! < outShape[axis]!) break;
      source -= walk[axis]! * outShape[axis]!;
      index[axis] = 0;
    }
  }
  return { shape: outShape, data: out };
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let axis = shape.length - 2; axis >= 0; axis--) {
    strides[axis] = strides[axis + 1]! * shape[axis + 1]!;
  }
  return strides;
}

import {
  isNncError,
  NncError,
  readSafetensors,
  type SafetensorsFile,
  type SafetensorsTensor,
  writeSafetensors,
} from "@nnc/core";

/** One tensor of a checkpoint: row-major float32 values and their shape. */
export interface CheckpointTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** One checkpoint: named float32 tensors and the trainer's JSON-serialisable state. */
export interface Checkpoint {
  /** Every parameter and state value of the executable (optimizer slots, BN statistics…). */
  readonly tensors: ReadonlyMap<string, CheckpointTensor>;
  /** JSON-serialisable; stored as JSON in the safetensors metadata. */
  readonly state: unknown;
}

/** The `format` metadata value that marks a safetensors file as an nnc checkpoint. */
const CHECKPOINT_FORMAT = "nnc-checkpoint";

/** The checkpoint layout version this code writes and reads. */
const CHECKPOINT_VERSION = "1";

/**
 * Serialises a checkpoint as safetensors: every tensor as F32, and metadata
 * `{ format: "nnc-checkpoint", version: "1", state: JSON.stringify(state) }`.
 * Throws NNC5003 when the state is not JSON-serialisable.
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  let state: string | undefined;
  try {
    state = JSON.stringify(checkpoint.state);
  } catch (error) {
    throw new NncError(
      "NNC5003",
      `checkpoint state is not JSON-serialisable (${(error as Error).message})`,
    );
  }
  // JSON.stringify returns undefined for undefined, functions and symbols: nothing to restore.
  if (state === undefined) {
    throw new NncError(
      "NNC5003",
      `checkpoint state is not JSON-serialisable (a value of type ${typeof checkpoint.state})`,
    );
  }
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, { shape, data }] of checkpoint.tensors) {
    tensors.set(name, { dtype: "F32", shape, data });
  }
  return writeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    state,
  });
}

/**
 * Parses checkpoint bytes written by {@link encodeCheckpoint}. Malformed safetensors throw
 * NNC5001; a safetensors file that is not an nnc checkpoint, of another version, with state
 * that is not JSON or with tensors that are not F32 throws NNC5003. Messages start with
 * `source` (the file's path, when it came from one).
 */
export function decodeCheckpoint(bytes: Uint8Array, source = "checkpoint"): Checkpoint {
  let file: SafetensorsFile;
  try {
    file = readSafetensors(bytes);
  } catch (error) {
    if (isNncError(error)) throw new NncError(error.code, `${source}: ${error.summary}`);
    throw error;
  }
  function fail(problem: string): never {
    throw new NncError("NNC5003", `${source}: ${problem}`);
  }
  const { format, version, state } = file.metadata;
  if (format !== CHECKPOINT_FORMAT) {
    fail(
      `not an nnc checkpoint (safetensors metadata format is ${describe(format)}, expected ${JSON.stringify(CHECKPOINT_FORMAT)})`,
    );
  }
  if (version !== CHECKPOINT_VERSION) {
    fail(
      `checkpoint version ${describe(version)} is not supported (this nnc reads version ${JSON.stringify(CHECKPOINT_VERSION)})`,
    );
  }
  if (state === undefined) fail("checkpoint has no state in its metadata");
  let parsed: unknown;
  try {
    parsed = JSON.parse(state);
  } catch (error) {
    fail(`checkpoint state is not valid JSON (${(error as Error).message})`);
  }
  const tensors = new Map<string, CheckpointTensor>();
  for (const [name, tensor] of file.tensors) {
    // The reader returns F32 tensors, and only those, as Float32Array.
    if (!(tensor.data instanceof Float32Array)) {
      fail(
        `tensor ${JSON.stringify(name)} is ${tensor.dtype}, but a checkpoint holds only F32 tensors`,
      );
    }
    tensors.set(name, { shape: tensor.shape, data: tensor.data });
  }
  return { tensors, state: parsed };
}

/** A metadata value for a message: quoted, or "missing". */
function describe(value: string | undefined): string {
  return value === undefined ? "missing" : JSON.stringify(value);
}

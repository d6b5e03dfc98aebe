/** The safetensors element types nnc reads and writes (bool as one byte per element). */
export type SafetensorsDType = "F32" | "I32" | "U8" | "BOOL";

/** One tensor of a safetensors file: row-major data and its shape. */
export interface SafetensorsTensor {
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array | Uint8Array;
}

/** A parsed safetensors file: tensors by name (a Map, so any name is a safe key) and metadata. */
export interface SafetensorsFile {
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
  /** The `__metadata__` strings (a null-prototype object). */
  readonly metadata: Readonly<Record<string, string>>;
}

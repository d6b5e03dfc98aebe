import { NncError } from "@nnc/core";
import { RUNTIME_SOURCE } from "./runtime-source.js";

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

const DTYPE_OF_ARRAY = (data: SafetensorsTensor["data"]): SafetensorsDType[] =>
  data instanceof Float32Array ? ["F32"] : data instanceof Int32Array ? ["I32"] : ["U8", "BOOL"];

/**
 * Serialises tensors in the safetensors format: an 8-byte little-endian header length, a JSON
 * header `{ name: { dtype, shape, data_offsets }, "__metadata__": {...} }` padded with spaces to
 * a multiple of 8 bytes, then each tensor's little-endian data in header order.
 */
export function writeSafetensors(
  tensors: ReadonlyMap<string, SafetensorsTensor> | Readonly<Record<string, SafetensorsTensor>>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const entries: [string, SafetensorsTensor][] =
    tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  // A null-prototype header: a tensor called "__proto__" stays an ordinary key.
  const header: Record<string, unknown> = Object.create(null);
  const meta: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string") {
      throw new NncError("NNC5001", `safetensors: metadata ${JSON.stringify(key)} is not a string`);
    }
    meta[key] = value;
  }
  header.__metadata__ = meta;
  let offset = 0;
  for (const [name, tensor] of entries) {
    if (name === "__metadata__") {
      throw new NncError(
        "NNC1007",
        'safetensors: "__metadata__" is reserved and cannot name a tensor',
      );
    }
    const count = tensor.shape.reduce((a, d) => a * d, 1);
    if (
      !tensor.shape.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      count !== tensor.data.length
    ) {
      throw new NncError(
        "NNC4002",
        `safetensors: tensor ${JSON.stringify(name)} has shape ${JSON.stringify(tensor.shape)} but ${tensor.data.length} values`,
      );
    }
    if (!DTYPE_OF_ARRAY(tensor.data).includes(tensor.dtype)) {
      throw new NncError(
        "NNC4004",
        `safetensors: tensor ${JSON.stringify(name)} is ${tensor.dtype} but its data is a ${tensor.data.constructor.name}`,
      );
    }
    const bytes = tensor.data.length * tensor.data.BYTES_PER_ELEMENT;
    header[name] = {
      dtype: tensor.dtype,
      shape: [...tensor.shape],
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerBytes + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let at = 8 + headerBytes;
  for (const [, { data }] of entries) {
    // DataView writes little-endian whatever the host's byte order.
    if (data instanceof Float32Array) {
      for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i]!, true);
    } else if (data instanceof Int32Array) {
      for (let i = 0; i < data.length; i++) view.setInt32(at + 4 * i, data[i]!, true);
    } else {
      out.set(data, at);
    }
    at += data.length * data.BYTES_PER_ELEMENT;
  }
  return out;
}

type RuntimeReader = (bytes: Uint8Array) => {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
};

let runtimeReader: RuntimeReader | undefined;

/**
 * Parses a safetensors file, validating it: header length within the file, a JSON object
 * header, known dtypes, shapes that match their byte ranges, and ranges that tile the data
 * exactly. Throws NNC5001 naming the first problem. The emitted `model.js` runs the same reader.
 */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  runtimeReader ??= new Function(`${RUNTIME_SOURCE}\nreturn readSafetensors;`)() as RuntimeReader;
  try {
    return runtimeReader(bytes);
  } catch (error) {
    throw new NncError("NNC5001", (error as Error).message);
  }
}

import { NncError } from "../errors.js";
import type { SafetensorsDType, SafetensorsTensor } from "./types.js";

// The format is little-endian: on such hosts (nearly all) typed-array bytes are copied as they are.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

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
    if (LITTLE_ENDIAN || data instanceof Uint8Array) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    } else if (data instanceof Float32Array) {
      // DataView writes little-endian whatever the host's byte order.
      for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i]!, true);
    } else {
      for (let i = 0; i < data.length; i++) view.setInt32(at + 4 * i, data[i]!, true);
    }
    at += data.length * data.BYTES_PER_ELEMENT;
  }
  return out;
}

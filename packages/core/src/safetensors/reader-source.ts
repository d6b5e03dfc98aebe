/**
 * The safetensors reader as plain ES2022 source text with no imports: `readSafetensors(bytes)`
 * and its helpers (`SAFETENSORS_DTYPES`, `MAX_HEADER_BYTES`, `LITTLE_ENDIAN`, `swapBytes`).
 * It is text so that a standalone module emitted by the CLI can embed it verbatim, while
 * `readSafetensors` in read.ts evaluates the same text: one reader for nnc and for every
 * emitted model. Its functions throw plain `Error`s (the emitted module cannot use nnc's
 * error type) whose messages name the tensor at fault.
 */
export const SAFETENSORS_READER_SOURCE = `
const SAFETENSORS_DTYPES = { F32: 4, I32: 4, U8: 1, BOOL: 1 };
const MAX_HEADER_BYTES = 100000000;

function readSafetensors(bytes) {
  if (!(bytes instanceof Uint8Array)) {
    throw new Error("safetensors: expected the file's bytes as a Uint8Array");
  }
  if (bytes.length < 8) {
    throw new Error("safetensors: file of " + bytes.length + " bytes is too short for the 8-byte header length");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = view.getBigUint64(0, true);
  if (headerBytes > BigInt(Math.min(MAX_HEADER_BYTES, bytes.length - 8))) {
    throw new Error("safetensors: header length " + headerBytes + " exceeds the file (" + (bytes.length - 8) + " bytes after the length)");
  }
  const headerEnd = 8 + Number(headerBytes);
  let header;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, headerEnd)));
  } catch (cause) {
    throw new Error("safetensors: header is not valid UTF-8 JSON (" + (cause && cause.message) + ")");
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    throw new Error("safetensors: header must be a JSON object");
  }
  const dataBytes = bytes.length - headerEnd;
  const metadata = Object.create(null);
  const tensors = new Map();
  const ranges = [];
  for (const name of Object.keys(header)) {
    const entry = header[name];
    const what = "safetensors: tensor " + JSON.stringify(name);
    if (name === "__metadata__") {
      if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
        throw new Error("safetensors: __metadata__ must be an object of strings");
      }
      for (const key of Object.keys(entry)) {
        if (typeof entry[key] !== "string") {
          throw new Error("safetensors: __metadata__ value " + JSON.stringify(key) + " is not a string");
        }
        metadata[key] = entry[key];
      }
      continue;
    }
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw new Error(what + " must be an object with dtype, shape and data_offsets");
    }
    const size = Object.hasOwn(SAFETENSORS_DTYPES, entry.dtype) ? SAFETENSORS_DTYPES[entry.dtype] : undefined;
    if (size === undefined) {
      throw new Error(what + " has dtype " + JSON.stringify(entry.dtype) + " (supported: F32, I32, U8, BOOL)");
    }
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(what + " has shape " + JSON.stringify(shape) + ", expected an array of non-negative integers");
    }
    const offsets = entry.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      throw new Error(what + " has data_offsets " + JSON.stringify(offsets) + ", expected [begin, end] with 0 <= begin <= end");
    }
    const [begin, end] = offsets;
    if (end > dataBytes) {
      throw new Error(what + " has data_offsets [" + begin + ", " + end + "] past the end of the data (" + dataBytes + " bytes)");
    }
    const count = shape.reduce((a, d) => a * d, 1);
    if (end - begin !== count * size) {
      throw new Error(what + " (" + entry.dtype + JSON.stringify(shape) + ") needs " + count * size + " bytes but data_offsets span " + (end - begin));
    }
    ranges.push([begin, end, name]);
    // Copy into a fresh, aligned buffer: the data of a tensor need not be 4-byte aligned in the
    // file. Not bytes.slice: on a Node Buffer it returns a view of the (pooled) memory.
    const raw = new Uint8Array(bytes.subarray(headerEnd + begin, headerEnd + end));
    const data = entry.dtype === "F32" ? new Float32Array(raw.buffer) : entry.dtype === "I32" ? new Int32Array(raw.buffer) : raw;
    if (!LITTLE_ENDIAN && size === 4) swapBytes(raw);
    tensors.set(name, { dtype: entry.dtype, shape: shape.slice(), data });
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let at = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== at) {
      throw new Error("safetensors: tensor " + JSON.stringify(name) + " starts at byte " + begin + " of the data but the previous tensor ends at " + at + " (tensors must tile the data without gaps or overlaps)");
    }
    at = end;
  }
  if (at !== dataBytes) {
    throw new Error("safetensors: the tensors cover " + at + " bytes of data but the file holds " + dataBytes);
  }
  return { tensors, metadata };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function swapBytes(raw) {
  for (let i = 0; i + 3 < raw.length; i += 4) {
    const a = raw[i], b = raw[i + 1];
    raw[i] = raw[i + 3]; raw[i + 1] = raw[i + 2]; raw[i + 2] = b; raw[i + 3] = a;
  }
}
`;

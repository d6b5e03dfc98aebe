/**
 * The JavaScript runtime every standalone `model.js` embeds: the safetensors reader, base64
 * decoding, the WebAssembly SIMD probe and the checks of feeds. It is plain ES2022 with no
 * imports, kept as source text so the emitted module depends on nothing; `readSafetensors` in
 * safetensors.ts evaluates this same text, so the CLI and the emitted module read weights
 * with one implementation.
 *
 * Every function throws plain `Error`s whose messages name the tensor or input at fault (the
 * emitted module cannot use nnc's error type).
 */
export const RUNTIME_SOURCE = `
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
    // Copy into a fresh, aligned buffer: the data of a tensor need not be 4-byte aligned in the file.
    const raw = bytes.slice(headerEnd + begin, headerEnd + end);
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

function decodeBase64(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const clean = text.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0, value = 0, j = 0;
  for (let i = 0; i < clean.length; i++) {
    value = (value << 6) | alphabet.indexOf(clean[i]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (value >> bits) & 255;
    }
  }
  return out;
}

// A module of one function returning f32x4.splat(0): validates only where Wasm SIMD exists.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 11, 1, 9, 0, 67, 0, 0, 0, 0, 253, 19, 11]);

function wasmSimdSupported() {
  return typeof WebAssembly === "object" && typeof WebAssembly.validate === "function" && WebAssembly.validate(SIMD_PROBE);
}

function sizeOf(shape) {
  return shape.reduce((a, d) => a * d, 1);
}

function describeTensor(spec) {
  return spec.dtype + "[" + spec.shape.join(",") + "]";
}

function checkFeed(what, spec, data) {
  const n = sizeOf(spec.shape);
  if (data === null || typeof data !== "object" || typeof data.length !== "number") {
    throw new Error(what + ": " + JSON.stringify(spec.name) + " (" + describeTensor(spec) + ") must be an array of " + n + " numbers");
  }
  if (data.length !== n) {
    throw new Error(what + ": " + JSON.stringify(spec.name) + " has shape " + describeTensor(spec) + " (" + n + " values) but " + data.length + " values were given");
  }
  if (spec.dtype === "float32") return;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    const ok = spec.dtype === "bool" ? v === 0 || v === 1 || v === true || v === false : Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
    if (!ok) {
      throw new Error(what + ": " + JSON.stringify(spec.name) + " is " + spec.dtype + " but element " + i + " is " + v);
    }
  }
}

function ownKeys(what, record) {
  if (record === null || typeof record !== "object") {
    throw new Error(what + ": expected an object of named arrays");
  }
  return Object.keys(record);
}
`;

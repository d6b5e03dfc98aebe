import { SAFETENSORS_READER_SOURCE } from "@nnc/core";

/**
 * The JavaScript runtime every standalone `model.js` embeds: core's safetensors reader
 * (`SAFETENSORS_READER_SOURCE`, the same text `readSafetensors` from @nnc/core evaluates, so the
 * CLI and the emitted module read weights with one implementation), base64 decoding, the
 * WebAssembly SIMD probe and the checks of feeds. It is plain ES2022 with no imports, kept as
 * source text so the emitted module depends on nothing.
 *
 * Every function throws plain `Error`s whose messages name the tensor or input at fault (the
 * emitted module cannot use nnc's error type).
 */
export const RUNTIME_SOURCE = `${SAFETENSORS_READER_SOURCE}
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

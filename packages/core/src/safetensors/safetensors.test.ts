import { describe, expect, it } from "vitest";
import { readSafetensors, type SafetensorsTensor, writeSafetensors } from "./index.js";

/** A file from a header (object or raw text) and `dataBytes` bytes of data. */
function file(header: unknown, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(
    typeof header === "string" ? header : JSON.stringify(header),
  );
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

describe("writeSafetensors / readSafetensors", () => {
  it("round-trips every dtype, odd names and metadata", () => {
    const tensors = new Map<string, SafetensorsTensor>([
      [
        "w",
        { dtype: "F32", shape: [2, 3], data: Float32Array.from([1, -2.5, 3e-8, -0, 1e30, 0.1]) },
      ],
      ["__proto__", { dtype: "I32", shape: [3], data: Int32Array.from([-1, 2 ** 31 - 1, 7]) }],
      ["mask", { dtype: "BOOL", shape: [1], data: Uint8Array.from([1]) }],
      ["bytes", { dtype: "U8", shape: [5], data: Uint8Array.from([1, 2, 3, 4, 5]) }],
      ['"); globalThis.pwned = 1; ("', { dtype: "F32", shape: [], data: Float32Array.from([4]) }],
      ["empty", { dtype: "F32", shape: [0, 4], data: new Float32Array(0) }],
    ]);
    const bytes = writeSafetensors(tensors, { format: "nnc", constructor: "x" });
    const headerBytes = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerBytes % 8).toBe(0);
    const { tensors: read, metadata } = readSafetensors(bytes);
    expect([...read.keys()]).toEqual([...tensors.keys()]);
    for (const [name, tensor] of tensors) expect(read.get(name)).toEqual(tensor);
    expect(Object.getPrototypeOf(metadata)).toBe(null);
    expect({ ...metadata }).toEqual({ format: "nnc", constructor: "x" });
    expect("pwned" in globalThis).toBe(false);
  });

  it("writes the layout of the format: u64 header length, JSON header, little-endian data", () => {
    const bytes = writeSafetensors({
      a: { dtype: "F32", shape: [1], data: Float32Array.from([1]) },
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)))).toEqual({
      __metadata__: {},
      a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
    });
    expect([...bytes.subarray(8 + n)]).toEqual([0, 0, 0x80, 0x3f]);
  });

  it("reads tensors whose data is not 4-byte aligned in the file", () => {
    const bytes = file(
      {
        a: { dtype: "U8", shape: [1], data_offsets: [0, 1] },
        b: { dtype: "F32", shape: [1], data_offsets: [1, 5] },
      },
      5,
    );
    const json = bytes.length - 5;
    new DataView(bytes.buffer).setFloat32(json + 1, 2.5, true);
    expect(readSafetensors(bytes).tensors.get("b")!.data).toEqual(Float32Array.from([2.5]));
  });

  it("reads a view into larger memory (a Node Buffer from the pool) into tensors of their own", () => {
    const bytes = writeSafetensors({
      a: { dtype: "F32", shape: [2], data: Float32Array.from([1, -2]) },
      m: { dtype: "U8", shape: [3], data: Uint8Array.from([7, 8, 9]) },
    });
    const host = new Uint8Array(bytes.length + 11).fill(0xee);
    host.set(bytes, 5);
    const pooled = Buffer.from(bytes);
    expect(pooled.buffer.byteLength).toBeGreaterThan(bytes.length);
    for (const input of [host.subarray(5, 5 + bytes.length), pooled]) {
      const { tensors } = readSafetensors(input);
      const a = tensors.get("a")!.data;
      const m = tensors.get("m")!.data;
      expect(a).toEqual(Float32Array.from([1, -2]));
      expect(m).toEqual(Uint8Array.from([7, 8, 9]));
      expect([a.buffer.byteLength, m.buffer.byteLength]).toEqual([8, 3]);
      input.fill(0);
      expect(a).toEqual(Float32Array.from([1, -2]));
    }
  });

  it("refuses to write what it cannot represent", () => {
    expect(() =>
      writeSafetensors({ __metadata__: { dtype: "F32", shape: [], data: new Float32Array(1) } }),
    ).toThrowError(/reserved/);
    expect(() =>
      writeSafetensors({ a: { dtype: "F32", shape: [2], data: new Float32Array(3) } }),
    ).toThrowError(/"a" has shape \[2\] but 3 values/);
    expect(() =>
      writeSafetensors({ a: { dtype: "I32", shape: [1], data: new Float32Array(1) } }),
    ).toThrowError(/"a" is I32 but its data is a Float32Array/);
  });

  const f32 = (offsets: unknown, shape: unknown = [1]) => ({
    dtype: "F32",
    shape,
    data_offsets: offsets,
  });
  const lengthOnly = (length: bigint) => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(0, length, true);
    return b;
  };
  const malformed: [string, Uint8Array, RegExp][] = [
    ["too short", new Uint8Array(7), /too short for the 8-byte header length/],
    ["header past the end", lengthOnly(9n), /header length 9 exceeds the file \(8 bytes/],
    ["huge header length", lengthOnly(2n ** 63n), /header length \d+ exceeds/],
    ["not JSON", file("{nope", 0), /not valid UTF-8 JSON/],
    ["not UTF-8", file('"\udc00"', 0).map((b, i) => (i === 9 ? 0xff : b)), /not valid UTF-8 JSON/],
    ["an array", file([], 0), /must be a JSON object/],
    ["entry not an object", file({ a: 3 }, 0), /"a" must be an object/],
    [
      "unknown dtype",
      file({ a: { dtype: "F16", shape: [1], data_offsets: [0, 2] } }, 2),
      /"a" has dtype "F16"/,
    ],
    ["bad shape", file({ a: f32([0, 4], [-1]) }, 4), /"a" has shape \[-1\]/],
    ["bad offsets", file({ a: f32([4, 0]) }, 4), /"a" has data_offsets \[4,0\]/],
    ["past the end", file({ a: f32([0, 8], [2]) }, 4), /past the end of the data \(4 bytes\)/],
    [
      "size mismatch",
      file({ a: f32([0, 8]) }, 8),
      /"a" \(F32\[1\]\) needs 4 bytes but data_offsets span 8/,
    ],
    [
      "overlap",
      file({ a: f32([0, 4]), b: f32([0, 4]) }, 4),
      /"b" starts at byte 0 .* previous tensor ends at 4/,
    ],
    ["gap", file({ a: f32([4, 8]) }, 8), /"a" starts at byte 4/],
    ["trailing data", file({ a: f32([0, 4]) }, 8), /cover 4 bytes of data but the file holds 8/],
    [
      "metadata not strings",
      file({ __metadata__: { a: 1 } }, 0),
      /__metadata__ value "a" is not a string/,
    ],
  ];
  it.each(malformed)("rejects a file that is %s", (_what, bytes, message) => {
    expect(() => readSafetensors(bytes)).toThrowError(message);
    try {
      readSafetensors(bytes);
    } catch (error) {
      expect((error as { code?: string }).code).toBe("NNC5001");
    }
  });
});

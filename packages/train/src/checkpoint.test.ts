import { writeSafetensors } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from "./checkpoint.js";

/** The raw bytes of a float array, so -0, NaN payloads and subnormals compare exactly. */
const bytesOf = (data: Float32Array) => [
  ...new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
];

/** The JSON header of safetensors bytes, parsed by hand from the format's layout. */
function headerOf(bytes: Uint8Array): Record<string, unknown> {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
}

/** Safetensors bytes with the given F32 tensors and metadata (not written by encodeCheckpoint). */
function foreign(
  metadata: Record<string, string>,
  tensors: Parameters<typeof writeSafetensors>[0] = {},
): Uint8Array {
  return writeSafetensors(tensors, metadata);
}

const CHECKPOINT_META = { format: "nnc-checkpoint", version: "1", state: "{}" };

describe("encodeCheckpoint / decodeCheckpoint", () => {
  it("round-trips hostile names, special values, empty and 0-d tensors, and the state", () => {
    const subnormal = 1e-45;
    const tensors = new Map([
      ["fc.weight", { shape: [2, 3], data: Float32Array.of(1, -2.5, 3e-8, -0, 1e30, 0.1) }],
      ["__proto__", { shape: [2], data: Float32Array.of(Number.NaN, Number.POSITIVE_INFINITY) }],
      ["constructor", { shape: [1], data: Float32Array.of(subnormal) }],
      ['he said "hi"\\', { shape: [], data: Float32Array.of(-7) }],
      ["权重/🙂/ñ", { shape: [1, 1, 1], data: Float32Array.of(42) }],
      ["opt/fc.weight/m", { shape: [0, 4], data: new Float32Array(0) }],
      ["", { shape: [0], data: new Float32Array(0) }],
      ["opt/step", { shape: [], data: Float32Array.of(12) }],
    ]);
    // An own "__proto__" key, as JSON.parse makes it: it must stay data, not a prototype.
    const state = JSON.parse(
      '{"__proto__": {"polluted": true}, "epoch": 3, "history": [0.5, -1e-7, null], "note": "日本 \\"q\\" \\u0000"}',
    );
    const decoded = decodeCheckpoint(encodeCheckpoint({ tensors, state }));
    expect([...decoded.tensors.keys()]).toEqual([...tensors.keys()]);
    for (const [name, { shape, data }] of tensors) {
      const got = decoded.tensors.get(name)!;
      expect(got.shape, name).toEqual(shape);
      expect(got.data, name).toBeInstanceOf(Float32Array);
      expect(bytesOf(got.data), name).toEqual(bytesOf(data));
    }
    expect(decoded.tensors.get("constructor")!.data[0]).toBe(Math.fround(subnormal));
    expect(Object.is(decoded.tensors.get("fc.weight")!.data[3], -0)).toBe(true);
    const decodedState = decoded.state as Record<string, unknown>;
    expect(Object.hasOwn(decodedState, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(decodedState)).toBe(Object.prototype);
    expect(JSON.stringify(decodedState)).toBe(JSON.stringify(state));
    expect(decodedState.note).toBe('日本 "q" \u0000');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("round-trips any JSON state, with no tensors at all", () => {
    for (const state of [null, 0, -1.5, "text", [], {}, [{ a: [1, { b: "c" }] }], true]) {
      const decoded = decodeCheckpoint(encodeCheckpoint({ tensors: new Map(), state }));
      expect(decoded.state).toEqual(state);
      expect(decoded.tensors.size).toBe(0);
    }
  });

  it("stores JSON, so non-finite numbers in the state come back as null", () => {
    const state = { loss: Number.NaN, best: Number.POSITIVE_INFINITY, at: new Date(0) };
    const decoded = decodeCheckpoint(encodeCheckpoint({ tensors: new Map(), state }));
    expect(decoded.state).toEqual({ loss: null, best: null, at: "1970-01-01T00:00:00.000Z" });
  });

  it("writes safetensors with F32 tensors and nnc-checkpoint metadata", () => {
    const bytes = encodeCheckpoint({
      tensors: new Map([["w", { shape: [1], data: Float32Array.of(1) }]]),
      state: { epoch: 1 },
    });
    const header = headerOf(bytes);
    expect(header).toEqual({
      __metadata__: { format: "nnc-checkpoint", version: "1", state: '{"epoch":1}' },
      w: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
    });
    // 1.0f little-endian.
    expect([...bytes.subarray(bytes.length - 4)]).toEqual([0, 0, 0x80, 0x3f]);
  });

  it("refuses a state it could not restore, before writing anything", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const state of [undefined, () => 1, Symbol("s"), 10n, cyclic]) {
      expect(() => encodeCheckpoint({ tensors: new Map(), state })).toThrowError(
        expect.objectContaining({
          code: "NNC5003",
          message: expect.stringMatching(
            /^error NNC5003: checkpoint state is not JSON-serialisable/,
          ),
        }),
      );
    }
    expect(() =>
      encodeCheckpoint({ tensors: new Map(), state: 10n }),
    ).toThrowErrorMatchingInlineSnapshot(
      `[NncError: error NNC5003: checkpoint state is not JSON-serialisable (Do not know how to serialize a BigInt)]`,
    );
  });

  it("refuses tensors the writer cannot represent, with the writer's codes", () => {
    const encode = (tensors: Checkpoint["tensors"]) => () =>
      encodeCheckpoint({ tensors, state: {} });
    expect(encode(new Map([["w", { shape: [2, 2], data: new Float32Array(3) }]]))).toThrowError(
      expect.objectContaining({ code: "NNC4002" }),
    );
    const notFloat = new Int32Array(1) as unknown as Float32Array;
    expect(encode(new Map([["w", { shape: [1], data: notFloat }]]))).toThrowError(
      expect.objectContaining({ code: "NNC4004" }),
    );
    expect(
      encode(new Map([["__metadata__", { shape: [], data: new Float32Array(1) }]])),
    ).toThrowError(expect.objectContaining({ code: "NNC1007" }));
  });

  const rejected: [string, Uint8Array, string, RegExp][] = [
    ["not safetensors", Uint8Array.of(1, 2, 3), "NNC5001", /run\/a\.st: safetensors: file of 3/],
    [
      "truncated",
      encodeCheckpoint({
        tensors: new Map([["w", { shape: [2], data: Float32Array.of(1, 2) }]]),
        state: {},
      }).subarray(0, -1),
      "NNC5001",
      /run\/a\.st: safetensors: tensor "w" has data_offsets \[0, 8\] past the end/,
    ],
    [
      "without a format",
      foreign({ version: "1", state: "{}" }),
      "NNC5003",
      /run\/a\.st: not an nnc checkpoint \(safetensors metadata format is missing, expected "nnc-checkpoint"\)/,
    ],
    [
      "a CLI weights file",
      foreign({ format: "nnc", model: "mlp" }),
      "NNC5003",
      /run\/a\.st: not an nnc checkpoint \(safetensors metadata format is "nnc"/,
    ],
    [
      "of an unknown version",
      foreign({ ...CHECKPOINT_META, version: "2" }),
      "NNC5003",
      /run\/a\.st: checkpoint version "2" is not supported \(this nnc reads version "1"\)/,
    ],
    [
      "without a version",
      foreign({ format: "nnc-checkpoint", state: "{}" }),
      "NNC5003",
      /checkpoint version missing is not supported/,
    ],
    [
      "without state",
      foreign({ format: "nnc-checkpoint", version: "1" }),
      "NNC5003",
      /run\/a\.st: checkpoint has no state in its metadata/,
    ],
    [
      "with state that is not JSON",
      foreign({ ...CHECKPOINT_META, state: "{epoch: 1" }),
      "NNC5003",
      /run\/a\.st: checkpoint state is not valid JSON \(/,
    ],
    [
      "with an I32 tensor",
      foreign(CHECKPOINT_META, { "opt/step": { dtype: "I32", shape: [], data: Int32Array.of(3) } }),
      "NNC5003",
      /run\/a\.st: tensor "opt\/step" is I32, but a checkpoint holds only F32 tensors/,
    ],
    [
      "with a BOOL tensor",
      foreign(CHECKPOINT_META, { mask: { dtype: "BOOL", shape: [1], data: Uint8Array.of(1) } }),
      "NNC5003",
      /tensor "mask" is BOOL/,
    ],
  ];
  it.each(rejected)("rejects a file %s", (_what, bytes, code, message) => {
    expect(() => decodeCheckpoint(bytes, "run/a.st")).toThrowError(
      expect.objectContaining({ code, message: expect.stringMatching(message) }),
    );
  });

  it("accepts foreign-written files that follow the layout", () => {
    const bytes = foreign(
      { ...CHECKPOINT_META, state: '{"epoch":4}', extra: "ignored" },
      { w: { dtype: "F32", shape: [2], data: Float32Array.of(0.5, 2) } },
    );
    const decoded = decodeCheckpoint(bytes);
    expect(decoded.state).toEqual({ epoch: 4 });
    expect([...decoded.tensors.get("w")!.data]).toEqual([0.5, 2]);
  });

  it("names the checkpoint generically when no path is given", () => {
    expect(() =>
      decodeCheckpoint(foreign({ ...CHECKPOINT_META, version: "0" })),
    ).toThrowErrorMatchingInlineSnapshot(
      `[NncError: error NNC5003: checkpoint: checkpoint version "0" is not supported (this nnc reads version "1")]`,
    );
  });
});

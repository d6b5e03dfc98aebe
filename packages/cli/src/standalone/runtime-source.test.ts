import { readSafetensors, SAFETENSORS_READER_SOURCE, writeSafetensors } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { RUNTIME_SOURCE } from "./runtime-source.js";

type Reader = (bytes: Uint8Array) => ReturnType<typeof readSafetensors>;

/** The `readSafetensors` an emitted model.js defines, from the runtime text alone. */
const runtimeReader = new Function(`${RUNTIME_SOURCE}\nreturn readSafetensors;`)() as Reader;

describe("RUNTIME_SOURCE", () => {
  it("embeds core's safetensors reader verbatim and imports nothing", () => {
    expect(RUNTIME_SOURCE.startsWith(SAFETENSORS_READER_SOURCE)).toBe(true);
    expect(SAFETENSORS_READER_SOURCE).toContain("function readSafetensors(bytes)");
    expect(RUNTIME_SOURCE).not.toMatch(/^\s*import\b|\brequire\(/m);
  });

  it("reads what core writes, and rejects what core rejects with the same message", () => {
    const bytes = writeSafetensors(
      { w: { dtype: "F32", shape: [2], data: Float32Array.from([1.5, -2]) } },
      { model: "m" },
    );
    const { tensors, metadata } = runtimeReader(bytes);
    expect(tensors.get("w")?.data).toEqual(Float32Array.from([1.5, -2]));
    expect({ ...metadata }).toEqual({ model: "m" });
    const truncated = bytes.subarray(0, bytes.length - 1);
    expect(() => runtimeReader(truncated)).toThrowError(
      'safetensors: tensor "w" has data_offsets [0, 8] past the end of the data (7 bytes)',
    );
    expect(() => readSafetensors(truncated)).toThrowError(
      'safetensors: tensor "w" has data_offsets [0, 8] past the end of the data (7 bytes)',
    );
  });
});

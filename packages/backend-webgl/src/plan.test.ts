import { describe, expect, it } from "vitest";
import { paddedSize, textureLayout } from "./plan.js";

describe("textureLayout", () => {
  it("packs 4 elements per texel into a near-square texture with a power-of-two width", () => {
    // 64·256 values: 4096 texels, 64×64 (not one 4096×1 row).
    expect(textureLayout(64 * 256, "float32")).toEqual({
      width: 64,
      height: 64,
      format: "RGBA32F",
    });
    // 784·256 values: 50176 texels; 256² ≥ 50176 > 128², 50176 / 256 = 196 rows.
    expect(textureLayout(784 * 256, "float32")).toEqual({
      width: 256,
      height: 196,
      format: "RGBA32F",
    });
    // 5 texels: width 4 (4² ≥ 5 > 2²), 2 rows, 3 padding texels.
    const five = textureLayout(20, "int32");
    expect(five).toEqual({ width: 4, height: 2, format: "RGBA32I" });
    expect(paddedSize(five)).toBe(32);
  });
  it("keeps tiny and empty values in one texel and caps the width at 4096", () => {
    expect(textureLayout(0, "bool")).toEqual({ width: 1, height: 1, format: "RGBA32I" });
    expect(textureLayout(3, "float32")).toEqual({ width: 1, height: 1, format: "RGBA32F" });
    // 2²⁶ values: 2²⁴ texels, 4096×4096.
    expect(textureLayout(2 ** 26, "float32")).toMatchObject({ width: 4096, height: 4096 });
    // One texel more than 4096² still gets width 4096 (and a height beyond most devices' limit).
    expect(textureLayout(2 ** 26 + 4, "float32")).toMatchObject({ width: 4096, height: 4097 });
  });
});

import { isNncError } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint-file-browser.js";

// In a browser bundle "#checkpoint-file" is this module: saving or loading a path fails with
// nnc's errors instead of the bundle pulling in node:fs.
describe("checkpoint files in a browser", () => {
  it("refuse to save (NNC5004) and to load (NNC5003), naming the path", async () => {
    const saved = await saveCheckpoint("run/ckpt.safetensors").catch((e: unknown) => e);
    expect(isNncError(saved) && saved.code).toBe("NNC5004");
    expect(String(saved)).toContain("run/ckpt.safetensors");
    const loaded = await loadCheckpoint("run/ckpt.safetensors").catch((e: unknown) => e);
    expect(isNncError(loaded) && loaded.code).toBe("NNC5003");
  });
});

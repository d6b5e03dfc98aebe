import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

/**
 * The docs' tests drive headless Chromium (playwright-core) against the built site; they run
 * in Node, one file at a time, with room for SwiftShader's software WebGL.
 */
export default defineConfig({
  ...sharedTestConfig,
  test: {
    ...sharedTestConfig.test,
    include: ["test/**/*.test.ts", "scripts/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});

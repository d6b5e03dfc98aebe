import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../vitest.shared.js";

export default defineConfig({
  ...sharedTestConfig,
  test: {
    ...sharedTestConfig.test,
    include: ["**/*.test.ts"],
    exclude: ["**/node_modules/**", "third-party-backend/**"],
  },
});

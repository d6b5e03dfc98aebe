import type { ViteUserConfig } from "vitest/config";

/**
 * Test settings shared by every package: resolve workspace packages to their TypeScript
 * sources (the "source" export condition) so tests never run against a stale build.
 */
export const sharedTestConfig: ViteUserConfig = {
  resolve: { conditions: ["source", "module", "node", "import", "default"] },
  ssr: { resolve: { conditions: ["source", "module", "node", "import", "default"] } },
  test: { include: ["src/**/*.test.ts", "test/**/*.test.ts"], testTimeout: 30_000 },
};

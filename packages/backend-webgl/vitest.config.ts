import { playwright } from "@vitest/browser-playwright";
import { defineConfig } from "vitest/config";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../../chromium.shared.js";
import { sharedTestConfig } from "../../vitest.shared.js";

/**
 * WebGL needs a real browser: tests run in headless Debian Chromium with WebGL2 through
 * SwiftShader (no GPU here), driven by Playwright. `NNC_CHROMIUM` overrides the browser path.
 * Playwright launches every browser with a fresh temporary profile (it refuses
 * --user-data-dir), which is the clean profile we want.
 */
export default defineConfig({
  ...sharedTestConfig,
  test: {
    ...sharedTestConfig.test,
    testTimeout: 120_000,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({
        launchOptions: {
          executablePath: CHROMIUM_PATH,
          args: [...CHROMIUM_ARGS],
        },
      }),
      instances: [{ browser: "chromium" }],
    },
  },
});

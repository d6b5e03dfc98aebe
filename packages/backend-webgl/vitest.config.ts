import { playwright } from "@vitest/browser-playwright";
import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

/**
 * WebGL needs a real browser: tests run in headless Debian Chromium with WebGL2 through
 * SwiftShader (no GPU here), driven by Playwright. `NNC_CHROMIUM` overrides the browser path.
 * Playwright launches every browser with a fresh temporary profile (it refuses
 * --user-data-dir), which is the clean profile we want.
 */
const chromium = process.env.NNC_CHROMIUM ?? "/usr/bin/chromium";

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
          executablePath: chromium,
          args: [
            "--no-sandbox",
            "--use-angle=swiftshader",
            "--enable-unsafe-swiftshader",
            "--disable-background-networking",
            "--disable-quic",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
          ],
        },
      }),
      instances: [{ browser: "chromium" }],
    },
  },
});

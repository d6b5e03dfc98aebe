/**
 * How every headless Chromium of the repository is launched (the WebGL backend's browser tests,
 * `pnpm bench:browser`, the docs' browser tests): Debian's chromium, or `NNC_CHROMIUM`, with
 * software WebGL2 through SwiftShader (no GPU here) and no background traffic.
 */

/** The Chromium binary: `NNC_CHROMIUM`, else Debian's /usr/bin/chromium. */
export const CHROMIUM_PATH: string = process.env.NNC_CHROMIUM ?? "/usr/bin/chromium";

/** Launch flags: WebGL2 with float render targets through SwiftShader, nothing fetched. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--use-angle=swiftshader",
  "--enable-unsafe-swiftshader",
  "--disable-background-networking",
  "--disable-quic",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

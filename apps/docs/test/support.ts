/**
 * Serving the built site and driving headless Chromium for the docs' browser tests.
 * The site is the output of `vitepress build` (apps/docs/dist), served by node:http so the tests
 * see exactly what a static host would serve (clean URLs resolve to `<path>.html`).
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../../../chromium.shared.js";

/** The built site's directory. */
export const SITE_DIR = resolve(fileURLToPath(new URL("../dist", import.meta.url)));

/** Where tests save screenshots (gitignored; CI keeps it as an artifact). */
export const ARTIFACTS_DIR = resolve(fileURLToPath(new URL("../test-artifacts", import.meta.url)));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".bin": "application/octet-stream",
  ".txt": "text/plain; charset=utf-8",
};

/** A running static server for {@link SITE_DIR}. */
export interface SiteServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves the built site on a free local port. Fails if the site has not been built. */
export async function startSite(): Promise<SiteServer> {
  await stat(join(SITE_DIR, "index.html")).catch(() => {
    throw new Error(`the site is not built: run \`pnpm --filter @nnc/docs build\` (${SITE_DIR})`);
  });
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname);
    const file = await resolveFile(path);
    if (file === undefined) {
      response.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}`);
      return;
    }
    response.writeHead(200, {
      "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
    });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

/** The file a URL path names: itself, `<path>.html` (clean URLs) or `<path>/index.html`. */
async function resolveFile(path: string): Promise<string | undefined> {
  const base = normalize(join(SITE_DIR, path));
  if (!base.startsWith(SITE_DIR)) return undefined;
  for (const candidate of [base, `${base}.html`, join(base, "index.html")]) {
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isFile()) return candidate;
  }
  return undefined;
}

/**
 * Headless Debian Chromium with WebGL2 through SwiftShader (no GPU here). `NNC_CHROMIUM`
 * overrides the browser path. Playwright gives every launch a fresh temporary profile.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
}

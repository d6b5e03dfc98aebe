/**
 * Every page of the built site (dist/, from `pnpm build`; turbo builds it before this test)
 * in headless Chromium: it loads with HTTP 200, logs no console error and throws no page
 * error, and every same-origin link and image on it resolves to a file of the site, and a
 * link's `#anchor` to an element id of its target page. Links are checked against the files,
 * not by navigating to them, so each page is loaded once, in one reused browser tab.
 * The playground page is only loaded (its training run is test/playground.test.ts's job).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, normalize, relative, sep } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, SITE_DIR, type SiteServer, startSite } from "./support.js";

/** The site's pages as URL paths (clean URLs, as the site links them), from dist/**\/*.html. */
function sitePages(): string[] {
  if (!existsSync(SITE_DIR)) return [];
  return (readdirSync(SITE_DIR, { recursive: true }) as string[])
    .filter((file) => file.endsWith(".html"))
    .map((file) => {
      const path = `/${file.split(sep).join("/")}`;
      return path.endsWith("/index.html") ? path.slice(0, -"index.html".length) : path.slice(0, -5);
    })
    .sort();
}

const pages = sitePages();
let site: SiteServer;
let browser: Browser;
let tab: Page;
/** What the current page logged or threw. */
const errors: string[] = [];
/** Requests of the tab still in flight. */
let inflight = 0;

beforeAll(async () => {
  site = await startSite();
  browser = await launchBrowser();
  tab = await browser.newPage();
  tab.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  tab.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  tab.on("request", () => inflight++);
  tab.on("requestfinished", () => inflight--);
  tab.on("requestfailed", () => inflight--);
  // The console only says "404 (Not Found)"; name the resource.
  tab.on("response", (response) => {
    if (response.status() >= 400) errors.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  tab.on("requestfailed", (request) => {
    const reason = request.failure()?.errorText;
    // Leaving a page aborts the prefetches VitePress starts for the pages it links to.
    if (reason !== "net::ERR_ABORTED") errors.push(`request failed: ${request.url()} (${reason})`);
  });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe("the built site", () => {
  it("has the pages of every section", () => {
    // A site that failed to generate its references or lost a section must not pass quietly.
    for (const page of ["/", "/getting-started", "/guides/cli", "/reference/cli", "/api/"]) {
      expect(pages, `dist/ has no page ${page}`).toContain(page);
    }
    expect(pages.filter((page) => page.startsWith("/api/")).length).toBeGreaterThan(1);
  });

  it.for(pages)("%s loads without errors and its links resolve", async (path) => {
    errors.length = 0;
    const response = await tab.goto(`${site.url}${path}`, { waitUntil: "load" });
    expect(response?.status(), `HTTP status of ${path}`).toBe(200);
    // VitePress hydrates the pre-rendered page: hydration mismatches are logged as errors.
    await tab.waitForFunction(() => {
      const app = document.querySelector("#app") as { __vue_app__?: unknown } | null;
      return app?.__vue_app__ !== undefined;
    });
    // Then until the page has fetched what it loads lazily (async components, data).
    await networkQuiet();
    const targets = await tab.evaluate(() => [
      ...Array.from(document.querySelectorAll<HTMLAnchorElement>("a[href]"), (a) => a.href),
      ...Array.from(document.querySelectorAll<HTMLImageElement>("img[src]"), (img) => img.src),
    ]);
    const ids = new Set(
      await tab.evaluate(() => Array.from(document.querySelectorAll("[id]"), (e) => e.id)),
    );
    const broken: string[] = [];
    for (const target of new Set(targets)) {
      const url = new URL(target);
      if (url.origin !== site.url) continue;
      const problem = await checkLink(url, url.pathname === path ? ids : undefined);
      if (problem) broken.push(`${url.pathname}${url.hash}: ${problem}`);
    }
    expect({ errors, broken }, `problems on ${path}`).toEqual({ errors: [], broken: [] });
  });
});

/**
 * Resolves once no request has been in flight for {@link QUIET_MS}: Playwright's "networkidle"
 * waits 500 ms per page, which doubled this test's time for nothing.
 */
async function networkQuiet(): Promise<void> {
  const deadline = Date.now() + 30_000;
  let quietSince = Date.now();
  while (Date.now() - quietSince < QUIET_MS && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 20));
    if (inflight > 0) quietSince = Date.now();
  }
}

const QUIET_MS = 150;

/** The file a URL path names, as a static host serves it (see support.ts). */
function resolveFile(pathname: string): string | undefined {
  const base = normalize(join(SITE_DIR, decodeURIComponent(pathname)));
  if (relative(SITE_DIR, base).startsWith("..")) return undefined;
  for (const candidate of [base, `${base}.html`, join(base, "index.html")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const idsByFile = new Map<string, Promise<Set<string>>>();

/** The element ids of a built page, read from its pre-rendered HTML. */
function idsOf(file: string): Promise<Set<string>> {
  let ids = idsByFile.get(file);
  if (!ids) {
    ids = readFile(file, "utf8").then(
      (html) => new Set([...html.matchAll(/\sid="([^"]*)"/g)].map((m) => decodeEntities(m[1]!))),
    );
    idsByFile.set(file, ids);
  }
  return ids;
}

/** What is wrong with a same-origin link, or undefined. `liveIds`: the current page's ids. */
async function checkLink(url: URL, liveIds: Set<string> | undefined): Promise<string | undefined> {
  const file = resolveFile(url.pathname);
  if (file === undefined) return "no such page or file";
  const anchor = decodeURIComponent(url.hash.slice(1));
  if (anchor === "" || !file.endsWith(".html")) return undefined;
  const ids = liveIds ?? (await idsOf(file));
  return ids.has(anchor) ? undefined : `no element with id "${anchor}"`;
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|quot|#39|lt|gt);/g, (_, name: string) =>
    name === "amp" ? "&" : name === "quot" ? '"' : name === "#39" ? "'" : name === "lt" ? "<" : ">",
  );
}

/**
 * One headless Chromium for the whole run (SwiftShader's WebGL2), and a fresh browser context
 * and page per cell, so no two libraries share a JS heap, a GL context or a GPU process cache
 * entry tied to a page.
 */
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../../../chromium.shared.js";
import type { BrowserLibraryId } from "../libraries/library.js";
import type { TimingPlan } from "../measure.js";
import type { WorkloadId } from "../workloads.js";
import type { GlEnvironment, PreparedCell, TimedCell } from "./protocol.js";

/**
 * A page that does not answer a call (the check runs, or the timing) within this time is closed
 * and its cell recorded as failed; jax-js's slowest cells take several minutes.
 */
const CELL_TIMEOUT_MS = 20 * 60_000;

/** The browser of one run. */
export class BrowserSession {
  private constructor(
    readonly browser: Browser,
    readonly url: string,
  ) {}

  /** Launches Chromium (NNC_CHROMIUM, else Debian's /usr/bin/chromium) for the page at `url`. */
  static async launch(url: string): Promise<BrowserSession> {
    const executablePath = CHROMIUM_PATH;
    const browser = await chromium.launch({
      executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS],
    });
    return new BrowserSession(browser, url);
  }

  /** The browser's version, e.g. "150.0.7871.100". */
  version(): string {
    return this.browser.version();
  }

  /** What WebGL2 reports in a fresh page (undefined without WebGL2). */
  async environment(): Promise<GlEnvironment | undefined> {
    const cell = await this.openCell();
    try {
      return await cell.call<GlEnvironment | undefined>("globalThis.nncBench.environment()");
    } finally {
      await cell.close();
    }
  }

  /** A fresh context and page with the bench page loaded. */
  async openCell(): Promise<CellPage> {
    const context = await this.browser.newContext();
    const page = await context.newPage();
    const cell = new CellPage(context, page);
    await page.goto(this.url);
    await page.waitForFunction("typeof globalThis.nncBench === 'object'", undefined, {
      timeout: 60_000,
    });
    return cell;
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

/** One cell's page: prepare (check runs), then time, then close. */
export class CellPage {
  readonly #errors: string[] = [];

  constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on("pageerror", (error) => this.#errors.push(error.message.split("\n")[0] ?? ""));
  }

  prepare(library: BrowserLibraryId, workload: WorkloadId): Promise<PreparedCell> {
    return this.call(
      `globalThis.nncBench.prepare(${JSON.stringify(library)}, ${JSON.stringify(workload)})`,
    );
  }

  time(plan: TimingPlan): Promise<TimedCell> {
    return this.call(`globalThis.nncBench.time(${JSON.stringify(plan)})`);
  }

  /**
   * Evaluates an expression in the page (a string, not a function: the page must not depend on
   * how tsx compiled this file). A page that crashes, throws or hangs becomes an Error naming why.
   */
  async call<T>(expression: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no answer after ${CELL_TIMEOUT_MS / 60_000} minutes`));
        void this.close();
      }, CELL_TIMEOUT_MS);
    });
    try {
      return (await Promise.race([this.page.evaluate(expression), timeout])) as T;
    } catch (error) {
      const message = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
      const pageError = this.#errors.at(-1);
      throw new Error(pageError ? `${message} (page error: ${pageError})` : message);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
  }
}

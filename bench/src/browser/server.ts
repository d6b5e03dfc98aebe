/** Serves the bundled page on 127.0.0.1 (a random free port) for the browser of one run. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { PageBundle } from "./bundle.js";

const INDEX = `<!doctype html>
<html><head><meta charset="utf-8"><title>nnc bench</title></head>
<body><script type="module" src="/page.js"></script></body></html>`;

/** A running server and the page's URL. */
export interface PageServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts serving `bundle` (index.html loads page.js, which sets `globalThis.nncBench`). */
export async function servePage(bundle: PageBundle): Promise<PageServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const body = path === "/" ? INDEX : bundle.files.get(path);
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      "content-type": path === "/" ? "text/html; charset=utf-8" : "text/javascript",
      "cache-control": "no-store",
    });
    response.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

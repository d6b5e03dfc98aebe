/**
 * Node-only helpers of the Node harness: installed package versions (read from disk) and the
 * lazy loader of the Node adapters. The browser page has its own loader (browser/page.ts).
 */
import { readFileSync } from "node:fs";
import type { Library, NodeLibraryId } from "./library.js";

/** The installed version of a dependency of bench/ (from its package.json). */
export function packageVersion(name: string): string {
  const url = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}

/** Loads one library adapter (adapters are loaded lazily, so a child process only loads its own). */
export async function loadLibrary(id: NodeLibraryId): Promise<Library> {
  switch (id) {
    case "nnc-cpu":
      return (await import("./nnc.js")).nncCpu();
    case "tfjs-cpu":
      return (await import("./tfjs.js")).tfjs("cpu");
    case "tfjs-wasm":
      return (await import("./tfjs.js")).tfjs("wasm");
    case "jax-js-wasm":
      return (await import("./jax.js")).jax("wasm");
    case "ort-wasm":
      return (await import("./ort.js")).ortWasm();
  }
}

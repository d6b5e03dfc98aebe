/**
 * nnc with its WebGL2 backend (`@nnc/backend-webgl`), for the browser harness. Kept apart from
 * nnc.ts so the Node harness never loads the WebGL backend.
 */
import { webgl } from "@nnc/backend-webgl";
import type { Library } from "./library.js";
import { nncLibrary } from "./nnc.js";

/** nnc with the WebGL backend (one GL context per compiled workload, made at instantiate). */
export function nncWebgl(): Library {
  return nncLibrary("nnc-webgl", () => webgl());
}

/**
 * What the playground exposes on `window.__nncPlayground` for its browser test (and for readers
 * poking at it in the devtools console): a plain-data snapshot of its state, read straight from
 * the page instead of scraped from rendered text, and a way to simulate losing the GPU.
 */
import type { ModelKind } from "./models.js";

/** One epoch as the snapshot reports it. */
export interface EpochSnapshot {
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy?: number;
  readonly valLoss?: number;
  readonly valAccuracy?: number;
  readonly seconds: number;
}

/** The playground's state at one moment. */
export interface PlaygroundSnapshot {
  /** loading → compiling → ready ⇄ training (→ stopping) → ready; error on any failure. */
  readonly status: "loading" | "compiling" | "ready" | "training" | "stopping" | "error";
  readonly backend: "webgl" | "cpu" | undefined;
  /** The model of the compiled session (undefined while compiling). */
  readonly model: ModelKind | undefined;
  readonly backendDetail: string;
  /** Training digits in the bundled subset (0 until loaded). */
  readonly trainCount: number;
  readonly testCount: number;
  /** Every training step's loss, in order. */
  readonly stepLosses: readonly number[];
  readonly epochs: readonly EpochSnapshot[];
  /** The prediction for the current drawing, if any. */
  readonly prediction: { readonly digit: number; readonly probabilities: readonly number[] } | null;
  /** The status line shown to the reader. */
  readonly statusText: string;
  /** The error shown to the reader, if any. */
  readonly error: string | null;
}

/** The object on `window.__nncPlayground`. */
export interface PlaygroundHook {
  snapshot(): PlaygroundSnapshot;
  /**
   * Loses the WebGL context through WEBGL_lose_context, as a GPU reset would; false when the
   * backend is not WebGL or the extension is missing.
   */
  loseWebglContext(): boolean;
}

/** The window property holding the hook. */
export const HOOK_NAME = "__nncPlayground";

/** Installs the hook; returns a function removing it (when the page unmounts). */
export function installHook(hook: PlaygroundHook): () => void {
  const target = globalThis as unknown as Record<string, PlaygroundHook | undefined>;
  target[HOOK_NAME] = hook;
  return () => {
    if (target[HOOK_NAME] === hook) delete target[HOOK_NAME];
  };
}

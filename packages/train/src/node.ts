/**
 * The Node-only part of @nnc/train (`@nnc/train/node`): checkpoint files. The main entry stays
 * free of `node:` imports so it bundles for browsers; `Trainer.save`/`load` load this lazily.
 */
export { loadCheckpoint, saveCheckpoint } from "./checkpoint-file.js";

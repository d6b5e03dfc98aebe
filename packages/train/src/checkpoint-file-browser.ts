/**
 * What the checkpoint-file module is under the "browser" condition (package.json "imports"
 * `#checkpoint-file`): the same two functions, failing with nnc's error for an unwritable or
 * unreadable checkpoint, because browsers have no file system to hold `path`.
 */
import { NncError } from "@nnc/core";

const NO_FILES =
  "checkpoint files need a file system (Node); in a browser keep trainer.checkpoint() in memory, or encodeCheckpoint() it and store the bytes yourself";

/** Fails: there are no checkpoint files in a browser. */
export function saveCheckpoint(path: string): Promise<void> {
  return Promise.reject(new NncError("NNC5004", `cannot save "${path}": ${NO_FILES}`));
}

/** Fails: there are no checkpoint files in a browser. */
export function loadCheckpoint(path: string): Promise<never> {
  return Promise.reject(new NncError("NNC5003", `cannot load "${path}": ${NO_FILES}`));
}

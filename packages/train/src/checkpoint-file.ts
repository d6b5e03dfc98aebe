import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { NncError } from "@nnc/core";
import writeFileAtomic from "write-file-atomic";
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from "./checkpoint.js";

/**
 * Writes a checkpoint to `path` atomically, creating the parent directory if needed: the bytes
 * go to a temporary file in the same directory, are fsynced, then renamed over `path`, so a
 * crash at any moment leaves either the previous checkpoint or the new one, never a mix.
 */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  // Encode first: a state that cannot be serialised must not touch the disk.
  const bytes = encodeCheckpoint(checkpoint);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new NncError(
      "NNC5004",
      `cannot write the checkpoint at ${path} (${code ?? (error as Error).message}); the previous checkpoint, if any, is unchanged`,
    );
  }
}

/**
 * Reads the checkpoint at `path`. Throws NNC5003 when there is none or it is not a valid nnc
 * checkpoint, NNC5001 when the file is not valid safetensors; messages name the path.
 */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new NncError("NNC5003", `no checkpoint at ${path}`);
    throw new NncError(
      "NNC5003",
      `cannot read the checkpoint at ${path} (${code ?? (error as Error).message})`,
    );
  }
  return decodeCheckpoint(bytes, path);
}

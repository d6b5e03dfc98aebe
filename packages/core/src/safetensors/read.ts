import { NncError } from "../errors.js";
import { SAFETENSORS_READER_SOURCE } from "./reader-source.js";
import type { SafetensorsFile } from "./types.js";

type SourceReader = (bytes: Uint8Array) => SafetensorsFile;

let sourceReader: SourceReader | undefined;

/**
 * Parses a safetensors file, validating it: header length within the file, a JSON object
 * header, known dtypes, shapes that match their byte ranges, and ranges that tile the data
 * exactly. Throws NNC5001 naming the first problem. Runs {@link SAFETENSORS_READER_SOURCE}, the
 * reader every standalone `model.js` emitted by the CLI embeds.
 */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  // Evaluated on first use only, so importing @nnc/core never needs `new Function`.
  sourceReader ??= new Function(
    `${SAFETENSORS_READER_SOURCE}\nreturn readSafetensors;`,
  )() as SourceReader;
  try {
    return sourceReader(bytes);
  } catch (error) {
    throw new NncError("NNC5001", (error as Error).message);
  }
}

export { readSafetensors } from "./read.js";
export { SAFETENSORS_READER_SOURCE } from "./reader-source.js";
export type { SafetensorsDType, SafetensorsFile, SafetensorsTensor } from "./types.js";
export { writeSafetensors } from "./write.js";

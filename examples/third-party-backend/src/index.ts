/**
 * nnc-backend-float64: an nnc backend plugin that runs programs in float64 arithmetic, written
 * as a third-party package against `@nnc/core`'s public plugin API only.
 */
export { BACKEND_NAME, float64, loadProgram } from "./float64.js";
export {
  type LoadedProgram,
  PROGRAM_FORMAT,
  PROGRAM_FORMAT_VERSION,
  type ProgramJson,
  programToSource,
  sourceToProgram,
} from "./program-json.js";

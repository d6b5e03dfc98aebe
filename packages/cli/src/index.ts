/**
 * @nnc/cli: the `nnc` command (`nnc compile model.ts`), also callable in-process.
 */
export { type Command, type CompileCommand, parseCommand, USAGE } from "./args.js";
export { CliError } from "./cli-error.js";
export { codeFrame } from "./code-frame.js";
export { type LoadModelOptions, loadModel } from "./load-model.js";
export { type CliIo, cliVersion, runCli } from "./main.js";

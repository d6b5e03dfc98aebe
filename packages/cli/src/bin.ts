#!/usr/bin/env node
/** The `nnc` executable: runs the CLI on the process arguments and exits with its code. */
import { runCli } from "./main.js";

// Stack traces and NncError locations from the bundled model point at the model's own file.
process.setSourceMapsEnabled(true);
process.exitCode = await runCli(process.argv.slice(2));

/**
 * An error the CLI reports without a stack trace: `usage` errors (bad flags, missing
 * arguments) exit with 2, `user` errors (a missing file, a model that throws, a default export
 * of the wrong kind) with 1.
 */
export class CliError extends Error {
  override readonly name = "CliError";
  readonly kind: "usage" | "user";

  constructor(kind: "usage" | "user", message: string) {
    super(message);
    this.kind = kind;
  }

  /** The process exit code for this error. */
  get exitCode(): number {
    return this.kind === "usage" ? 2 : 1;
  }
}

import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { cpu } from "@nnc/backend-cpu";
import type { Backend } from "@nnc/core";
import { CliError } from "./cli-error.js";

// Short names for the backends nnc publishes itself.
const ALIASES: Readonly<Record<string, string>> = { webgl: "@nnc/backend-webgl" };

/**
 * The backend plugin named on the command line: `cpu`, `webgl`, or the npm package name of a
 * third-party backend, resolved from the current directory first, then from the CLI's own
 * dependencies. The package's default export must be a backend factory (called with no
 * arguments) or a backend object; without one, the export named after the package's
 * `backend-<name>` suffix is used (`webgl` from `@nnc/backend-webgl`, `float64` from
 * `nnc-backend-float64`).
 */
export async function loadBackend(name: string): Promise<Backend> {
  return (await resolveBackend(name)).backend;
}

/** A loaded backend plugin and where it came from. */
export interface ResolvedBackend {
  readonly backend: Backend;
  /** The package it was imported from (null for the built-in cpu backend). */
  readonly specifier: string | null;
  /** The export that held it (null: the default export). */
  readonly exportName: string | null;
}

/** Like {@link loadBackend}, also saying which package and export the backend came from. */
export async function resolveBackend(name: string): Promise<ResolvedBackend> {
  if (name === "cpu") return { backend: cpu(), specifier: null, exportName: null };
  const specifier = ALIASES[name] ?? name;
  const module = await importPackage(specifier, name);
  const short = /backend-([\w-]+)$/
    .exec(specifier)?.[1]
    ?.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
  const exportName = module.default !== undefined ? null : (short ?? null);
  const candidate = exportName === null ? module.default : module[exportName];
  const backend = typeof candidate === "function" ? await candidate() : candidate;
  if (!isBackend(backend)) {
    throw new CliError(
      "user",
      `--backend ${name}: ${specifier} does not export a backend: its default export (or the export named after its "backend-<name>" suffix) must be a backend factory like cpu, or a backend object with name, apiVersion, supports, emit and instantiate`,
    );
  }
  return { backend, specifier, exportName };
}

async function importPackage(specifier: string, name: string): Promise<Record<string, unknown>> {
  let url: string | undefined;
  try {
    url = pathToFileURL(createRequire(join(process.cwd(), "noop.js")).resolve(specifier)).href;
  } catch {
    try {
      url = import.meta.resolve(specifier);
    } catch {
      url = undefined;
    }
  }
  if (url === undefined) {
    throw new CliError(
      "user",
      `--backend ${name}: cannot find the package ${JSON.stringify(specifier)} (install it next to your model, or use --backend cpu)`,
    );
  }
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(
      "user",
      `--backend ${name}: loading ${specifier} failed: ${(error as Error).message ?? String(error)}`,
    );
  }
}

function isBackend(value: unknown): value is Backend {
  const b = value as Partial<Backend> | undefined;
  return (
    !!b &&
    typeof b === "object" &&
    typeof b.name === "string" &&
    typeof b.supports === "function" &&
    typeof b.emit === "function" &&
    typeof b.instantiate === "function"
  );
}

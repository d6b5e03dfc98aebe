/**
 * Writes the API reference (src/api/, gitignored) from the packages' JSDoc with TypeDoc,
 * typedoc-plugin-markdown and typedoc-vitepress-theme: one page per public entry point (the
 * `"source"` entries of each package's `exports`), plus `typedoc-sidebar.json`, which
 * .vitepress/config.ts turns into the API sidebar. Generated at build time, so it cannot drift
 * from the code.
 *
 * Warnings fail the build like errors: they are about the packages' public surface (a type a
 * public signature uses but the index does not export, a `{@link}` TypeDoc cannot resolve),
 * which would otherwise drift unnoticed. So does a missing or unexpected entry point. VitePress then fails the build on any dead link in
 * the generated pages (`ignoreDeadLinks: false`).
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Application,
  type DeclarationReflection,
  type ProjectReflection,
  ReflectionKind,
  type TypeDocOptions,
} from "typedoc";
import type { PluginOptions } from "typedoc-plugin-markdown";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../../..");
const srcDir = resolve(here, "../src");

/** Where the pages go; its URL is /api/. */
export const API_DIR = join(srcDir, "api");

/** The documented packages, by directory under packages/. */
export const API_PACKAGES = [
  "core",
  "compiler",
  "train",
  "backend-cpu",
  "backend-webgl",
  "testkit",
] as const;

/** typedoc-vitepress-theme's options (the package does not export their type). */
interface VitepressThemeOptions {
  /** The VitePress source directory, which the sidebar's links are relative to. */
  readonly docsRoot: string;
  readonly sidebar: { readonly pretty?: boolean; readonly collapsed?: boolean };
}

/** Generates the API reference into {@link API_DIR}. */
export default async function generateApi(): Promise<void> {
  await rm(API_DIR, { recursive: true, force: true });
  const options: Partial<TypeDocOptions & PluginOptions> & VitepressThemeOptions = {
    // "packages": each package is converted with its own tsconfig.json (which resolves the
    // workspace packages to their sources) and its entry points come from its `exports`.
    entryPointStrategy: "packages",
    entryPoints: API_PACKAGES.map((name) => join(repo, "packages", name)),
    // No git remote to link sources to; the git lookup would only warn.
    // Type errors are the packages' typecheck's business; here they would only cost time.
    packageOptions: { disableSources: true, skipErrorChecking: true },
    skipErrorChecking: true,
    disableSources: true,
    readme: "none",
    plugin: ["typedoc-plugin-markdown", "typedoc-vitepress-theme"],
    out: API_DIR,
    docsRoot: srcDir,
    // One page per entry point keeps the reference (and the site's page count) small; the
    // page outline lists the members.
    outputFileStrategy: "modules",
    excludeScopesInPaths: true,
    hideBreadcrumbs: true,
    // TypeDoc numbers anchors of same-named members itself (`#shape-5`), and not always as
    // VitePress numbers its heading ids: explicit anchors make every link land.
    useHTMLAnchors: true,
    // Tables keep pages with many interfaces (core's option types) readable.
    parametersFormat: "table",
    interfacePropertiesFormat: "table",
    classPropertiesFormat: "table",
    typeDeclarationFormat: "table",
    sidebar: { pretty: true, collapsed: false },
    logLevel: "Warn",
  };
  const app = await Application.bootstrapWithPlugins(options);

  const project = await app.convert();
  if (!project || app.logger.hasErrors()) {
    throw new Error("generate-api: TypeDoc could not convert the packages (errors above)");
  }
  const manifests = await readManifests();
  const modules = flattenEntryPoints(project);
  checkEntryPoints(modules, manifests);
  await app.generateOutputs(project);
  if (app.logger.hasErrors()) throw new Error("generate-api: TypeDoc failed to render (above)");
  if (app.logger.hasWarnings()) {
    throw new Error(
      `generate-api: ${app.logger.warningCount} TypeDoc warnings (above): export the types public signatures use, and link only to exported names`,
    );
  }
  await writeIndex(manifests);
  console.log(`generate-api: ${modules.length} entry points, no TypeDoc warnings`);
}

/**
 * A package with several entry points (@nnc/train and @nnc/train/node) converts to a module
 * holding one module per entry, the main one unnamed. Lift those to the top level, named by
 * their import specifier, so every entry point gets a page of its own under a plain name.
 */
function flattenEntryPoints(project: ProjectReflection): DeclarationReflection[] {
  const flat: DeclarationReflection[] = [];
  for (const pkg of project.children ?? []) {
    const entries = (pkg.children ?? []).filter((child) => child.kind === ReflectionKind.Module);
    if (entries.length === 0) {
      flat.push(pkg);
      continue;
    }
    for (const entry of entries) {
      const main = entry.name === "" || entry.name === "index";
      entry.name = main ? pkg.name : `${pkg.name}/${entry.name}`;
      entry.parent = project;
      if (main && pkg.readme) entry.readme = pkg.readme;
      flat.push(entry);
    }
    // Not project.removeReflection(pkg): that would also unregister the entries it held.
    delete project.reflections[pkg.id];
  }
  flat.sort((a, b) => a.name.localeCompare(b.name));
  project.children = flat;
  project.childrenIncludingDocuments = [...flat];
  for (const group of project.groups ?? []) group.children = [...flat];
  return flat;
}

/** A documented package: its name, its description and its entry points' specifiers. */
interface Manifest {
  readonly name: string;
  readonly description: string;
  readonly entryPoints: readonly string[];
}

/** Reads the packages' package.json: entry points are the `exports` with a `"source"` file. */
async function readManifests(): Promise<Manifest[]> {
  return Promise.all(
    API_PACKAGES.map(async (dir) => {
      const manifest = JSON.parse(
        await readFile(join(repo, "packages", dir, "package.json"), "utf8"),
      ) as { name: string; description?: string; exports: Record<string, { source?: string }> };
      const entryPoints = Object.entries(manifest.exports)
        .filter(([, conditions]) => conditions.source !== undefined)
        .map(([subpath]) =>
          subpath === "." ? manifest.name : `${manifest.name}/${subpath.slice(2)}`,
        );
      return { name: manifest.name, description: manifest.description ?? "", entryPoints };
    }),
  );
}

/** Fails when TypeDoc's entry points differ from the packages' `"source"` exports. */
function checkEntryPoints(
  modules: readonly DeclarationReflection[],
  manifests: readonly Manifest[],
): void {
  const expected = manifests.flatMap((manifest) => manifest.entryPoints);
  const found = modules.map((module) => module.name);
  const missing = expected.filter((name) => !found.includes(name));
  const extra = found.filter((name) => !expected.includes(name));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `generate-api: entry points differ from the packages' exports: missing [${missing.join(", ")}], unexpected [${extra.join(", ")}]`,
    );
  }
}

/** Replaces TypeDoc's bare package list with the reference's landing page. */
async function writeIndex(manifests: readonly Manifest[]): Promise<void> {
  const sidebar = JSON.parse(
    await readFile(join(API_DIR, "typedoc-sidebar.json"), "utf8"),
  ) as readonly { text: string; link: string }[];
  const links = new Map(sidebar.map((item) => [item.text, item.link.replace(/\.md$/, "")]));
  const rows = manifests.flatMap((manifest) =>
    manifest.entryPoints.map((entry) => {
      const link = links.get(entry);
      if (link === undefined) throw new Error(`generate-api: no page for ${entry}`);
      const what =
        entry === manifest.name ? manifest.description : `entry point of ${manifest.name}`;
      return `| [\`${entry}\`](${link}) | ${what} |`;
    }),
  );
  await writeFile(
    join(API_DIR, "index.md"),
    [
      "---",
      "title: API reference",
      "---",
      "",
      "# API reference",
      "",
      "Generated by TypeDoc from the JSDoc of each package's public entry points when the site",
      "is built, so it always matches the code. Every export is listed on its entry point's page.",
      "",
      "| entry point | what |",
      "| --- | --- |",
      ...rows,
      "",
    ].join("\n"),
  );
}

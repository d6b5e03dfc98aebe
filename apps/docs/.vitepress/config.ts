/**
 * The VitePress config of the nnc site. Pages live in src/; the built site goes to
 * apps/docs/dist (VitePress resolves `srcDir` and `outDir` against apps/docs, the project
 * root). The sidebar and the nav's section links are read from the file tree (see sidebar.ts).
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitepress";
import { markdownChecks } from "./markdown-checks.js";
import { buildSidebar, pageLink, readSection, sectionLink, sectionNavItems } from "./sidebar.js";

const srcDir = fileURLToPath(new URL("../src", import.meta.url));
const root = readSection(srcDir);

/**
 * Vite resolves the workspace packages (@nnc/*) to their TypeScript sources, as the tests do
 * (Vite 5 adds these to its default conditions). They are linked packages, so the SSR build
 * bundles them instead of leaving them to Node, which could not load the sources.
 */
const conditions = ["source"];

/** A nav entry, or nothing when its page does not exist (yet). */
function navLink(text: string, link: string | undefined): { text: string; link: string }[] {
  return link === undefined ? [] : [{ text, link }];
}

const guides = sectionNavItems(root, "guides");
const reference = [
  ...navLink("CLI", pageLink(root, "/reference/cli") ?? sectionLink(root, "reference")),
  { text: "API", link: "/api/" },
];

export default defineConfig({
  title: "nnc",
  description:
    "A neural-network compiler in TypeScript: static graphs, autodiff by linearize + transpose, memory planning, CPU and WebGL backends.",
  head: [["link", { rel: "icon", type: "image/svg+xml", href: "/favicon.svg" }]],
  srcDir: "src",
  outDir: "dist",
  cleanUrls: true,
  // A link to a page that does not exist fails the build.
  ignoreDeadLinks: false,
  lastUpdated: false,
  markdown: {
    config: (md) => md.use(markdownChecks),
  },
  vite: {
    resolve: { conditions },
    ssr: { resolve: { conditions } },
  },
  themeConfig: {
    nav: [
      ...navLink("Getting started", pageLink(root, "/getting-started")),
      ...navLink("Concepts", sectionLink(root, "concepts")),
      ...(guides.length > 0 ? [{ text: "Guides", items: guides }] : []),
      ...navLink("Seeds", sectionLink(root, "seeds")),
      ...navLink("Playground", pageLink(root, "/playground")),
      { text: "Reference", items: reference },
    ],
    sidebar: buildSidebar(root, `${srcDir}/api/typedoc-sidebar.json`),
    outline: { level: [2, 3] },
    search: { provider: "local" },
  },
});

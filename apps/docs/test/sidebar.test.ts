/** The sidebar read from the file tree (.vitepress/sidebar.ts), on a scratch tree of pages. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildSidebar,
  pageLink,
  readFrontmatter,
  readSection,
  sectionLink,
  sectionNavItems,
} from "../.vitepress/sidebar.js";

let root: string;

async function page(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "nnc-sidebar-"));
  await page("index.md", "---\nlayout: home\n---\n");
  await page("getting-started.md", "---\ntitle: Getting started\norder: 10\n---\n# Ignored\n");
  await page("playground.md", "# Playground\n");
  await page("guides/b.md", '---\ntitle: "B: second"\norder: 2\n---\n');
  await page("guides/a.md", "---\ntitle: 'A: it''s first'\norder: 1 # comment\n---\n");
  await page("guides/untitled.md", "No heading, no frontmatter.\n");
  await page("seeds/index.md", "---\ntitle: Worked examples\n---\n");
  await page("seeds/s1.md", "---\ntitle: S1\norder: 1\n---\n");
  await page("seeds/deeper/x.md", "# X from its heading\n");
  await page("seeds/components/Table.vue", "<template />\n");
  await mkdir(join(root, "concepts"), { recursive: true }); // empty: no section
  await page("api/core.md", "# not a section\n");
  await page(
    "api/typedoc-sidebar.json",
    JSON.stringify([{ text: "@nnc/core", link: "/api/core.md" }]),
  );
  await page("reference/cli.md", "---\ntitle: CLI reference\n---\n");
  await page("reference/index.md", "Untitled index: the section keeps its name.\n");
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("the sidebar", () => {
  it("lists pages by frontmatter order and title, sections by their index or a default", () => {
    const sidebar = buildSidebar(readSection(root), join(root, "api", "typedoc-sidebar.json"));
    expect(sidebar).toEqual([
      { text: "Getting started", link: "/getting-started" },
      {
        text: "Guides",
        collapsed: false,
        items: [
          { text: "A: it's first", link: "/guides/a" },
          { text: "B: second", link: "/guides/b" },
          { text: "untitled", link: "/guides/untitled" },
        ],
      },
      {
        text: "Worked examples",
        link: "/seeds/",
        collapsed: false,
        items: [
          { text: "S1", link: "/seeds/s1" },
          {
            text: "Deeper",
            collapsed: false,
            items: [{ text: "X from its heading", link: "/seeds/deeper/x" }],
          },
        ],
      },
      { text: "Playground", link: "/playground" },
      {
        text: "Reference",
        link: "/reference/",
        collapsed: false,
        items: [
          { text: "CLI reference", link: "/reference/cli" },
          {
            text: "API",
            link: "/api/",
            collapsed: true,
            items: [{ text: "@nnc/core", link: "/api/core" }],
          },
        ],
      },
    ]);
  });

  it("gives the nav links only to pages that exist", () => {
    const section = readSection(root);
    expect(sectionLink(section, "seeds")).toBe("/seeds/");
    expect(sectionLink(section, "guides")).toBe("/guides/a");
    expect(sectionLink(section, "concepts")).toBeUndefined();
    expect(pageLink(section, "/playground")).toBe("/playground");
    expect(pageLink(section, "/nowhere")).toBeUndefined();
    expect(sectionNavItems(section, "guides").map((item) => item.link)).toEqual([
      "/guides/a",
      "/guides/b",
      "/guides/untitled",
    ]);
  });

  it("copes with a missing source directory and a missing API sidebar", () => {
    const missing = join(root, "no-such-dir");
    expect(buildSidebar(readSection(missing), join(missing, "sidebar.json"))).toEqual([]);
  });
});

describe("readFrontmatter", () => {
  it("reads plain, quoted and commented scalars and skips block values", () => {
    const text = [
      "---",
      'title: "S1 · Convolution: \\"backprop\\""',
      "order: 3 # third",
      "description: >",
      "  folded text",
      "layout: page",
      "---",
      "# Heading",
    ].join("\n");
    expect(readFrontmatter(text)).toEqual({
      title: 'S1 · Convolution: "backprop"',
      order: "3",
      layout: "page",
    });
    expect(readFrontmatter("# no frontmatter\n---\ntitle: no\n---\n")).toEqual({});
  });
});

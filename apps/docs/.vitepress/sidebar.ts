/**
 * The site's sidebar and nav, read from the file tree of src/ when VitePress loads its config:
 * every markdown page appears under its directory's section, titled and ordered by its
 * frontmatter (`title`, numeric `order`), so a new page needs no config edit. The API section
 * comes from the sidebar TypeDoc writes (src/api/typedoc-sidebar.json).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { DefaultTheme } from "vitepress";

/** What the sidebar knows of a page. */
export interface PageInfo {
  /** Site path without extension: `/guides/cli`, `/seeds/` for seeds/index.md. */
  readonly link: string;
  readonly title: string;
  readonly order: number;
}

/** A directory of pages: its own index page (if any), its pages and subdirectories. */
export interface Section {
  readonly name: string;
  readonly index: PageInfo | undefined;
  readonly pages: readonly PageInfo[];
  readonly sections: readonly Section[];
}

/** Directories of src/ that are not sections of pages. */
const NOT_SECTIONS = new Set(["api", "public"]);

/** Reads the pages of `dir` (site path `base`) and its subdirectories. */
export function readSection(dir: string, base = "/", name = ""): Section {
  const entries = existsSync(dir) ? readdirSync(dir).sort() : [];
  const pages: PageInfo[] = [];
  const sections: Section[] = [];
  let index: PageInfo | undefined;
  for (const entry of entries) {
    if (entry.startsWith(".") || entry.startsWith("_")) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (base === "/" && NOT_SECTIONS.has(entry)) continue;
      const section = readSection(path, `${base}${entry}/`, entry);
      if (section.index || section.pages.length > 0 || section.sections.length > 0) {
        sections.push(section);
      }
    } else if (entry.endsWith(".md")) {
      const stem = entry.slice(0, -3);
      // An index page without a title names its section after the directory.
      const page =
        stem === "index"
          ? readPage(path, base, capitalise(name))
          : readPage(path, `${base}${stem}`, stem);
      if (stem === "index") index = page;
      else pages.push(page);
    }
  }
  pages.sort(byOrder);
  sections.sort((a, b) => byOrder(sectionInfo(a), sectionInfo(b)));
  return { name, index, pages, sections };
}

/** The sidebar: top-level pages and one group per section, then the API reference. */
export function buildSidebar(root: Section, apiSidebarFile: string): DefaultTheme.SidebarItem[] {
  const api = readApiSidebar(apiSidebarFile);
  const apiItem = api && { text: "API", link: "/api/", collapsed: true, items: api };
  const items = [
    ...root.pages.map((page) => ({
      order: page.order,
      item: { text: page.title, link: page.link },
    })),
    ...root.sections.map((section) => {
      const item = sectionItem(section);
      // The API reference is generated elsewhere (src/api/) but belongs with the references.
      if (section.name === REFERENCE && apiItem) item.items = [...(item.items ?? []), apiItem];
      return { order: sectionInfo(section).order, item };
    }),
  ];
  items.sort((a, b) => a.order - b.order);
  const sidebar = items.map(({ item }) => item);
  if (apiItem && !root.sections.some((section) => section.name === REFERENCE)) {
    sidebar.push({ ...apiItem, text: "API reference" });
  }
  return sidebar;
}

/** The section the API reference is listed in. */
const REFERENCE = "reference";

/** The nav bar's link to a section: its index page, else its first page. */
export function sectionLink(root: Section, name: string): string | undefined {
  const section = root.sections.find((s) => s.name === name);
  return section && (section.index?.link ?? section.pages[0]?.link);
}

/** The pages of a section as nav items (for a dropdown). */
export function sectionNavItems(root: Section, name: string): DefaultTheme.NavItemWithLink[] {
  const section = root.sections.find((s) => s.name === name);
  return (section?.pages ?? []).map((page) => ({ text: page.title, link: page.link }));
}

/** A top-level page's link, if the page exists. */
export function pageLink(root: Section, link: string): string | undefined {
  return root.pages.some((page) => page.link === link) ? link : undefined;
}

function sectionItem(section: Section): DefaultTheme.SidebarItem {
  return {
    text: sectionInfo(section).title,
    ...(section.index && { link: section.index.link }),
    collapsed: false,
    items: [
      ...section.pages.map((page) => ({ text: page.title, link: page.link })),
      ...section.sections.map(sectionItem),
    ],
  };
}

/** A section's title and order: its index page's frontmatter, else its capitalised name. */
function sectionInfo(section: Section): PageInfo {
  return {
    link: section.index?.link ?? "",
    title: section.index?.title ?? capitalise(section.name),
    order:
      section.index && Number.isFinite(section.index.order)
        ? section.index.order
        : (SECTION_ORDER[section.name] ?? Number.POSITIVE_INFINITY),
  };
}

/** Where the site's sections go when their index page does not say (`order`). */
const SECTION_ORDER: Readonly<Record<string, number>> = {
  concepts: 20,
  guides: 30,
  seeds: 40,
  reference: 60,
};

/** Where top-level pages go when their frontmatter does not say (`order`). */
const PAGE_ORDER: Readonly<Record<string, number>> = {
  "/getting-started": 10,
  "/playground": 50,
};

function capitalise(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function byOrder(a: PageInfo, b: PageInfo): number {
  return a.order - b.order || a.title.localeCompare(b.title);
}

function readPage(path: string, link: string, fallbackTitle: string): PageInfo {
  const text = readFileSync(path, "utf8");
  const meta = readFrontmatter(text);
  const heading = /^#\s+(.+)$/m.exec(stripFrontmatter(text))?.[1]?.trim();
  const order = Number(meta.order);
  return {
    link,
    title: meta.title ?? heading ?? fallbackTitle,
    order:
      meta.order !== undefined && Number.isFinite(order)
        ? order
        : (PAGE_ORDER[link] ?? Number.POSITIVE_INFINITY),
  };
}

/**
 * The top-level scalar keys of a page's YAML frontmatter. Only what the sidebar needs: plain,
 * single- and double-quoted one-line scalars (VitePress itself parses the full YAML).
 */
export function readFrontmatter(text: string): Record<string, string> {
  const block = /^---\r?\n([\s\S]*?)\r?\n---\s*(?:\r?\n|$)/.exec(text)?.[1];
  const fields: Record<string, string> = {};
  for (const line of block?.split(/\r?\n/) ?? []) {
    const match = /^([A-Za-z_][\w-]*):\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    const [, key, raw] = match as unknown as [string, string, string];
    if (raw === "" || raw === "|" || raw === ">") continue;
    fields[key] = unquote(raw);
  }
  return fields;
}

function unquote(raw: string): string {
  if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) {
    return JSON.parse(raw) as string;
  }
  if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) {
    return raw.slice(1, -1).replaceAll("''", "'");
  }
  // A plain scalar ends before a comment.
  return raw.replace(/\s+#.*$/, "");
}

function stripFrontmatter(text: string): string {
  return text.replace(/^---\r?\n[\s\S]*?\r?\n---\s*(?:\r?\n|$)/, "");
}

/** TypeDoc's sidebar with VitePress links (no `.md`), or undefined before it is generated. */
function readApiSidebar(file: string): DefaultTheme.SidebarItem[] | undefined {
  if (!existsSync(file)) return undefined;
  const items = JSON.parse(readFileSync(file, "utf8")) as DefaultTheme.SidebarItem[];
  const clean = (item: DefaultTheme.SidebarItem): DefaultTheme.SidebarItem => ({
    ...item,
    ...(item.link && { link: item.link.replace(/\.md$/, "") }),
    ...(item.items && { items: item.items.map(clean) }),
  });
  return items.map(clean);
}

/**
 * Makes the build fail where VitePress would quietly publish the wrong text: an `@include`
 * whose file is missing stays in the page as a comment, and a code snippet
 * (`<<< file#region`) whose region is missing shows the whole file. Both happen when an
 * included file is renamed or a region marker removed, so they are build errors here.
 */
import { readFileSync } from "node:fs";
import type { MarkdownRenderer } from "vitepress";

type FenceRule = NonNullable<MarkdownRenderer["renderer"]["rules"]["fence"]>;

/** A markdown-it plugin; install it from `markdown.config` (after VitePress's own plugins). */
export function markdownChecks(md: MarkdownRenderer): void {
  const fence = md.renderer.rules.fence as FenceRule;
  md.renderer.rules.fence = (tokens, idx, options, env, self) => {
    // VitePress's snippet rule stores [path, region] on the token it creates for `<<<`.
    const [path, region] = ((tokens[idx] as { src?: [string, string] }).src ?? []) as [
      string?,
      string?,
    ];
    const unresolved = INCLUDE.exec(tokens[idx]!.content);
    if (unresolved) {
      throw new Error(`${pageOf(env)}: @include file not found: ${unresolved[1]}`);
    }
    if (path !== undefined && region) {
      const text = readFileSync(path, "utf8");
      if (!new RegExp(`#region ${escapeRegExp(region)}\\b`).test(text)) {
        throw new Error(`${pageOf(env)}: code snippet region "${region}" not found in ${path}`);
      }
    }
    return fence(tokens, idx, options, env, self);
  };
  for (const kind of ["html_block", "html_inline"] as const) {
    const rule = md.renderer.rules[kind] as FenceRule;
    md.renderer.rules[kind] = (tokens, idx, options, env, self) => {
      const include = INCLUDE.exec(tokens[idx]!.content);
      if (include) {
        throw new Error(`${pageOf(env)}: @include file not found: ${include[1]}`);
      }
      return rule(tokens, idx, options, env, self);
    };
  }
}

/** What VitePress leaves of an `<!--@include: path-->` it could not read. */
const INCLUDE = /<!--\s*@include:\s*(.*?)\s*-->/;

function pageOf(env: unknown): string {
  const { relativePath, path } = (env ?? {}) as { relativePath?: string; path?: string };
  return relativePath ?? path ?? "a page";
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Quoting a section of another markdown file (a README) into a page at build time, so the site
 * shows the current text instead of a copy that goes stale.
 */

/**
 * The body of the section under `heading` (the exact heading line, e.g. `"## Publishing one"`):
 * everything after it up to the next heading of the same or a higher level. Throws when the
 * heading is missing, so a renamed section fails the build instead of vanishing from the site.
 */
export function markdownSection(text: string, heading: string, file: string): string {
  const level = /^#+/.exec(heading)?.[0].length;
  if (level === undefined) throw new Error(`markdownSection: "${heading}" is not a heading`);
  const lines = text.split("\n");
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`${file} has no section "${heading}"`);
  const end = lines.findIndex((line, i) => {
    if (i <= start) return false;
    const hashes = /^(#+)\s/.exec(line)?.[1];
    return hashes !== undefined && hashes.length <= level;
  });
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .join("\n")
    .trim();
}

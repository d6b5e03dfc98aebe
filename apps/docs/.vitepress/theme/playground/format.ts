/** Number formatting shared by the playground's panels. */

/** Bytes as the compiler's memory report prints them: "812 B", "198.8 KiB", "3.2 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A fraction in [0, 1] as a percentage with one decimal: "90.4 %". */
export function formatPercent(fraction: number | undefined): string {
  return fraction === undefined || !Number.isFinite(fraction)
    ? "–"
    : `${(fraction * 100).toFixed(1)} %`;
}

/** A loss with four significant digits, or a dash when there is none. */
export function formatLoss(loss: number | undefined): string {
  return loss === undefined ? "–" : loss.toPrecision(4);
}

/** A count with thousands separators, independent of the reader's locale. */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

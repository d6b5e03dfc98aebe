import { NncError } from "@nnc/core";

/**
 * Counts the examples of a batch whose highest-scoring class (the argmax of the last axis of
 * `scores`, the first one on ties) is the label. Labels are class indices (one per example) or
 * one-hot / probability rows (compared by their argmax).
 */
export function countCorrect(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  examples: number,
): number {
  const classes = scores.length / examples;
  const oneHot = labels.length === scores.length;
  if (!Number.isInteger(classes) || (!oneHot && labels.length !== examples)) {
    throw new NncError(
      "NNC7002",
      `accuracy: ${scores.length} scores and ${labels.length} labels do not fit ${examples} examples`,
    );
  }
  let correct = 0;
  for (let e = 0; e < examples; e++) {
    const predicted = argmax(scores, e * classes, classes);
    const label = oneHot ? argmax(labels, e * classes, classes) : labels[e];
    if (predicted === label) correct++;
  }
  return correct;
}

/** Index of the largest of `values[offset … offset + count)`, relative to `offset`. */
export function argmax(values: ArrayLike<number>, offset: number, count: number): number {
  let best = 0;
  for (let k = 1; k < count; k++) if (values[offset + k]! > values[offset + best]!) best = k;
  return best;
}

import { createRng, type Graph, GraphBuilder } from "@nnc/core";

/** Three Gaussian blobs in 4-D, labelled 0–2: separable enough for a small MLP to learn fast. */
export function blobs(count: number, seed = 1): { x: Float32Array; y: Int32Array } {
  const rng = createRng(seed);
  const centres = [
    [2, 0, 0, 1],
    [-1, 2, 0, -1],
    [0, -2, 1, 0],
  ];
  const x = new Float32Array(count * 4);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = Math.floor(rng.next() * 3);
    y[i] = label;
    for (let k = 0; k < 4; k++) x[i * 4 + k] = centres[label]![k]! + (rng.next() - 0.5) * 1.5;
  }
  return { x, y };
}

/** A 4 → 16 → 3 MLP with a softmax cross-entropy loss (outputs `logits`, `loss`). */
export function mlp({ batch }: { readonly batch: number }): Graph {
  const g = new GraphBuilder("blobs-mlp");
  const x = g.input("x", [batch, 4]);
  const y = g.input("y", [batch], "int32");
  const h = g.layers.dense(x, 16, { name: "fc1", activation: "relu", seed: 3 });
  const logits = g.layers.dense(h, 3, { name: "fc2", seed: 4 });
  g.output("logits", logits);
  g.output("loss", g.softmaxCrossEntropy(logits, y));
  return g.build();
}

/** A stream that records what a progress reporter writes. */
export function recordingStream(isTTY = false): {
  write(text: string): void;
  isTTY: boolean;
  text(): string;
} {
  let written = "";
  return {
    isTTY,
    write(text: string) {
      written += text;
    },
    text: () => written,
  };
}

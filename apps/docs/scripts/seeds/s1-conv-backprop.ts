/**
 * SEEDS.md S1: backpropagation through a convolution. A 3×3 input X and a 2×2 filter F (stride
 * 1, no padding) give a 2×2 output O; for an upstream gradient G = ∂L/∂O, nnc's transpose rules
 * must give ∂L/∂F = valid correlation of X with G and ∂L/∂X = full correlation of G with F
 * rotated 180°, and the document's expanded sums.
 */
import { linearize, linearTranspose, vjp } from "@nnc/compiler";
import { type Graph, GraphBuilder, printGraph } from "@nnc/core";
import { seededRng, uniformValues } from "../../../../examples/seeds/numeric.js";
import { checkClose, checkEqual } from "./check.js";
import { runOnCpu, runReference, toMatrix } from "./run.js";

type Matrix = number[][];

// #region graph
/** O = X ⋆ F with X and F as inputs, and its reverse-mode graph (linearize + transpose). */
function buildConvBackward(): Graph {
  const g = new GraphBuilder("s1-conv");
  const x = g.input("X", [1, 1, 3, 3]);
  const f = g.input("F", [1, 1, 2, 2]);
  g.output("O", g.conv2d(x, f, { stride: 1, padding: "valid" }));
  // Inputs X, F and cotangent/O (= G); outputs O, grad/X and grad/F.
  return vjp(g.build(), { of: "O", wrt: ["X", "F"] });
}
// #endregion graph

/** Valid cross-correlation: out[i][j] = Σ_{u,v} a[i+u][j+v]·k[u][v]. */
export function validCorrelation(a: Matrix, k: Matrix): Matrix {
  const rows = a.length - k.length + 1;
  const cols = a[0]!.length - k[0]!.length + 1;
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => {
      let sum = 0;
      for (let u = 0; u < k.length; u++) {
        for (let v = 0; v < k[0]!.length; v++) sum += a[i + u]![j + v]! * k[u]![v]!;
      }
      return sum;
    }),
  );
}

/** `a` zero-padded by (kernel − 1) on every side: what a "full" correlation slides over. */
function padForFull(a: Matrix, k: Matrix): Matrix {
  const ph = k.length - 1;
  const pw = k[0]!.length - 1;
  return Array.from({ length: a.length + 2 * ph }, (_, i) =>
    Array.from({ length: a[0]!.length + 2 * pw }, (_, j) => a[i - ph]?.[j - pw] ?? 0),
  );
}

/** The kernel rotated by 180°: rot[u][v] = k[kh−1−u][kw−1−v]. */
export function rotate180(k: Matrix): Matrix {
  return k.map((_, u) => k[0]!.map((_, v) => k[k.length - 1 - u]![k[0]!.length - 1 - v]!));
}

// The document's expanded sums, as (G, X) and (G, F) index pairs (1-based, as printed there).
// Its ∂L/∂X list repeats the ∂L/∂X32 line where X33 belongs; the last entry is the corrected
// ∂L/∂X33 = ∂L/∂O22·F22 (X33 is only read by O22, through F22).
const F_SUMS: readonly [string, readonly (readonly [string, string])[]][] = [
  [
    "F11",
    [
      ["G11", "X11"],
      ["G12", "X12"],
      ["G21", "X21"],
      ["G22", "X22"],
    ],
  ],
  [
    "F12",
    [
      ["G11", "X12"],
      ["G12", "X13"],
      ["G21", "X22"],
      ["G22", "X23"],
    ],
  ],
  [
    "F21",
    [
      ["G11", "X21"],
      ["G12", "X22"],
      ["G21", "X31"],
      ["G22", "X32"],
    ],
  ],
  [
    "F22",
    [
      ["G11", "X22"],
      ["G12", "X23"],
      ["G21", "X32"],
      ["G22", "X33"],
    ],
  ],
];
const X_SUMS: readonly [string, readonly (readonly [string, string])[]][] = [
  ["X11", [["G11", "F11"]]],
  [
    "X12",
    [
      ["G11", "F12"],
      ["G12", "F11"],
    ],
  ],
  ["X13", [["G12", "F12"]]],
  [
    "X21",
    [
      ["G11", "F21"],
      ["G21", "F11"],
    ],
  ],
  [
    "X22",
    [
      ["G11", "F22"],
      ["G12", "F21"],
      ["G21", "F12"],
      ["G22", "F11"],
    ],
  ],
  [
    "X23",
    [
      ["G12", "F22"],
      ["G22", "F12"],
    ],
  ],
  ["X31", [["G21", "F21"]]],
  [
    "X32",
    [
      ["G21", "F22"],
      ["G22", "F21"],
    ],
  ],
  ["X33", [["G22", "F22"]]],
];

/** A number as the pages print it in a product: negatives parenthesised, with a real minus. */
function factor(v: number): string {
  return v < 0 ? `(−${-v})` : String(v);
}

/** One of the document's sums, written out with the worked example's numbers and nnc's value. */
export interface ExpandedSum {
  /** `F12` for ∂L/∂F12. */
  readonly target: string;
  /** The document's terms: `G11·X12 + G12·X13 + …`. */
  readonly symbolic: string;
  /** The same with numbers: `1·2 + 2·3 + …`. */
  readonly numeric: string;
  /** The sum evaluated by hand. */
  readonly byHand: number;
  /** nnc's value of that gradient element (CPU backend). */
  readonly nnc: number;
}

function expandSums(
  sums: typeof F_SUMS,
  lookup: (name: string) => number,
  nncValues: readonly number[],
  what: string,
): ExpandedSum[] {
  return sums.map(([target, terms], index) => {
    const byHand = terms.reduce((s, [a, b]) => s + lookup(a) * lookup(b), 0);
    const nnc = nncValues[index]!;
    checkEqual(`S1 ${what} ∂L/∂${target}`, nnc, byHand);
    return {
      target,
      symbolic: terms.map(([a, b]) => `${a}·${b}`).join(" + "),
      numeric: terms.map(([a, b]) => `${factor(lookup(a))}·${factor(lookup(b))}`).join(" + "),
      byHand,
      nnc,
    };
  });
}

/** The figures of the S1 pages. */
export async function seedS1() {
  const backward = buildConvBackward();
  // A worked example with small integers: every product and sum is exact in float32.
  const X = [
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9],
  ];
  const F = [
    [2, -1],
    [1, 3],
  ];
  const G = [
    [1, 2],
    [-1, 3],
  ];
  const out = await runOnCpu(backward, { X: X.flat(), F: F.flat(), "cotangent/O": G.flat() });
  const dF = toMatrix(out["grad/F"]!, 2, 2);
  const dX = toMatrix(out["grad/X"]!, 3, 3);
  const formulaDF = validCorrelation(X, G);
  const rotF = rotate180(F);
  const paddedG = padForFull(G, rotF);
  const formulaDX = validCorrelation(paddedG, rotF);
  checkEqual("S1 O = X ⋆ F", toMatrix(out.O!, 2, 2), validCorrelation(X, F));
  checkEqual("S1 ∂L/∂F = valid correlation of X with G", dF, formulaDF);
  checkEqual("S1 ∂L/∂X = full correlation of G with F rotated 180°", dX, formulaDX);

  const lookup = (name: string): number => {
    const matrix = { X, F, G }[name[0] as "X" | "F" | "G"];
    return matrix[Number(name[1]) - 1]![Number(name[2]) - 1]!;
  };
  const sumsF = expandSums(F_SUMS, lookup, out["grad/F"]!, "∂L/∂F");
  const sumsX = expandSums(X_SUMS, lookup, out["grad/X"]!, "∂L/∂X");

  // The same identities on random data, on the CPU backend (float32) and the float64 reference.
  let worstCpu = 0;
  let worstReference = 0;
  for (const seed of [1, 2, 3]) {
    const rng = seededRng(seed);
    const feeds = {
      X: uniformValues(rng, 9),
      F: uniformValues(rng, 4),
      "cotangent/O": uniformValues(rng, 4),
    };
    const [x, f, gUp] = [
      toMatrix(feeds.X, 3, 3),
      toMatrix(feeds.F, 2, 2),
      toMatrix(feeds["cotangent/O"], 2, 2),
    ];
    const expected = [
      ...validCorrelation(x, gUp).flat(),
      ...validCorrelation(padForFull(gUp, f), rotate180(f)).flat(),
    ];
    const cpu = await runOnCpu(backward, feeds);
    const reference = runReference(backward, feeds);
    worstCpu = Math.max(
      worstCpu,
      checkClose(
        `S1 random case ${seed} (CPU)`,
        [...cpu["grad/F"]!, ...cpu["grad/X"]!],
        expected,
        1e-5,
      ),
    );
    worstReference = Math.max(
      worstReference,
      checkClose(
        `S1 random case ${seed} (float64 reference)`,
        [...reference["grad/F"]!, ...reference["grad/X"]!],
        expected,
        1e-12,
      ),
    );
  }

  // The linear map of the conv in (X, F) and its transpose, as the compiler builds them.
  const conv = new GraphBuilder("s1-conv");
  conv.output("O", conv.conv2d(conv.input("X", [1, 1, 3, 3]), conv.input("F", [1, 1, 2, 2])));
  const { linear } = linearize(conv.build(), { of: "O", wrt: ["X", "F"] });

  return {
    X,
    F,
    G,
    O: toMatrix(out.O!, 2, 2),
    dF,
    dX,
    rotF,
    paddedG,
    sumsF,
    sumsX,
    random: { cases: 3, worstCpu, worstReference },
    linearGraph: printGraph(linear),
    transposedGraph: printGraph(linearTranspose(linear)),
  };
}

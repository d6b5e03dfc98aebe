// The error function for generated code: the same algorithm, coefficients and order of
// operations as core's reference erf (W. J. Cody, Math. Comp. 23, 1969), so both agree to the
// last bit in float64.

const ERF_A = [
  3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315,
];
const ERF_B = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];
const ERFC_C = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769,
  1712.0476126340707, 2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
];
const ERFC_D = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597,
  4362.619090143247, 3439.3676741437216, 1230.3393548037495,
];
const ERFC_P = [
  0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275,
  0.0006587491615298378, 0.016315387137302097,
];
const ERFC_Q = [
  2.568520192289822, 1.8729528499234604, 0.5279051029514285, 0.06051834131244132,
  0.0023352049762686918,
];

/** Unrolled `num = (num + p[i]) * z; den = (den + q[i]) * z` for i < steps. */
function horner(p: readonly number[], q: readonly number[], steps: number, z: string): string[] {
  return Array.from(
    { length: steps },
    (_, i) => `    num = (num + ${p[i]}) * ${z}; den = (den + ${q[i]}) * ${z};`,
  );
}

/** The source of `function nncErf(x)`. */
export function erfHelper(): string {
  return [
    "function nncErf(x) {",
    "  if (x !== x) return x;",
    "  const y = Math.abs(x);",
    "  if (y <= 0.46875) {",
    "    const z = x * x;",
    `    let num = ${ERF_A[4]} * z, den = z;`,
    ...horner(ERF_A, ERF_B, 3, "z"),
    `    return (x * (num + ${ERF_A[3]})) / (den + ${ERF_B[3]});`,
    "  }",
    "  let ratio;",
    "  if (y <= 4) {",
    `    let num = ${ERFC_C[8]} * y, den = y;`,
    ...horner(ERFC_C, ERFC_D, 7, "y"),
    `    ratio = (num + ${ERFC_C[7]}) / (den + ${ERFC_D[7]});`,
    "  } else if (y >= 26.543) {",
    "    return x < 0 ? -1 : 1;",
    "  } else {",
    "    const z = 1 / (y * y);",
    `    let num = ${ERFC_P[5]} * z, den = z;`,
    ...horner(ERFC_P, ERFC_Q, 4, "z"),
    `    ratio = (0.5641895835477563 - (z * (num + ${ERFC_P[4]})) / (den + ${ERFC_Q[4]})) / y;`,
    "  }",
    "  // e^{-y²} with y² split as r² + (y − r)(y + r), r = y rounded down to 1/16.",
    "  const r = Math.trunc(16 * y) / 16;",
    "  const value = 1 - Math.exp(-r * r - (y - r) * (y + r)) * ratio;",
    "  return x < 0 ? -value : value;",
    "}",
  ].join("\n");
}

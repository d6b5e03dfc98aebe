import { ERF_COEFFICIENTS } from "@nnc/core";

// The error function for generated code: the same algorithm, coefficients and order of
// operations as core's reference erf (W. J. Cody, Math. Comp. 23, 1969), so both agree to the
// last bit in float64.

const {
  a: ERF_A,
  b: ERF_B,
  c: ERFC_C,
  d: ERFC_D,
  p: ERFC_P,
  q: ERFC_Q,
  oneOverSqrtPi: ONE_OVER_SQRT_PI,
} = ERF_COEFFICIENTS;

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
    `    ratio = (${ONE_OVER_SQRT_PI} - (z * (num + ${ERFC_P[4]})) / (den + ${ERFC_Q[4]})) / y;`,
    "  }",
    "  // e^{-y²} with y² split as r² + (y − r)(y + r), r = y rounded down to 1/16.",
    "  const r = Math.trunc(16 * y) / 16;",
    "  const value = 1 - Math.exp(-r * r - (y - r) * (y + r)) * ratio;",
    "  return x < 0 ? -value : value;",
    "}",
  ].join("\n");
}

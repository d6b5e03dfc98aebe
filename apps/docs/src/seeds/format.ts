/**
 * How the seed and concept pages print the numbers nnc computed at build time: a real minus
 * sign, thousands separators, and powers of ten for the tiny differences the checks measured.
 */

const SUPERSCRIPT: Readonly<Record<string, string>> = {
  "-": "⁻",
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
  "7": "⁷",
  "8": "⁸",
  "9": "⁹",
};

function minus(text: string): string {
  return text.replace(/^-/, "−");
}

/** An integer with thousands separators: 61,100,840. */
export function int(value: number): string {
  return minus(value.toLocaleString("en-US"));
}

/**
 * A number to `digits` significant digits, without trailing zeros; integers as they are
 * (float32 results such as 1.1799999 print as 1.18 with the default 4). `group: false` leaves
 * out thousands separators, which would read as list commas inside a vector.
 */
export function num(value: number, digits = 4, group = true): string {
  if (Number.isInteger(value)) return group ? int(value) : minus(String(value));
  if (!Number.isFinite(value)) return String(value);
  const text = Number(value.toPrecision(digits)).toString();
  return minus(text.includes("e") ? sci(value, digits) : text);
}

/** A number with exactly `decimals` decimals: 1.40. */
export function fixed(value: number, decimals = 2): string {
  // −0.00 would read as a sign error.
  const text = value.toFixed(decimals);
  return minus(/^-0\.?0*$/.test(text) ? text.slice(1) : text);
}

/** A small magnitude as m × 10ⁿ (0 stays 0): for the differences the build checked. */
export function sci(value: number, digits = 2): string {
  if (value === 0) return "0";
  if (!Number.isFinite(value)) return String(value);
  const [mantissa, exponent] = value.toExponential(digits - 1).split("e") as [string, string];
  const power = [...String(Number(exponent))].map((c) => SUPERSCRIPT[c] ?? c).join("");
  return `${minus(mantissa)} × 10${power}`;
}

/** Bytes with separators, and KiB beyond 10 KiB: "48 B", "617.8 KiB (632,640 B)". */
export function bytes(value: number): string {
  if (value < 10 * 1024) return `${int(value)} B`;
  return `${(value / 1024).toFixed(1)} KiB (${int(value)} B)`;
}

/** A vector as (a, b, c). */
export function vec(values: readonly number[], digits = 4): string {
  return `(${values.map((v) => num(v, digits, false)).join(", ")})`;
}

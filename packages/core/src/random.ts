/** A seeded pseudo-random source. Same seed, same sequence, on every platform. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [low, high). */
  uniform(low: number, high: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/**
 * Creates a seeded generator (sfc32 seeded through splitmix32), deterministic across platforms
 * so initialisers and tests reproduce exactly.
 */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const splitmix = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  let spare: number | undefined;
  return {
    next,
    uniform: (low, high) => low + (high - low) * next(),
    int: (n) => Math.floor(next() * n),
    normal: () => {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      // Box–Muller; 1 - next() keeps the log argument in (0, 1].
      const u = 1 - next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
  };
}

/** MurmurHash3's 32-bit finaliser: a bijection on 32-bit integers in which every bit avalanches. */
function fmix32(h: number): number {
  let z = h >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Mixes a salt (a step counter) into a 32-bit seed, giving the seed of an independent stream:
 * with `k` = the salt truncated toward zero modulo 2³² (ECMAScript ToUint32; NaN and ±∞ give 0)
 * and `fmix32` MurmurHash3's finaliser (`h ^= h >>> 16; h *= 0x85ebca6b; h ^= h >>> 13;
 * h *= 0xc2b2ae35; h ^= h >>> 16`, all modulo 2³²), the result is
 * `fmix32(seed ^ fmix32((k + 0x9e3779b9) mod 2³²))`. For a fixed seed it is a bijection of `k`,
 * so salts that differ modulo 2³² never share a stream.
 */
export function saltSeed(seed: number, salt: number): number {
  const k = salt >>> 0;
  return fmix32((seed >>> 0) ^ fmix32((k + 0x9e3779b9) >>> 0));
}

/** A stable 32-bit hash of a string (FNV-1a), used to derive default seeds from names. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Random data for a value of `size` elements: floats uniform in [low, high), int32 integers in
 * [low, high), bool 0/1. Used by the generic op suites and backend conformance tests.
 */
export function randomData(
  dtype: "float32" | "int32" | "bool",
  size: number,
  rng: Rng,
  range: readonly [number, number] = [-2, 2],
): Float64Array {
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    out[i] =
      dtype === "bool"
        ? rng.int(2)
        : dtype === "int32"
          ? range[0] + rng.int(range[1] - range[0])
          : rng.uniform(range[0], range[1]);
  }
  return out;
}

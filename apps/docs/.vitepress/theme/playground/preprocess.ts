/**
 * Turns a drawing into an input the networks were trained on, the way MNIST itself was made
 * (LeCun et al.): the ink's bounding box is scaled, keeping its aspect ratio, to fit a 20×20
 * box with anti-aliased grey levels, and placed in a 28×28 field so that its centre of mass
 * sits at the field's centre. Without this a digit drawn small or off-centre is misread.
 */
import { DIGIT_PIXELS, DIGIT_SIDE } from "./mnist-subset.js";

/** Longest side of the digit inside the 28×28 field, as in MNIST. */
export const DIGIT_BOX = 20;

/** A grey-level picture: `ink[y * width + x]` in [0, 1], 0 = blank paper. */
export interface InkImage {
  readonly ink: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
}

/** The 28×28 MNIST-style digit of a drawing, or undefined when nothing is drawn. */
export function toMnistDigit(image: InkImage): Float32Array | undefined {
  const box = inkBounds(image);
  if (!box) return undefined;
  const boxWidth = box.right - box.left;
  const boxHeight = box.bottom - box.top;
  const scale = DIGIT_BOX / Math.max(boxWidth, boxHeight);
  const width = Math.max(1, Math.round(boxWidth * scale));
  const height = Math.max(1, Math.round(boxHeight * scale));
  const patch = resampleArea(image, box, width, height);
  const [cx, cy] = centreOfMass(patch, width, height);
  // MNIST puts the centre of mass on the centre of pixel 14 (14.5 with pixel i covering
  // [i, i + 1)): re-centring its own digits this way moves none of them. The shift is whole
  // pixels, clamped so that a lopsided digit is never cut off at the edge.
  const centre = DIGIT_SIDE / 2 + 0.5;
  const left = clamp(Math.round(centre - cx), 0, DIGIT_SIDE - width);
  const top = clamp(Math.round(centre - cy), 0, DIGIT_SIDE - height);
  const digit = new Float32Array(DIGIT_PIXELS);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      digit[(top + y) * DIGIT_SIDE + left + x] = Math.min(1, patch[y * width + x]!);
    }
  }
  return digit;
}

/** A pixel rectangle, right and bottom exclusive. */
export interface Bounds {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** The smallest rectangle holding every inked pixel, or undefined for a blank picture. */
export function inkBounds({ ink, width, height }: InkImage): Bounds | undefined {
  let left = width;
  let top = height;
  let right = 0;
  let bottom = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! <= 0) continue;
      left = Math.min(left, x);
      right = Math.max(right, x + 1);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y + 1);
    }
  }
  return right > left ? { left, top, right, bottom } : undefined;
}

/**
 * Resamples the `box` of `image` to `width` × `height` by area averaging: every output pixel is
 * the mean ink over the source area it covers, counting partly covered source pixels by the
 * fraction covered. That is the anti-aliasing MNIST's grey levels come from; nearest-neighbour
 * sampling would drop thin strokes.
 */
export function resampleArea(
  image: InkImage,
  box: Bounds,
  width: number,
  height: number,
): Float32Array {
  const columns = areaWeights(box.right - box.left, width);
  const rows = areaWeights(box.bottom - box.top, height);
  const out = new Float32Array(width * height);
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      let sum = 0;
      for (const [sy, wy] of rows[v]!) {
        const row = (box.top + sy) * image.width + box.left;
        for (const [sx, wx] of columns[u]!) sum += wy * wx * image.ink[row + sx]!;
      }
      out[v * width + u] = sum;
    }
  }
  return out;
}

/** For each of `m` output cells over `n` source cells: the source cells it covers and their weights (summing to 1). */
function areaWeights(n: number, m: number): (readonly [number, number])[][] {
  const span = n / m;
  return Array.from({ length: m }, (_, k) => {
    const start = k * span;
    const end = start + span;
    const cells: (readonly [number, number])[] = [];
    for (let i = Math.floor(start); i < Math.min(n, Math.ceil(end)); i++) {
      const overlap = Math.min(end, i + 1) - Math.max(start, i);
      if (overlap > 0) cells.push([i, overlap / span]);
    }
    return cells;
  });
}

/** The ink-weighted mean position, pixel centres at i + 0.5. */
export function centreOfMass(
  ink: ArrayLike<number>,
  width: number,
  height: number,
): [number, number] {
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const m = ink[y * width + x]!;
      mass += m;
      sx += m * (x + 0.5);
      sy += m * (y + 0.5);
    }
  }
  return mass > 0 ? [sx / mass, sy / mass] : [width / 2, height / 2];
}

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

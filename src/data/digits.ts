// Labelled images as flat float arrays, and the operations the default task and the
// study share: subsets, stratified splits, label noise. Platform-neutral.
import { type Rng, createRng, shuffleInPlace, randomInt } from './random';

/** n images of `shape` (e.g. [28, 28, 1]) stored row-major in one array, with labels. */
export interface LabelledSet {
  readonly features: Float32Array;
  readonly labels: Int32Array;
  /** Shape of one example, without the batch dimension. */
  readonly shape: readonly number[];
  readonly numClasses: number;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
export const countOf = (set: LabelledSet): number => set.labels.length;

/** The examples at `indices`, in that order. */
export function subset(set: LabelledSet, indices: ArrayLike<number>): LabelledSet {
  const d = sizeOf(set.shape);
  const features = new Float32Array(indices.length * d);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    features.set(set.features.subarray(j * d, (j + 1) * d), i * d);
    labels[i] = set.labels[j];
  }
  return { features, labels, shape: set.shape, numClasses: set.numClasses };
}

/** The same examples with other labels. */
export function withLabels(set: LabelledSet, labels: Int32Array): LabelledSet {
  if (labels.length !== set.labels.length) throw new RangeError(`${labels.length} labels for ${set.labels.length} examples`);
  return { ...set, labels };
}

/**
 * Disjoint stratified splits: split k takes counts[k] examples, and each class gets its
 * share of every split in proportion to its share of the whole set (largest remainders
 * round; a class short of members passes its slot to the next). Members are drawn in a
 * seeded order; each split's indices come shuffled. Returns one index array per split.
 */
export function stratifiedSplit(labels: Int32Array, numClasses: number, counts: readonly number[], seed: number): Int32Array[] {
  const total = counts.reduce((a, b) => a + b, 0);
  if (counts.some((c) => !Number.isInteger(c) || c < 0)) throw new RangeError(`split sizes must be integers >= 0, got ${counts.join(', ')}`);
  if (total > labels.length) throw new RangeError(`stratified split asks for ${counts.join(' + ')} examples; only ${labels.length} exist`);
  const rng = createRng(seed);
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  labels.forEach((y, i) => byClass[y].push(i));
  for (const members of byClass) shuffleInPlace(members, rng);
  const n = labels.length;
  const used = new Array<number>(numClasses).fill(0);
  return counts.map((count) => {
    const quota = byClass.map((m) => Math.floor((count * m.length) / n));
    const left = (c: number) => byClass[c].length - used[c] - quota[c];
    for (let c = 0; c < numClasses; c++) if (left(c) < 0) quota[c] += left(c);
    // Remaining slots go to the largest remainders count·n_c/n − quota (ties: lower class).
    const order = byClass.map((_, c) => c).sort((a, b) => {
      const ra = (count * byClass[a].length) / n - quota[a], rb = (count * byClass[b].length) / n - quota[b];
      return rb - ra || a - b;
    });
    let missing = count - quota.reduce((a, b) => a + b, 0);
    while (missing > 0) {
      const before = missing;
      for (const c of order) if (missing > 0 && left(c) > 0) { quota[c]++; missing--; }
      if (missing === before) throw new RangeError(`stratified split asks for ${counts.join(' + ')} examples; only ${n} exist`);
    }
    const picked: number[] = [];
    for (let c = 0; c < numClasses; c++) {
      picked.push(...byClass[c].slice(used[c], used[c] + quota[c]));
      used[c] += quota[c];
    }
    shuffleInPlace(picked, rng);
    return Int32Array.from(picked);
  });
}

/**
 * Symmetric label noise: exactly round(rate·n) examples, chosen at random, get a label
 * drawn uniformly from the other numClasses − 1 classes (so a noisy label is always
 * wrong). Returns the new labels and which examples were flipped.
 */
export function symmetricLabelNoise(labels: Int32Array, numClasses: number, rate: number, seed: number): { labels: Int32Array; flipped: Uint8Array } {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`noise rate must be in [0, 1], got ${rate}`);
  if (numClasses < 2 && rate > 0) throw new RangeError('label noise needs at least 2 classes');
  const rng: Rng = createRng(seed);
  const n = labels.length;
  const order = Array.from({ length: n }, (_, i) => i);
  shuffleInPlace(order, rng);
  const out = Int32Array.from(labels);
  const flipped = new Uint8Array(n);
  for (const i of order.slice(0, Math.round(rate * n))) {
    const other = randomInt(rng, numClasses - 1);
    out[i] = other >= labels[i] ? other + 1 : other;
    flipped[i] = 1;
  }
  return { labels: out, flipped };
}

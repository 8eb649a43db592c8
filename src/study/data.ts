// The study's data: the mnist package's digits, one fixed stratified split for every
// run, and per-seed symmetric label noise on the training labels only (validation and
// test keep their true labels). Reuses src/data; nothing here changes it.
import { stratifiedSplit, subset, symmetricLabelNoise, deriveSeed, type LabelledSet } from '../data/index';
import { loadMnist } from '../node/mnist';

/** The split is the same for every run of a study: this seed never varies. */
export const SPLIT_SEED = 20240318;

export interface Split { train: LabelledSet; val: LabelledSet; test: LabelledSet }

const splits = new Map<string, Split>();

export function studySplit(sizes: { train: number; val: number; test: number }): Split {
  const key = `${sizes.train}/${sizes.val}/${sizes.test}`;
  let s = splits.get(key);
  if (!s) {
    const all = loadMnist();
    const [tr, va, te] = stratifiedSplit(all.labels, all.numClasses, [sizes.train, sizes.val, sizes.test], SPLIT_SEED);
    s = { train: subset(all, tr), val: subset(all, va), test: subset(all, te) };
    splits.set(key, s);
  }
  return s;
}

/** The training labels a run sees: `rate` of them flipped, drawn from the run's seed. */
export function noisyTrainLabels(train: LabelledSet, rate: number, seed: number): { labels: Int32Array; flipped: Uint8Array } {
  return symmetricLabelNoise(train.labels, train.numClasses, rate, deriveSeed(seed, 'study/noise'));
}

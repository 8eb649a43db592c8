// The built-in personalization task. A "population" of digits trains the base model;
// a "user" writes with one consistent style (a slant and a heavier stroke); their few
// hundred training digits carry noisy labels; their clean held-out digits measure the
// result. Every choice is seeded; population and user digits never overlap.
import { type LabelledSet, stratifiedSplit, subset, symmetricLabelNoise, withLabels } from './digits';
import { type WritingStyle, applyStyle } from './transform';
import { deriveSeed } from './random';

export const DEFAULT_USER_STYLE: WritingStyle = { rotateDeg: -35, shear: 0.35, scale: 1.0, thicken: 0.6 };

export interface DefaultTaskOptions {
  /** Seeds the user's label noise (the split itself is fixed, so the base model is shared). */
  seed?: number;
  populationSize?: number;
  userTrainSize?: number;
  userTestSize?: number;
  noiseRate?: number;
  style?: WritingStyle;
}

export interface DefaultTask {
  population: LabelledSet;
  /** The user's training digits, with noisy labels. */
  userTrain: LabelledSet;
  /** Their true labels, and which of them were flipped. */
  userTrainCleanLabels: Int32Array;
  flipped: Uint8Array;
  /** The user's held-out digits, clean labels. */
  userTest: LabelledSet;
  style: WritingStyle;
  noiseRate: number;
}

/** Seed of the population/user split: fixed, so every run shares one base model. */
export const SPLIT_SEED = 20240312;

export const DEFAULT_TASK_SIZES = { populationSize: 6000, userTrainSize: 400, userTestSize: 1000 };

export function makeDefaultTask(digits: LabelledSet, options: DefaultTaskOptions = {}): DefaultTask {
  const {
    seed = 0, populationSize = DEFAULT_TASK_SIZES.populationSize, userTrainSize = DEFAULT_TASK_SIZES.userTrainSize,
    userTestSize = DEFAULT_TASK_SIZES.userTestSize, noiseRate = 0.3, style = DEFAULT_USER_STYLE,
  } = options;
  const [pop, train, test] = stratifiedSplit(digits.labels, digits.numClasses, [populationSize, userTrainSize, userTestSize], SPLIT_SEED);
  const side = digits.shape[0];
  const styled = (s: LabelledSet): LabelledSet => ({ ...s, features: applyStyle(s.features, side, style) });
  const userTrainClean = styled(subset(digits, train));
  const noisy = symmetricLabelNoise(userTrainClean.labels, digits.numClasses, noiseRate, deriveSeed(seed, 'label-noise'));
  return {
    population: subset(digits, pop),
    userTrain: withLabels(userTrainClean, noisy.labels),
    userTrainCleanLabels: userTrainClean.labels,
    flipped: noisy.flipped,
    userTest: styled(subset(digits, test)),
    style,
    noiseRate,
  };
}


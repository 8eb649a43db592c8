// The default task's base model: a small CNN for 28×28×1 digits (seeded, softmax output),
// trained once on the population digits and cached.
import { tf, layers, versions } from '../index';
import trainingWasm from '../../build/training.wasm';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';
import { loadModelFiles, saveModelFiles } from '../node/model_files';
import { trainingOptimizer } from '../personalize/optimizers';
import { DEFAULT_SETTINGS, type OptimizerSettings } from '../personalize/settings';
import { train, evaluate, evaluationBatch, type LayersModel } from '../personalize/train';
import type { LabelledSet } from '../data/digits';
import { DEFAULT_TASK_SIZES, SPLIT_SEED } from '../data/default_task';

export function buildDigitCnn(seed: number): ReturnType<typeof layers.sequential> {
  const L = layers.layers;
  const init = (k: number) => layers.initializers.glorotUniform({ seed: seed * 16 + k });
  return layers.sequential({
    name: 'digit_cnn',
    layers: [
      L.conv2d({ name: 'conv1', inputShape: [28, 28, 1], filters: 8, kernelSize: 5, strides: 2, activation: 'relu', kernelInitializer: init(1) }),
      L.conv2d({ name: 'conv2', filters: 16, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: init(2) }),
      L.flatten({ name: 'flatten' }),
      L.dense({ name: 'dense', units: 32, activation: 'relu', kernelInitializer: init(3) }),
      L.dense({ name: 'logits', units: 10, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  });
}

/** Everything the cached base model depends on; a change makes a new cache entry. The
 *  runtime part is there because another tfjs or another build of fsam-edge's training
 *  kernels rounds differently, and the same command must give the same bits whether or not
 *  an older cache entry exists. Version 3: trained with the library's AdamW at weight
 *  decay 0 (Adam) instead of tf.train.adam, so that the CLI has one optimizer family. */
export const BASE_RECIPE = {
  model: 'digit_cnn/conv8x5s2-conv16x3s2-dense32-dense10', seed: 7, epochs: 4, batchSize: 64,
  optimizer: 'fsam-edge AdamW', learningRate: 0.003, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0,
  population: DEFAULT_TASK_SIZES.populationSize, splitSeed: SPLIT_SEED, split: 'proportional', version: 3,
  runtime: { tfjsCore: tf.version_core, tfjsWasm: versions['tfjs-backend-wasm'], trainingKernels: fnv1a(trainingWasm as Uint8Array) },
};

/** The optimizer that trains the base model: the library's AdamW at the recipe's settings. */
export const BASE_SETTINGS: OptimizerSettings = {
  ...DEFAULT_SETTINGS, name: 'adamw', learningRate: BASE_RECIPE.learningRate, beta1: BASE_RECIPE.beta1, beta2: BASE_RECIPE.beta2,
  epsilon: BASE_RECIPE.epsilon, weightDecay: BASE_RECIPE.weightDecay,
};

export function defaultCacheDir(): string {
  return process.env.FSAM_EDGE_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'fsam-edge');
}

/** 32-bit FNV-1a of bytes (or of a string's UTF-16 code units), as 8 hex digits. */
function fnv1a(data: ArrayLike<number> | string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ (typeof data === 'string' ? data.charCodeAt(i) : data[i]), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** A fingerprint of a labelled set: every pixel's float32 bits and every label. */
function dataFingerprint(set: LabelledSet): string {
  return `${fnv1a(new Uint32Array(set.features.buffer, set.features.byteOffset, set.features.length))}-${fnv1a(set.labels)}`;
}

/** The cache entry's directory name for a recipe and the population it trains on (another
 *  version of the mnist package gives other digits, and then another base model). */
export function baseModelKey(population: LabelledSet, recipe: object = BASE_RECIPE): string {
  return `base-digit-cnn-${fnv1a(JSON.stringify({ recipe, population: dataFingerprint(population) }))}`;
}

/**
 * The cached base model, or one trained now and cached. `beforeTraining` sees the
 * untrained model before anything of its training is allocated (the CLI plans the run's
 * memory there, and may refuse it).
 */
/** Where the base model for this population is cached (model.json; it may not be there yet). */
export function baseModelPath(cacheDir: string, population: LabelledSet): string {
  return join(cacheDir, baseModelKey(population), 'model.json');
}

export async function cachedBaseModel(cacheDir: string, population: LabelledSet, log: (line: string) => void, beforeTraining?: (model: LayersModel) => void): Promise<{ model: LayersModel; path: string }> {
  const path = baseModelPath(cacheDir, population);
  const dir = dirname(path);
  if (existsSync(path)) {
    try {
      return { model: await loadModelFiles(path), path };
    } catch (err) {
      log(`cached base model unreadable (${(err as Error).message}); training it again`);
    }
  }
  const model = buildDigitCnn(BASE_RECIPE.seed);
  try {
    beforeTraining?.(model);
  } catch (err) {
    model.dispose();
    throw err;
  }
  log(`training the base CNN on ${population.labels.length} population digits (once; cached in ${dir})`);
  const t0 = performance.now();
  const opt = trainingOptimizer(BASE_SETTINGS, undefined);
  await train({
    model, optimizer: opt, train: population, batchSize: BASE_RECIPE.batchSize, seed: BASE_RECIPE.seed, fromEpoch: 0, toEpoch: BASE_RECIPE.epochs,
    onEpoch: (r) => log(`  base epoch ${r.epoch}/${BASE_RECIPE.epochs}  loss ${r.loss.toFixed(4)}  accuracy ${(100 * r.trainAccuracy).toFixed(1)}%  ${r.seconds.toFixed(1)}s`),
  });
  opt.dispose();
  log(`base CNN trained in ${((performance.now() - t0) / 1000).toFixed(1)}s: ${(100 * evaluate(model, population, undefined, evaluationBatch(BASE_RECIPE.batchSize)).accuracy).toFixed(1)}% on the population`);
  try {
    await saveModelFiles(dir, model);
  } catch (err) {
    // An unwritable cache costs time on the next run, not this run.
    log(`could not cache the base model in ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); it will be trained again next time`);
    return { model, path: '(not cached)' };
  }
  return { model, path };
}
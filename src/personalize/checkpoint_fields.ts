// The run a checkpoint's header describes (its config and progress), checked field by
// field after the checksum: a header edited and re-checksummed by hand is as untrusted as
// any input. Each defect is a CheckpointError with one line naming the field and value.
import { CheckpointError } from '../checkpoint/format';
import { resolveHyperparams } from '../core/hyperparams';
import { OPTIMIZER_NAMES, coreOptions, type OptimizerSettings } from './settings';
import type { RunConfig } from './run';
import type { LayersModel } from './train';
import type { NamedTensor } from './optimizers';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const show = (x: unknown) => { const t = JSON.stringify(x); return t === undefined ? String(x) : t.length > 60 ? `${t.slice(0, 57)}...` : t; };

const NUMBERS = ['learningRate', 'rho', 'sigma', 'lambda', 'momentum', 'weightDecay', 'beta1', 'beta2', 'epsilon'] as const;
const BOOLEANS = ['adaptive', 'nesterov', 'lowMemory'] as const;
const SHA256 = /^[0-9a-f]{64}$/;

/** Throws unless `config` and `progress` are a run fsam-edge could have written. */
export function checkRunCheckpoint(config: unknown, progress: unknown, path: string): asserts config is RunConfig {
  const fail = (field: string, value: unknown, want: string): never => {
    throw new CheckpointError(`${path}: ${field} is ${show(value)}; expected ${want}`);
  };
  const int = (field: string, v: unknown, lo: number, hi: number) => {
    if (!Number.isSafeInteger(v) || (v as number) < lo || (v as number) > hi) fail(field, v, `an integer in ${lo}..${hi}`);
    return v as number;
  };
  const share = (field: string, v: unknown, nullable = false) => {
    if (nullable && v === null) return;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) fail(field, v, 'a share in [0, 1]');
  };
  const nonNegative = (field: string, v: unknown) => {
    if (typeof v !== 'number' || !(v >= 0) || v === Infinity) fail(field, v, 'a finite number >= 0');
  };

  if (!isObject(config)) return fail('config', config, 'an object');
  const o = config.optimizer;
  if (!isObject(o)) return fail('config.optimizer', o, 'an object');
  if (!OPTIMIZER_NAMES.includes(o.name as never)) fail('config.optimizer.name', o.name, `one of ${OPTIMIZER_NAMES.join(', ')}`);
  if (o.base !== 'sgd' && o.base !== 'adamw') fail('config.optimizer.base', o.base, 'sgd or adamw');
  for (const k of NUMBERS) if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) fail(`config.optimizer.${k}`, o[k], 'a finite number');
  for (const k of BOOLEANS) if (typeof o[k] !== 'boolean') fail(`config.optimizer.${k}`, o[k], 'true or false');
  try {
    resolveHyperparams(coreOptions(o as unknown as OptimizerSettings));
  } catch (err) {
    throw new CheckpointError(`${path}: config.optimizer: ${(err as Error).message}`);
  }
  const epochs = int('config.epochs', config.epochs, 1, 100_000);
  const batchSize = int('config.batchSize', config.batchSize, 1, 1 << 20);
  // Written since --accumulate (issue 18); absent in older checkpoints, which take 1.
  if (config.accumulate !== undefined) int('config.accumulate', config.accumulate, 1, Math.min(4096, batchSize));
  int('config.seed', config.seed, 0, 2 ** 32 - 1);
  if (config.maxMemory !== null && !(Number.isSafeInteger(config.maxMemory) && (config.maxMemory as number) >= 0)) fail('config.maxMemory', config.maxMemory, 'null or an integer >= 0');
  if (typeof config.modelSource !== 'string') fail('config.modelSource', config.modelSource, 'a string');
  const d = config.data;
  if (!isObject(d)) return fail('config.data', d, 'an object');
  if (d.kind === 'default') {
    if (typeof d.noiseRate !== 'number' || !(d.noiseRate >= 0 && d.noiseRate <= 0.9)) fail('config.data.noiseRate', d.noiseRate, 'a share in [0, 0.9]');
    int('config.data.seed', d.seed, 0, 2 ** 32 - 1);
    if (d.digest !== undefined && (typeof d.digest !== 'string' || !SHA256.test(d.digest))) fail('config.data.digest', d.digest, 'a SHA-256 in hex');
  } else if (d.kind === 'file') {
    if (typeof d.path !== 'string' || d.path === '' || d.path.includes('\0')) fail('config.data.path', d.path, 'a file path');
    if (typeof d.sha256 !== 'string' || !SHA256.test(d.sha256)) fail('config.data.sha256', d.sha256, 'a SHA-256 in hex');
    if (d.evalPath === null) {
      if (d.evalSha256 !== null) fail('config.data.evalSha256', d.evalSha256, 'null, as evalPath is null');
    } else {
      if (typeof d.evalPath !== 'string' || d.evalPath === '' || d.evalPath.includes('\0')) fail('config.data.evalPath', d.evalPath, 'null or a file path');
      if (typeof d.evalSha256 !== 'string' || !SHA256.test(d.evalSha256)) fail('config.data.evalSha256', d.evalSha256, 'a SHA-256 in hex');
    }
    if (typeof d.holdout !== 'number' || !(d.holdout >= 0.01 && d.holdout <= 0.9)) fail('config.data.holdout', d.holdout, 'a share in [0.01, 0.9]');
    int('config.data.seed', d.seed, 0, 2 ** 32 - 1);
  } else {
    fail('config.data.kind', d.kind, "'default' or 'file'");
  }

  if (!isObject(progress)) return fail('progress', progress, 'an object');
  const done = int('progress.epochsDone', progress.epochsDone, 1, epochs);
  const before = progress.before;
  if (!isObject(before)) return fail('progress.before', before, 'an object');
  nonNegative('progress.before.loss', before.loss);
  share('progress.before.accuracy', before.accuracy);
  const history = progress.history;
  if (!Array.isArray(history) || history.length !== done) return fail('progress.history', history, `a list of ${done} epoch records`);
  history.forEach((r: unknown, i) => {
    const at = `progress.history[${i}]`;
    if (!isObject(r)) return fail(at, r, 'an epoch record');
    if (r.epoch !== i + 1) fail(`${at}.epoch`, r.epoch, String(i + 1));
    nonNegative(`${at}.loss`, r.loss);
    nonNegative(`${at}.heldOutLoss`, r.heldOutLoss);
    share(`${at}.trainAccuracy`, r.trainAccuracy);
    share(`${at}.heldOutAccuracy`, r.heldOutAccuracy);
    if (r.memorized !== undefined) share(`${at}.memorized`, r.memorized, true);
    nonNegative(`${at}.seconds`, r.seconds);
  });
}

/**
 * The optimizer state of a CLI run is 'iter' (a scalar) and '<trainable weight>/<kind>'
 * entries of as many values as that weight (tfjs's optimizers keep its shape, fsam-edge's
 * arena a flat run). Anything else is refused before an optimizer sees it.
 */
export function checkOptimizerState(weights: NamedTensor[], model: LayersModel, path: string): void {
  const sizes = new Map(model.trainableWeights.map((w) => [(w.read() as unknown as { name: string }).name, w.shape.reduce((a: number, b) => a * (b ?? 0), 1)]));
  for (const { name, tensor } of weights) {
    const slash = name.lastIndexOf('/');
    const want = name === 'iter' ? 1 : slash > 0 && /^[a-z][a-z0-9_]*$/.test(name.slice(slash + 1)) ? sizes.get(name.slice(0, slash)) : undefined;
    if (want === undefined || tensor.size !== want || (name === 'iter' && tensor.rank !== 0)) {
      throw new CheckpointError(`${path}: optimizer state '${name}' of shape [${tensor.shape}] belongs to no weight of the model` +
        (want !== undefined ? ` (that weight has ${want} values)` : ''));
    }
  }
}

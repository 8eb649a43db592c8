// The flags of each subcommand and how they become a run's settings.
import { type FlagSpec, type FlagValues, UsageError } from './args';
import {
  OPTIMIZER_NAMES, DEFAULT_SETTINGS, DEFAULT_EPOCHS, DEFAULT_BATCH, DEFAULT_NOISE, DEFAULT_HOLDOUT, coreOptions,
  type OptimizerName, type OptimizerSettings,
} from '../personalize/settings';
import { resolveHyperparams } from '../core/hyperparams';

export { DEFAULT_SETTINGS, DEFAULT_EPOCHS, DEFAULT_BATCH, DEFAULT_NOISE, DEFAULT_HOLDOUT, describeSettings } from '../personalize/settings';

export const DEFAULT_OUT = 'fsam-edge-out';

const HYPER: Record<string, FlagSpec> = {
  lr: { kind: 'number', help: 'learning rate', default: String(DEFAULT_SETTINGS.learningRate), above: 0 },
  rho: { kind: 'number', help: 'perturbation radius ρ (F-SAM, SAM)', default: String(DEFAULT_SETTINGS.rho), min: 0 },
  sigma: { kind: 'number', help: 'F-SAM: share σ of the full-gradient estimate removed', default: '1' },
  lambda: { kind: 'number', help: 'F-SAM: EMA decay λ of the full-gradient estimate', default: '0.6', min: 0 },
  adaptive: { kind: 'boolean', help: 'ASAM-style scale-invariant perturbation (F-SAM, SAM)' },
  base: { kind: 'string', placeholder: 'NAME', help: 'base optimizer of F-SAM and SAM', default: 'sgd', choices: ['sgd', 'adamw'] },
  momentum: { kind: 'number', help: 'SGD momentum μ', default: '0.9', min: 0 },
  nesterov: { kind: 'boolean', help: 'SGD: Nesterov momentum' },
  'weight-decay': { kind: 'number', help: 'weight decay', default: '5e-4', min: 0 },
  beta1: { kind: 'number', help: 'AdamW β₁', default: '0.9' },
  beta2: { kind: 'number', help: 'AdamW β₂', default: '0.999' },
  epsilon: { kind: 'number', help: 'AdamW ε', default: '1e-8' },
  'low-memory': { kind: 'boolean', help: 'F-SAM/SAM on SGD: no w_old copy, m and momentum in bf16 (4 B/parameter for F-SAM)' },
};

const DATA: Record<string, FlagSpec> = {
  model: { kind: 'string', placeholder: 'PATH', help: 'tfjs layers model.json to fine-tune', default: 'the built-in digit CNN' },
  data: { kind: 'string', placeholder: 'PATH', help: 'training data, JSON or CSV (features then label)', default: 'the built-in user digits' },
  eval: { kind: 'string', placeholder: 'PATH', help: 'held-out data (same format as --data)', default: `${DEFAULT_HOLDOUT * 100}% of --data` },
  holdout: { kind: 'number', help: 'share of --data held out when --eval is not given', default: String(DEFAULT_HOLDOUT), min: 0.01, max: 0.9 },
  noise: { kind: 'number', help: 'built-in task: share of noisy training labels', default: String(DEFAULT_NOISE), min: 0, max: 0.9 },
  cache: { kind: 'string', placeholder: 'PATH', help: 'cache directory of the built-in base model', default: '$FSAM_EDGE_CACHE or ~/.cache/fsam-edge' },
};

const RUN: Record<string, FlagSpec> = {
  epochs: { kind: 'integer', help: 'epochs', default: String(DEFAULT_EPOCHS), min: 1, max: 100000 },
  'batch-size': { kind: 'string', placeholder: 'N|auto', help: 'batch size, or auto: the largest whose run fits --max-memory', default: String(DEFAULT_BATCH) },
  accumulate: { kind: 'integer', help: 'micro-batches per step: each pass sums their gradients (the batch\'s step, a micro-batch\'s activation memory)', default: '1', min: 1, max: 4096 },
  seed: { kind: 'integer', help: 'seed of label noise and batch order', default: '0', min: 0, max: 2 ** 32 - 1 },
  out: { kind: 'string', placeholder: 'PATH', help: 'output directory (report, checkpoint, model)', default: DEFAULT_OUT },
  'max-memory': { kind: 'bytes', help: 'budget of wasm memory for the whole run (weights, data, activations, gradients, optimizer state), e.g. 24MB; a run planned over it is refused before training', min: 0 },
  'stop-after': { kind: 'integer', help: 'stop after this epoch, as if interrupted (resume continues)', min: 1 },
  help: { kind: 'boolean', help: 'show this help' },
};

export const PERSONALIZE_FLAGS: Record<string, FlagSpec> = {
  optimizer: { kind: 'string', placeholder: 'NAME', help: 'optimizer', default: 'fsam', choices: OPTIMIZER_NAMES },
  ...HYPER, ...DATA, ...RUN,
};

export const COMPARE_FLAGS: Record<string, FlagSpec> = {
  optimizers: { kind: 'list', placeholder: 'NAME,NAME', help: 'optimizers to compare', default: 'sgd,sam,fsam', choices: OPTIMIZER_NAMES },
  ...HYPER, ...DATA, ...RUN,
};
delete COMPARE_FLAGS['stop-after'];

export const PLAN_FLAGS: Record<string, FlagSpec> = {
  optimizer: PERSONALIZE_FLAGS.optimizer,
  ...HYPER, ...DATA,
  'batch-size': RUN['batch-size'], accumulate: RUN.accumulate, 'max-memory': RUN['max-memory'],
  json: { kind: 'boolean', help: 'print the plan as JSON' },
  help: RUN.help,
};

/** --batch-size: an integer from 1 to 2^20, or 'auto'. */
export function batchSizeFrom(v: FlagValues): number | 'auto' {
  const raw = v['batch-size'] as string | undefined;
  if (raw === undefined) return DEFAULT_BATCH;
  if (raw.trim() === 'auto') return 'auto';
  const n = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(n) || n < 1 || n > 1 << 20) throw new UsageError(`--batch-size needs an integer from 1 to ${1 << 20}, or auto; got '${raw}'`);
  return n;
}

export const RESUME_FLAGS: Record<string, FlagSpec> = {
  checkpoint: { kind: 'string', placeholder: 'PATH', help: 'checkpoint file to continue', default: `${DEFAULT_OUT}/checkpoint.fsam` },
  data: { kind: 'string', placeholder: 'PATH', help: 'the run\'s data file, where it moved to (must be byte-identical)', default: "the checkpoint's" },
  eval: { kind: 'string', placeholder: 'PATH', help: 'the run\'s held-out file, where it moved to (must be byte-identical)', default: "the checkpoint's" },
  epochs: { kind: 'integer', help: 'total epochs (may extend the run)', default: "the checkpoint's", min: 1, max: 100000 },
  out: { kind: 'string', placeholder: 'PATH', help: 'output directory', default: "the checkpoint's directory" },
  'stop-after': RUN['stop-after'],
  help: RUN.help,
};

export function settingsFrom(v: FlagValues, name: OptimizerName): OptimizerSettings {
  const d = DEFAULT_SETTINGS;
  const num = (k: string, fallback: number) => (v[k] === undefined ? fallback : (v[k] as number));
  const bool = (k: string, fallback: boolean) => (v[k] === undefined ? fallback : (v[k] as boolean));
  const s: OptimizerSettings = {
    name, base: (v.base as 'sgd' | 'adamw' | undefined) ?? d.base,
    learningRate: num('lr', d.learningRate), rho: num('rho', d.rho), sigma: num('sigma', d.sigma), lambda: num('lambda', d.lambda),
    adaptive: bool('adaptive', d.adaptive), momentum: num('momentum', d.momentum), nesterov: bool('nesterov', d.nesterov),
    weightDecay: num('weight-decay', d.weightDecay), beta1: num('beta1', d.beta1), beta2: num('beta2', d.beta2), epsilon: num('epsilon', d.epsilon),
    lowMemory: bool('low-memory', d.lowMemory) && (name === 'fsam' || name === 'sam'),
  };
  if (v.data === undefined && (v.eval !== undefined || v.holdout !== undefined)) throw new UsageError('--eval and --holdout apply to --data only');
  if (v['low-memory'] && v.optimizer !== undefined && !['fsam', 'sam'].includes(v.optimizer as string)) {
    throw new UsageError(`--low-memory is a mode of F-SAM and SAM, not of ${v.optimizer}`);
  }
  if (v.data !== undefined && v.noise !== undefined) throw new UsageError('--noise applies to the built-in task only, not to --data');
  try {
    resolveHyperparams(coreOptions(s)); // the optimizers' own checks, with the value in the message
  } catch (err) {
    throw new UsageError(`${s.name}: ${(err as Error).message}`);
  }
  return s;
}

// A personalization run's optimizer settings and the defaults the CLI and the app share:
// the design's F-SAM defaults (ρ 0.2, σ 1, λ 0.6, momentum 0.9, weight decay 5e-4) with a
// learning rate for fine-tuning a small CNN. No tfjs here: the app's page reads these too.
import type { OptimizerOptions } from '../core/hyperparams';

export type OptimizerName = 'fsam' | 'sam' | 'sgd' | 'adamw';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['fsam', 'sam', 'sgd', 'adamw'];

export interface OptimizerSettings {
  name: OptimizerName;
  /** Base of F-SAM and SAM. */
  base: 'sgd' | 'adamw';
  learningRate: number;
  rho: number;
  sigma: number;
  lambda: number;
  adaptive: boolean;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** F-SAM/SAM on SGD: no w_old copy, m and momentum in bf16 (4 bytes of state per parameter). */
  lowMemory: boolean;
}

export const DEFAULT_SETTINGS: Omit<OptimizerSettings, 'name'> = {
  base: 'sgd', learningRate: 0.01, rho: 0.2, sigma: 1, lambda: 0.6, adaptive: false,
  momentum: 0.9, nesterov: false, weightDecay: 5e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, lowMemory: false,
};
export const DEFAULT_OPTIMIZER: OptimizerName = 'fsam';
export const DEFAULT_EPOCHS = 20;
export const DEFAULT_BATCH = 32;
export const DEFAULT_NOISE = 0.3;
export const DEFAULT_HOLDOUT = 0.2;
export const DEFAULT_SEED = 0;

const sharpness = (s: OptimizerSettings) => s.name === 'fsam' || s.name === 'sam';

/** The library's options for these settings (what the arena and its budget depend on). */
export function coreOptions(s: OptimizerSettings): OptimizerOptions {
  const base = s.name === 'sgd' || s.name === 'adamw' ? s.name : s.base;
  return {
    sharpness: s.name === 'fsam' ? 'fsam' : s.name === 'sam' ? 'sam' : 'none',
    base, learningRate: s.learningRate, rho: s.rho, sigma: s.sigma, lambda: s.lambda, adaptive: s.adaptive,
    momentum: s.momentum, nesterov: s.nesterov, weightDecay: s.weightDecay, beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon,
    lowMemory: sharpness(s) && s.lowMemory,
  };
}

/** The settings that matter for this optimizer, for display. */
export function describeSettings(s: OptimizerSettings): Record<string, unknown> {
  const out: Record<string, unknown> = { lr: s.learningRate };
  const base = s.name === 'sgd' || s.name === 'adamw' ? s.name : s.base;
  if (s.name === 'fsam' || s.name === 'sam') Object.assign(out, { base, rho: s.rho, adaptive: s.adaptive });
  if (s.name === 'fsam') Object.assign(out, { sigma: s.sigma, lambda: s.lambda });
  if (base === 'sgd') Object.assign(out, { momentum: s.momentum, nesterov: s.nesterov });
  else Object.assign(out, { beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon });
  out.weightDecay = s.weightDecay;
  if (s.lowMemory && (s.name === 'fsam' || s.name === 'sam')) out.lowMemory = true;
  return out;
}

/**
 * Byte counts: "1048576", "512KB", "2MB", "1.5 MiB", "1GB". KB/MB/GB are powers of
 * 1024, like the KiB/MiB/GiB spellings, since the budget is a memory size.
 */
export function parseBytes(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const scale = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  const bytes = Math.floor(Number(m[1]) * scale);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

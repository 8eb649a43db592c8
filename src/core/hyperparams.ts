// Options of the SAM family and its base optimizers, their defaults (the official
// F-SAM run script's), and their validation: a bad value fails at construction.

export type Sharpness = 'fsam' | 'sam' | 'none';
export type BaseOptimizer = 'sgd' | 'adamw';

export interface OptimizerOptions {
  /** 'fsam' (default), 'sam', or 'none' for the base optimizer alone. */
  sharpness?: Sharpness;
  base?: BaseOptimizer;
  learningRate?: number;
  /** Perturbation radius ρ. */
  rho?: number;
  /** F-SAM: how much of the full-gradient estimate m to remove from g. */
  sigma?: number;
  /** F-SAM: EMA decay of m. */
  lambda?: number;
  /** ASAM-style scale-invariant perturbation (ε ∝ w²⊙d). */
  adaptive?: boolean;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** What a non-finite gradient does: throw (default) or skip the step and count it. */
  onNonFinite?: 'throw' | 'skip';
  /**
   * Low-memory mode for tight devices: no w_old copy (w is restored as (w + ε) − ε, ε
   * recomputed with the same bits), and m and the momentum buffer in bfloat16. F-SAM +
   * SGD momentum keeps 4 bytes of state per parameter instead of 12. SGD only; no
   * adaptive (ASAM's ε depends on w, which the restore has moved).
   */
  lowMemory?: boolean;
}

export type Hyperparams = Required<OptimizerOptions>;

export const DEFAULTS: Hyperparams = {
  sharpness: 'fsam', base: 'sgd', learningRate: 0.05, rho: 0.2, sigma: 1, lambda: 0.6,
  adaptive: false, momentum: 0.9, nesterov: false, weightDecay: 5e-4,
  beta1: 0.9, beta2: 0.999, epsilon: 1e-8, onNonFinite: 'throw', lowMemory: false,
};

function check(ok: boolean, name: string, value: unknown, rule: string): void {
  if (!ok) throw new RangeError(`${name} must be ${rule}, got ${String(value)}`);
}

const isNum = (x: unknown): x is number => typeof x === 'number' && !Number.isNaN(x);

export function resolveHyperparams(options: OptimizerOptions = {}): Hyperparams {
  if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${String(options)}`);
  for (const key of Object.keys(options)) {
    if (!(key in DEFAULTS)) throw new TypeError(`unknown option '${key}'`);
  }
  const h: Hyperparams = { ...DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (h as Record<string, unknown>)[k] = v;
  check(['fsam', 'sam', 'none'].includes(h.sharpness), 'sharpness', h.sharpness, "'fsam', 'sam' or 'none'");
  check(['sgd', 'adamw'].includes(h.base), 'base', h.base, "'sgd' or 'adamw'");
  check(isNum(h.learningRate) && h.learningRate > 0 && Number.isFinite(h.learningRate), 'learningRate', h.learningRate, 'finite and > 0');
  check(isNum(h.rho) && h.rho >= 0 && Number.isFinite(h.rho), 'rho', h.rho, 'finite and >= 0');
  check(isNum(h.sigma) && Number.isFinite(h.sigma), 'sigma', h.sigma, 'finite');
  check(isNum(h.lambda) && h.lambda >= 0 && h.lambda < 1, 'lambda', h.lambda, 'in [0, 1)');
  check(typeof h.adaptive === 'boolean', 'adaptive', h.adaptive, 'a boolean');
  check(isNum(h.momentum) && h.momentum >= 0 && h.momentum < 1, 'momentum', h.momentum, 'in [0, 1)');
  check(typeof h.nesterov === 'boolean', 'nesterov', h.nesterov, 'a boolean');
  check(!h.nesterov || h.momentum > 0, 'momentum', h.momentum, '> 0 with nesterov');
  check(isNum(h.weightDecay) && h.weightDecay >= 0 && Number.isFinite(h.weightDecay), 'weightDecay', h.weightDecay, 'finite and >= 0');
  check(isNum(h.beta1) && h.beta1 >= 0 && h.beta1 < 1, 'beta1', h.beta1, 'in [0, 1)');
  check(isNum(h.beta2) && h.beta2 >= 0 && h.beta2 < 1, 'beta2', h.beta2, 'in [0, 1)');
  check(isNum(h.epsilon) && h.epsilon > 0 && Number.isFinite(h.epsilon), 'epsilon', h.epsilon, 'finite and > 0');
  check(h.onNonFinite === 'throw' || h.onNonFinite === 'skip', 'onNonFinite', h.onNonFinite, "'throw' or 'skip'");
  check(typeof h.lowMemory === 'boolean', 'lowMemory', h.lowMemory, 'a boolean');
  if (h.lowMemory && h.base !== 'sgd') {
    throw new RangeError(`lowMemory supports base 'sgd' only (AdamW's moments stay float32), got base ${h.base}`);
  }
  if (h.lowMemory && h.adaptive) {
    throw new RangeError('lowMemory cannot be combined with adaptive: true (ASAM\'s ε = ρ·w²⊙d/‖|w|⊙d‖ depends on w, so w − ε cannot undo w + ε); got adaptive true');
  }
  return h;
}

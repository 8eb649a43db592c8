// The four tf.Optimizers of fsam-edge, all one step (src/core/sharpness_step.ts) on one
// arena and one protocol (./sharpness_optimizer.ts): FSAM, SAM, and the base optimizers
// alone, SGD and AdamW — the baselines a comparison needs. tfjs's own tf.train.momentum
// has no weight decay, and an L2 term in the loss would also reach SAM's perturbation;
// SGD and AdamW take exactly the step FSAM and SAM take after their perturbation
// (PyTorch's SGD, p = g + wd·w; AdamW with decoupled decay), from one gradient.
// Each class refuses, by name, the options that belong to another; each is registered
// for tfjs serialization.
import { tf } from '../tf';
import { SharpnessOptimizer, type SharpnessOptions } from './sharpness_optimizer';

export type { SharpnessOptions };
export interface FSAMOptions extends SharpnessOptions {}
export interface SAMOptions extends Omit<SharpnessOptions, 'sigma' | 'lambda'> {}

const SHARPNESS_KEYS = ['rho', 'sigma', 'lambda', 'adaptive'] as const;
const SGD_NOT = [...SHARPNESS_KEYS, 'base', 'beta1', 'beta2', 'epsilon'] as const;
const ADAMW_NOT = [...SHARPNESS_KEYS, 'base', 'momentum', 'nesterov', 'lowMemory'] as const;

export interface SGDOptions extends Omit<SharpnessOptions, (typeof SGD_NOT)[number]> {}
export interface AdamWOptions extends Omit<SharpnessOptions, (typeof ADAMW_NOT)[number]> {}

function refuse(cls: string, options: object, keys: readonly string[], whose: string): void {
  if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${String(options)}`);
  for (const key of keys) if (key in options) throw new TypeError(`${cls} has no option '${key}'${whose}`);
}

function without(config: tf.serialization.ConfigDict, keys: readonly string[]): tf.serialization.ConfigDict {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !keys.includes(k)));
}

/** The config's maxBytes (null when unbounded) as the constructor takes it. */
function fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
  return new cls({ ...config, maxBytes: config.maxBytes ?? undefined });
}

/**
 * Friendly Sharpness-Aware Minimization (Li et al., CVPR 2024): SAM whose perturbation
 * leaves out an EMA estimate of the full gradient. Defaults: ρ 0.2, σ 1, λ 0.6, SGD
 * with momentum 0.9 and weight decay 5e-4.
 */
export class FSAM extends SharpnessOptimizer {
  static className = 'FSAM';
  constructor(options: FSAMOptions = {}) { super({ ...options, sharpness: 'fsam' }); }
  static fromConfig = fromConfig;
}

/** Sharpness-Aware Minimization (Foret et al., ICLR 2021); adaptive: true is ASAM. */
export class SAM extends SharpnessOptimizer {
  static className = 'SAM';
  constructor(options: SAMOptions = {}) {
    refuse('SAM', options ?? {}, ['sigma', 'lambda'], " (that is F-SAM's)");
    super({ ...options, sharpness: 'sam' });
  }
  override getConfig(): tf.serialization.ConfigDict { return without(super.getConfig(), ['sigma', 'lambda']); }
  static fromConfig = fromConfig;
}

/** A base optimizer alone (sharpness 'none'), refusing the options that are not its own. */
abstract class BaseOptimizer extends SharpnessOptimizer {
  private readonly notMine: readonly string[];
  protected constructor(name: string, base: 'sgd' | 'adamw', notMine: readonly string[], options: object) {
    refuse(name, options, notMine, '');
    super({ ...options, sharpness: 'none', base });
    this.notMine = notMine;
  }
  override getConfig(): tf.serialization.ConfigDict { return without(super.getConfig(), this.notMine); }
}

/** SGD with momentum, nesterov and weight decay (PyTorch's semantics); defaults as FSAM's base. */
export class SGD extends BaseOptimizer {
  static className = 'FsamEdgeSGD';
  constructor(options: SGDOptions = {}) { super('SGD', 'sgd', SGD_NOT, options); }
  static fromConfig = fromConfig;
}

/** AdamW (decoupled weight decay); defaults as FSAM's AdamW base. */
export class AdamW extends BaseOptimizer {
  static className = 'FsamEdgeAdamW';
  constructor(options: AdamWOptions = {}) { super('AdamW', 'adamw', ADAMW_NOT, options); }
  static fromConfig = fromConfig;
}

tf.serialization.registerClass(FSAM);
tf.serialization.registerClass(SAM);
tf.serialization.registerClass(SGD);
tf.serialization.registerClass(AdamW);

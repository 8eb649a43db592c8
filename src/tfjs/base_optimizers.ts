// The base optimizers alone, as tfjs optimizers on the same arena and kernels as FSAM and
// SAM: the baseline a comparison needs. tfjs's own tf.train.momentum has no weight decay
// and an L2 term in the loss would also reach SAM's perturbation; these take exactly the
// step FSAM and SAM take after their perturbation (PyTorch's SGD, p = g + wd·w; AdamW
// with decoupled decay), from one gradient. minimize() only, as for FSAM and SAM.
import { tf } from '../tf';
import { SharpnessOptimizer, type SharpnessOptions } from './sharpness_optimizer';

const SHARPNESS_KEYS = ['rho', 'sigma', 'lambda', 'adaptive'] as const;

export interface SGDOptions extends Omit<SharpnessOptions, (typeof SHARPNESS_KEYS)[number] | 'base' | 'beta1' | 'beta2' | 'epsilon'> {}
export interface AdamWOptions extends Omit<SharpnessOptions, (typeof SHARPNESS_KEYS)[number] | 'base' | 'momentum' | 'nesterov' | 'lowMemory'> {}

function refuse(cls: string, options: object, keys: readonly string[]): void {
  if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${String(options)}`);
  for (const key of keys) if (key in options) throw new TypeError(`${cls} has no option '${key}'`);
}

function without(config: tf.serialization.ConfigDict, keys: readonly string[]): tf.serialization.ConfigDict {
  return Object.fromEntries(Object.entries(config).filter(([k]) => !keys.includes(k)));
}

const SGD_NOT = [...SHARPNESS_KEYS, 'base', 'beta1', 'beta2', 'epsilon'];
const ADAMW_NOT = [...SHARPNESS_KEYS, 'base', 'momentum', 'nesterov', 'lowMemory'];

/** SGD with momentum, nesterov and weight decay (PyTorch's semantics); defaults as FSAM's base. */
export class SGD extends SharpnessOptimizer {
  static className = 'FsamEdgeSGD';
  constructor(options: SGDOptions = {}) {
    refuse('SGD', options, SGD_NOT);
    super({ ...options, sharpness: 'none', base: 'sgd' });
  }
  override getConfig(): tf.serialization.ConfigDict { return without(super.getConfig(), SGD_NOT); }
  static fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls({ ...config, maxBytes: config.maxBytes ?? undefined });
  }
}

/** AdamW (decoupled weight decay); defaults as FSAM's AdamW base. */
export class AdamW extends SharpnessOptimizer {
  static className = 'FsamEdgeAdamW';
  constructor(options: AdamWOptions = {}) {
    refuse('AdamW', options, ADAMW_NOT);
    super({ ...options, sharpness: 'none', base: 'adamw' });
  }
  override getConfig(): tf.serialization.ConfigDict { return without(super.getConfig(), ADAMW_NOT); }
  static fromConfig<T extends tf.serialization.Serializable>(cls: tf.serialization.SerializableConstructor<T>, config: tf.serialization.ConfigDict): T {
    return new cls({ ...config, maxBytes: config.maxBytes ?? undefined });
  }
}

tf.serialization.registerClass(SGD);
tf.serialization.registerClass(AdamW);

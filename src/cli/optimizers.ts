// The four optimizers the CLI trains with, behind one small interface. F-SAM and SAM are
// fsam-edge's; the baselines have PyTorch's semantics, as in the design notes: SGD is
// tfjs's momentum optimizer with coupled weight decay, AdamW is ./adamw.ts.
import { tf, FSAM, SAM } from '../index';

import type { NamedTensor } from '../tfjs/optimizer_state';
export type { NamedTensor };
import { ArenaLayout, type ArenaReport } from '../core/arena';
import { stateKinds } from '../core/state';
import { resolveHyperparams, type OptimizerOptions } from '../core/hyperparams';
import { adamw } from './adamw';

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

export interface TrainingOptimizer {
  /** One training step on the loss; returns the loss before the step. */
  step(loss: () => tf.Scalar, vars: tf.Variable[]): number;
  getWeights(): Promise<NamedTensor[]>;
  setWeights(weights: NamedTensor[]): Promise<void>;
  /** The optimizer's own arena report, or null where it keeps no arena (tfjs baselines). */
  memory(): ArenaReport | null;
  dispose(): void;
}

/** The core's options for these settings (what the arena and its budget depend on). */
export function coreOptions(s: OptimizerSettings): OptimizerOptions {
  const base = s.name === 'sgd' || s.name === 'adamw' ? s.name : s.base;
  return {
    sharpness: s.name === 'fsam' ? 'fsam' : s.name === 'sam' ? 'sam' : 'none',
    base, learningRate: s.learningRate, rho: s.rho, sigma: s.sigma, lambda: s.lambda, adaptive: s.adaptive,
    momentum: s.momentum, nesterov: s.nesterov, weightDecay: s.weightDecay, beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon,
    lowMemory: sharpness(s) && s.lowMemory,
  };
}

const sharpness = (s: OptimizerSettings) => s.name === 'fsam' || s.name === 'sam';

/**
 * The optimizer state's layout for these variables, known before anything is allocated:
 * the same ArenaLayout the optimizers size their arena with (F-SAM: m, w_old and the
 * base's state; SGD and AdamW baselines: their momentum or moments).
 */
export function plannedMemory(s: OptimizerSettings, variables: { name: string; size: number }[]): ArenaReport {
  return new ArenaLayout(variables, stateKinds(resolveHyperparams(coreOptions(s)))).report();
}

export function createOptimizer(s: OptimizerSettings, maxBytes: number | undefined): TrainingOptimizer {
  resolveHyperparams(coreOptions(s)); // bad values fail here, with the value in the message
  switch (s.name) {
    case 'fsam':
    case 'sam':
      return sharpnessOptimizer(s, maxBytes);
    case 'sgd':
      return tfjsOptimizer(tf.train.momentum(s.learningRate, s.momentum, s.nesterov), s.weightDecay);
    case 'adamw':
      return adamw(s);
  }
}

/** fsam-edge's F-SAM or SAM: both passes and the update in the arena's kernels. */
function sharpnessOptimizer(s: OptimizerSettings, maxBytes: number | undefined): TrainingOptimizer {
  const common = {
    learningRate: s.learningRate, rho: s.rho, adaptive: s.adaptive, base: s.base, momentum: s.momentum, nesterov: s.nesterov,
    weightDecay: s.weightDecay, beta1: s.beta1, beta2: s.beta2, epsilon: s.epsilon, lowMemory: Boolean(s.lowMemory), maxBytes,
  };
  const o = s.name === 'fsam' ? new FSAM({ ...common, sigma: s.sigma, lambda: s.lambda }) : new SAM(common);
  return {
    step(f, vars) {
      const loss = o.minimize(f, true, vars)!;
      try { return loss.dataSync()[0]; } finally { loss.dispose(); }
    },
    getWeights: () => o.getWeights(),
    setWeights: (w) => o.setWeights(w),
    memory: () => o.memory(),
    dispose: () => o.dispose(),
  };
}

/** A tfjs optimizer with PyTorch's coupled weight decay (g + wd·w), as SGD has it. */
export function tfjsOptimizer(o: tf.Optimizer, wd: number): TrainingOptimizer {
  return {
    step(f, vars) {
      return tf.tidy(() => {
        const { value, grads } = tf.variableGrads(f, vars);
        if (wd > 0) for (const v of vars) grads[v.name] = tf.add(grads[v.name], tf.mul(v, wd));
        o.applyGradients(grads);
        return value.dataSync()[0];
      });
    },
    getWeights: () => o.getWeights(),
    setWeights: (w) => o.setWeights(w),
    memory: () => null,
    dispose: () => o.dispose(),
  };
}

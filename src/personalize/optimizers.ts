// The four optimizers the CLI and the app train with are the library's own tfjs
// optimizers (FSAM, SAM, SGD, AdamW: src/tfjs/optimizers.ts), one step on one arena each.
// This file maps a run's settings onto them and adapts them to the training loop; the
// CLI's compare SGD row is therefore SAM at ρ = 0, bit for bit.
import { tf, FSAM, SAM, SGD, AdamW } from '../index';
import { ArenaLayout, type ArenaReport } from '../core/arena';
import { stateKinds } from '../core/state';
import { resolveHyperparams } from '../core/hyperparams';
import { coreOptions, type OptimizerSettings } from './settings';
import type { SharpnessOptimizer } from '../tfjs/sharpness_optimizer';
import type { NamedTensor } from '../tfjs/optimizer_state';

export type { NamedTensor };

/** What the training loop needs of an optimizer. */
export interface TrainingOptimizer {
  /** One training step on the loss (of micro-batch i, with --accumulate); returns the loss before the step. */
  step(loss: (microBatch: number) => tf.Scalar, vars: tf.Variable[]): number;
  /**
   * A step as a function of the batch (optimizer.compile(): its gradient passes recorded,
   * then replayed as kernel calls), the same step as step(() => loss(x, y), vars) bit for
   * bit; returns the loss before the step. One micro-batch per step.
   */
  compile(loss: (x: tf.Tensor, y: tf.Tensor1D) => tf.Scalar, vars: tf.Variable[]): (x: tf.Tensor, y: tf.Tensor1D) => number;
  getWeights(): Promise<NamedTensor[]>;
  setWeights(weights: NamedTensor[]): Promise<void>;
  /** The optimizer's arena report, or null before its first step. */
  memory(): ArenaReport | null;
  dispose(): void;
}

/**
 * The optimizer state's layout for these variables, known before anything is allocated:
 * the same ArenaLayout the optimizer sizes its arena with (F-SAM: m, w_old and the
 * base's state; SGD and AdamW: their momentum or moments).
 */
export function plannedMemory(s: OptimizerSettings, variables: { name: string; size: number }[]): ArenaReport {
  return new ArenaLayout(variables, stateKinds(resolveHyperparams(coreOptions(s)))).report();
}

/** The library optimizer for these settings, the whole run bounded by maxBytes, over `accumulate` micro-batches. Bad values fail here, by name. */
function libraryOptimizer(s: OptimizerSettings, maxBytes: number | undefined, accumulate: number): SharpnessOptimizer {
  const o = coreOptions(s);
  const base = { learningRate: o.learningRate, weightDecay: o.weightDecay, maxBytes, accumulate };
  const sgd = { momentum: o.momentum, nesterov: o.nesterov };
  const adam = { beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon };
  const sam = { ...base, ...sgd, ...adam, base: o.base, rho: o.rho, adaptive: o.adaptive, lowMemory: o.lowMemory };
  switch (s.name) {
    case 'fsam': return new FSAM({ ...sam, sigma: o.sigma, lambda: o.lambda });
    case 'sam': return new SAM(sam);
    case 'sgd': return new SGD({ ...base, ...sgd });
    case 'adamw': return new AdamW({ ...base, ...adam });
  }
}

/**
 * The optimizer for these settings: the library's, adapted to the training loop.
 * It also loads the checkpoints of the CLI's earlier baselines (test/fixtures/
 * legacy-checkpoints): tf.train.momentum saved its state under the library SGD's names
 * ('iter', '<variable>/momentum'), and the tfjs-ops AdamW under the library AdamW's
 * ('<variable>/adam_m', '/adam_v'). Only tf.train.momentum kept buffers at momentum 0 as
 * well, where they play no part in a step (b = 0·b + g): those are left out.
 */
export function trainingOptimizer(s: OptimizerSettings, maxBytes: number | undefined, accumulate = 1): TrainingOptimizer {
  const optimizer = libraryOptimizer(s, maxBytes, accumulate);
  const unused = (w: NamedTensor) => s.name === 'sgd' && s.momentum === 0 && w.name.endsWith('/momentum');
  return {
    step(f, vars) {
      const loss = optimizer.minimize(f, true, vars)!;
      try { return loss.dataSync()[0]; } finally { loss.dispose(); }
    },
    compile(loss, vars) {
      const step = optimizer.compile(loss, { varList: vars, returnCost: true });
      return (x, y) => {
        const value = step(x, y)!;
        try { return value.dataSync()[0]; } finally { value.dispose(); }
      };
    },
    getWeights: () => optimizer.getWeights(),
    setWeights: (weights) => optimizer.setWeights(weights.filter((w) => !unused(w))),
    memory: () => optimizer.memory(),
    dispose: () => optimizer.dispose(),
  };
}

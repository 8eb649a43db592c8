// The SGD baseline checked against fsam-edge's own base step: SAM with ρ = 0 perturbs by
// nothing, so its second gradient is its first and its step is exactly the arena's SGD
// step. A few steps of StudySGD and of SAM({ rho: 0 }) from the same initial weights on
// the same batches must end at the same weights (to float32 rounding of op order).
import { tf } from '../tf';
import { SAM } from '../tfjs/sharpness_optimizer';
import { createRng } from '../data/index';
import { StudySGD } from './sgd';
import { studyCnn } from './model';

export function baselineMaxDifference(steps = 5): { diff: number; moved: number } {
  const rng = createRng(7);
  const x = tf.tensor4d(Float32Array.from({ length: 32 * 28 * 28 }, () => rng()), [32, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: 32 }, () => Math.floor(rng() * 10)), 'int32'), 10);
  const base = { learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4 };
  let init: Float32Array[] = [];
  const train = (opt: tf.Optimizer): Float32Array[] => {
    const model = studyCnn({ conv1: 4, conv2: 8, hidden: 16 }, 11);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    init = vars.map((v) => v.dataSync().slice() as Float32Array);
    for (let i = 0; i < steps; i++) {
      opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, false, vars);
    }
    const w = vars.map((v) => v.dataSync().slice() as Float32Array);
    opt.dispose();
    model.dispose();
    return w;
  };
  const a = train(new StudySGD(base));
  const b = train(new SAM({ ...base, rho: 0 }));
  let diff = 0, moved = 0;
  a.forEach((wa, i) => wa.forEach((v, j) => {
    diff = Math.max(diff, Math.abs(v - b[i][j]));
    moved = Math.max(moved, Math.abs(v - init[i][j]));
  }));
  tf.dispose([x, y]);
  return { diff, moved };
}

// The benchmarks' baselines compute the step they stand for: F-SAM (and SAM) in tfjs-core
// ops and as plain JavaScript loops reproduce the official trajectories. A speed ratio
// against a baseline that computed something else, or less, would mean nothing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ready, tf } from '../dist/fsam-edge.js';
import { tfjsOpsFsam } from '../bench/tfjs_ops_fsam.mjs';
import { plainFsamStep, plainState } from '../bench/plain_fsam.mjs';
import { loadGolden, mlpLossAndGrads, VARIABLES } from './support/golden_mlp.mjs';

await ready();
const s = suite('benchmark baselines');

function assertTrajectoryStep(gold, t, weights) {
  for (const k of VARIABLES) {
    const got = weights[k], want = gold.weightsAfterEachStep[t][k];
    for (let i = 0; i < want.length; i++) {
      if (!(Math.abs(got[i] - want[i]) < 5e-6)) assert.unreachable(`step ${t + 1} ${k}[${i}]: ${got[i]} vs ${want[i]}`);
    }
  }
}

for (const [name, sharpness] of [['fsam_sgd_sigma1', 'fsam'], ['sam_sgd', 'sam']]) {
  s(`tfjs-ops ${sharpness}: the official trajectory within 5e-6 at every step, and no tensor left behind`, () => {
    const gold = loadGolden(name);
    const vars = VARIABLES.map((k) => tf.variable(tf.tensor(gold.init[k], gold.shapes[k]), true, `baseline_${sharpness}/${k}`));
    const opt = tfjsOpsFsam(tf, { sigma: 1, lambda: 0.6, ...gold.hyperparameters }, { sharpness });
    let tensors;
    gold.batches.forEach((b, t) => {
      tf.tidy(() => {
        const x = tf.tensor(b.x, b.xShape), y = tf.oneHot(tf.tensor1d(b.y, 'int32'), 3);
        opt.minimize(() => {
          const h = tf.tanh(tf.add(tf.matMul(x, vars[0]), vars[1]));
          return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h, vars[2]), vars[3]));
        }, vars);
      });
      assertTrajectoryStep(gold, t, Object.fromEntries(VARIABLES.map((k, i) => [k, vars[i].dataSync()])));
      if (t === 1) tensors = tf.memory().numTensors;
    });
    assert.is(tf.memory().numTensors, tensors, 'the baseline keeps a constant number of tensors');
    opt.dispose();
    tf.dispose(vars);
  });
}

s('plain-JS F-SAM: the official trajectory within 5e-6 at every step', () => {
  const gold = loadGolden('fsam_sgd_sigma1');
  const sizes = VARIABLES.map((k) => gold.init[k].length);
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const st = plainState(sizes.reduce((a, b) => a + b, 0), gold.hyperparameters);
  VARIABLES.forEach((k, i) => st.w.set(gold.init[k], offsets[i]));
  const views = (a) => sizes.map((n, i) => a.subarray(offsets[i], offsets[i] + n));
  gold.batches.forEach((b, t) => {
    plainFsamStep(st, (w, g) => mlpLossAndGrads(views(w), b, views(g)));
    assertTrajectoryStep(gold, t, Object.fromEntries(VARIABLES.map((k, i) => [k, views(st.w)[i]])));
  });
});

s.run();

// The official trajectories (test/fixtures/golden) through the app's own tf.variables
// and minimize(), on the backend named by argv[2]: prints the worst deviation of the
// loss and of the weights from the reference at any step, per trajectory, and the tensors
// left: by the steps after the first (which makes the state), and after dispose().
import { readFileSync } from 'node:fs';
import { tf } from './app_tfjs.mjs';
import { ready, FSAM, SAM } from 'fsam-edge';

const [backend, goldenDir] = process.argv.slice(2);
if (backend === 'wasm') await ready();
else {
  await ready({ keepBackend: true });
  if (!(await tf.setBackend(backend))) throw new Error(`no backend ${backend}`);
}
const NAMES = ['W1', 'b1', 'W2', 'b2'];
const out = { backend: tf.getBackend() };
for (const name of ['fsam_sgd_sigma1', 'sam_sgd']) {
  const gold = JSON.parse(readFileSync(`${goldenDir}/${name}.json`, 'utf8'));
  const hp = gold.hyperparameters;
  const v = Object.fromEntries(NAMES.map((k) => [k, tf.variable(tf.tensor(gold.init[k], gold.shapes[k]), true, `${name}/${k}`)]));
  const common = { learningRate: hp.learningRate, momentum: hp.momentum, weightDecay: hp.weightDecay, rho: hp.rho };
  const opt = gold.optimizer === 'fsam' ? new FSAM({ ...common, sigma: hp.sigma, lambda: hp.lambda }) : new SAM(common);
  let lossError = 0, weightError = 0, afterFirstStep = 0;
  const tensorsBefore = tf.memory().numTensors;
  gold.batches.forEach((b, t) => {
    const x = tf.tensor(b.x, b.xShape), y = tf.tensor1d(b.y, 'int32');
    const loss = opt.minimize(() => {
      const h = tf.tanh(tf.add(tf.matMul(x, v.W1), v.b1));
      return tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), tf.add(tf.matMul(h, v.W2), v.b2));
    }, true, NAMES.map((k) => v[k]));
    lossError = Math.max(lossError, Math.abs(loss.dataSync()[0] - gold.lossBeforeEachStep[t]));
    for (const k of NAMES) {
      const got = v[k].dataSync(), want = gold.weightsAfterEachStep[t][k];
      for (let i = 0; i < want.length; i++) weightError = Math.max(weightError, Math.abs(got[i] - want[i]));
    }
    tf.dispose([loss, x, y]);
    if (t === 0) afterFirstStep = tf.memory().numTensors;
  });
  const leakedPerStep = (tf.memory().numTensors - afterFirstStep) / (gold.batches.length - 1);
  const steps = opt.iterations;
  opt.dispose();
  out[name] = { lossError, weightError, steps, leakedPerStep, leftAfterDispose: tf.memory().numTensors - tensorsBefore };
}
console.log(JSON.stringify(out));

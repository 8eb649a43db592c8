// Training runs for test/replay.test.mjs and its two-thread child: the same steps taken by
// minimize() and by the step compile() makes (its passes recorded, then replayed), on the
// same model and batches, and a hash of every bit that matters after them: the weights,
// the optimizer's state (getWeights) and the losses.
import { createHash } from 'node:crypto';
import { benchModels } from '../../bench/models.mjs';

/** The benchmarks' two CNNs (bench/models.mjs), at smaller batches, and an MLP. */
export function models(tf, layers) {
  const L = layers.layers, init = (k) => layers.initializers.heUniform({ seed: k }), bench = benchModels(layers);
  const image = { x: (n, seed) => tf.randomNormal([n, 28, 28, 1], 0, 1, 'float32', seed) };
  return {
    'study CNN': { batch: 16, ...image, build: bench.study.build },
    'default CNN': { batch: 32, ...image, build: bench.default.build },
    MLP: { batch: 24, x: (n, seed) => tf.randomNormal([n, 20], 0, 1, 'float32', seed), build: () => layers.sequential({ layers: [
      L.dense({ inputShape: [20], units: 16, activation: 'tanh', kernelInitializer: init(5) }),
      L.dense({ units: 10, kernelInitializer: init(6) }),
    ] }) },
  };
}

export function hashOf(arrays) {
  const h = createHash('sha256');
  for (const a of arrays) h.update(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex').slice(0, 16);
}

/**
 * `steps` steps of `make()`'s optimizer on a fresh model, by minimize() or compiled; returns
 * the hash of weights, state and losses, and each step's replay state (compiled).
 */
export async function run(tf, layers, modelName, make, { compiled, steps = 6, batchAt = (i) => i } = {}) {
  const m = models(tf, layers)[modelName];
  const model = m.build();
  const vars = model.trainableWeights.map((w) => w.val);
  const optimizer = make();
  const lossOf = (x, y) => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }));
  const step = compiled ? optimizer.compile(lossOf, { varList: vars, returnCost: true }) : null;
  const losses = [], states = [];
  for (let i = 0; i < steps; i++) {
    const b = batchAt(i);
    const x = m.x(m.batch, 100 + b), y = tf.oneHot(tf.randomUniform([m.batch], 0, 10, 'int32', 200 + b), 10);
    const loss = compiled ? step(x, y) : optimizer.minimize(() => lossOf(x, y), true, vars);
    losses.push(loss.dataSync()[0]);
    loss.dispose();
    if (compiled) states.push(step.replay.state);
    tf.dispose([x, y]);
  }
  const state = await optimizer.getWeights();
  const hash = hashOf([...vars.map((v) => v.dataSync()), ...state.map((w) => w.tensor.dataSync()), Float32Array.from(losses)]);
  tf.dispose(state.map((w) => w.tensor));
  optimizer.dispose();
  model.dispose();
  return { hash, states };
}

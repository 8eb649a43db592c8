// F-SAM with tfjs-layers: model.fit with metrics, BatchNormalization statistics updated
// once per step, no tensor leaked per batch, and a small CNN.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ready, tf, layers, FSAM, SAM } from '../dist/fsam-edge.js';
import { rng } from './support/random.mjs';

await ready();
const L = layers.layers;

/** A seeded classification problem: n samples of `dims` features, 3 classes. */
function data(n, dims, seed) {
  const r = rng(seed);
  const x = Float32Array.from({ length: n * dims }, () => r.normal());
  const y = Int32Array.from({ length: n }, (_, i) => (x[i * dims] + x[i * dims + 1] > 0 ? 0 : x[i * dims + 2] > 0 ? 1 : 2));
  return { x: tf.tensor2d(x, [n, dims]), y: tf.oneHot(tf.tensor1d(y, 'int32'), 3) };
}

function denseBn(seed) {
  return layers.sequential({ layers: [
    L.dense({ units: 16, inputShape: [6], kernelInitializer: layers.initializers.glorotUniform({ seed }) }),
    L.batchNormalization(),
    L.activation({ activation: 'relu' }),
    L.dense({ units: 3, activation: 'softmax', kernelInitializer: layers.initializers.glorotUniform({ seed: seed + 1 }) }),
  ] });
}

const s = suite('tfjs-layers');

s('dense + BatchNorm trains with fit and metrics; the loss falls', async () => {
  const { x, y } = data(256, 6, 1);
  const model = denseBn(3);
  model.compile({ optimizer: new FSAM({ learningRate: 0.05, rho: 0.05 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const h = await model.fit(x, y, { epochs: 8, batchSize: 32, verbose: 0, shuffle: false });
  const loss = h.history.loss;
  assert.ok(loss[loss.length - 1] < 0.7 * loss[0], `loss ${loss[0]} → ${loss[loss.length - 1]}`);
  assert.ok(h.history.acc[h.history.acc.length - 1] > 0.8, `accuracy ${h.history.acc.at(-1)}`);
  model.dispose(); tf.dispose([x, y]);
});

s('BatchNorm statistics after a step equal those after a single forward pass', async () => {
  const { x, y } = data(32, 6, 2);
  const stats = async (optimizer) => {
    const model = denseBn(5);
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, shuffle: false });
    const bn = model.layers[1];
    const out = [bn.movingMean.read().dataSync().slice(), bn.movingVariance.read().dataSync().slice()];
    model.dispose();
    return out;
  };
  const once = await stats(tf.train.sgd(0.05)); // one forward pass per step
  for (const opt of [new FSAM({ learningRate: 0.05 }), new SAM({ learningRate: 0.05 })]) {
    const got = await stats(opt);
    assert.equal(Array.from(got[0]), Array.from(once[0]), 'moving mean');
    assert.equal(Array.from(got[1]), Array.from(once[1]), 'moving variance');
  }
  // And they did move: the statistics are not simply frozen.
  assert.ok(once[0].some((m) => m !== 0));
  tf.dispose([x, y]);
});

s('200 batches with metrics on leave the tensor count unchanged', async () => {
  const { x, y } = data(16 * 200, 6, 3);
  const model = denseBn(7);
  model.compile({ optimizer: new FSAM({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', metrics: ['accuracy', 'mse'] });
  await model.fit(x.slice([0, 0], [16, 6]), y.slice([0, 0], [16, 3]), { epochs: 1, batchSize: 16, verbose: 0 });
  const before = tf.memory().numTensors;
  await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, shuffle: false });
  assert.is(tf.memory().numTensors, before);
  model.dispose(); tf.dispose([x, y]);
});

s('a small CNN trains with fit on wasm', async () => {
  const r = rng(4);
  const n = 64;
  const img = new Float32Array(n * 8 * 8);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < 64; p++) img[i * 64 + p] = 0.3 * r.normal() + (labels[i] ? (p % 8 < 4 ? 1 : 0) : (p < 32 ? 1 : 0));
  }
  const x = tf.tensor4d(img, [n, 8, 8, 1]), y = tf.oneHot(tf.tensor1d(labels, 'int32'), 2);
  const model = layers.sequential({ layers: [
    L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1], kernelInitializer: layers.initializers.heNormal({ seed: 1 }) }),
    L.batchNormalization(),
    L.flatten(),
    L.dense({ units: 2, activation: 'softmax', kernelInitializer: layers.initializers.glorotUniform({ seed: 2 }) }),
  ] });
  model.compile({ optimizer: new FSAM({ learningRate: 0.05, rho: 0.05 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const h = await model.fit(x, y, { epochs: 10, batchSize: 16, verbose: 0, shuffle: false });
  assert.ok(h.history.loss.at(-1) < 0.5 * h.history.loss[0], `loss ${h.history.loss[0]} → ${h.history.loss.at(-1)}`);
  model.dispose(); tf.dispose([x, y]);
});

s('a dilated Conv2D without activation trains (tfjs-core\'s fused-op gradient rejects dilation; the build unfuses it)', async () => {
  const r = rng(9);
  const x = tf.tensor4d(Float32Array.from({ length: 16 * 9 * 9 }, () => r.normal()), [16, 9, 9, 1]);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from({ length: 16 }, (_, i) => i % 2), 'int32'), 2);
  const model = layers.sequential({ layers: [
    L.conv2d({ filters: 4, kernelSize: 3, dilationRate: 2, inputShape: [9, 9, 1], kernelInitializer: layers.initializers.heNormal({ seed: 3 }) }),
    L.flatten(),
    L.dense({ units: 2, activation: 'softmax', kernelInitializer: layers.initializers.glorotUniform({ seed: 4 }) }),
  ] });
  model.compile({ optimizer: new FSAM({ learningRate: 0.05, rho: 0.05 }), loss: 'categoricalCrossentropy' });
  const h = await model.fit(x, y, { epochs: 15, batchSize: 16, verbose: 0 });
  assert.ok(h.history.loss.at(-1) < 0.5 * h.history.loss[0], `loss ${h.history.loss[0]} → ${h.history.loss.at(-1)}`);
  model.dispose(); tf.dispose([x, y]);
});

s.run();

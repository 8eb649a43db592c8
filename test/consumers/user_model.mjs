// The app builds its own model with its own tfjs, compiles it with new FSAM() and fits
// it on 'wasm'; then builds a second model from fsam-edge's `layers` (the app's own
// tfjs-layers), which must not clash with the first one's variable names.
import { tf, tfl } from './app_tfjs.mjs';
import { ready, FSAM, layers } from 'fsam-edge';

const mine = tfl.sequential({ layers: [
  tfl.layers.dense({ units: 16, activation: 'relu', inputShape: [8] }),
  tfl.layers.dense({ units: 3, activation: 'softmax' }),
] });
await ready();
const xs = tf.randomUniform([64, 8], -1, 1, 'float32', 1);
const ys = tf.oneHot(tf.argMax(tf.matMul(xs, tf.randomNormal([8, 3], 0, 1, 'float32', 2)), 1), 3);
mine.compile({ optimizer: new FSAM({ learningRate: 0.1, rho: 0.05 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
const history = await mine.fit(xs, ys, { epochs: 30, batchSize: 16, verbose: 0 });
const theirs = layers.sequential({ layers: [layers.layers.dense({ units: 3, inputShape: [8] })] });
theirs.compile({ optimizer: new FSAM(), loss: 'meanSquaredError' });
await theirs.fit(xs, ys, { epochs: 1, verbose: 0 });
const loss = history.history.loss;
console.log(JSON.stringify({
  backend: tf.getBackend(), firstLoss: loss[0], lastLoss: loss[loss.length - 1], accuracy: history.history.acc.at(-1),
  optimizer: mine.optimizer.getClassName(), iterations: mine.optimizer.iterations, sameLayers: layers.sequential === tfl.sequential,
  variables: Object.keys(tf.engine().registeredVariables).length,
}));

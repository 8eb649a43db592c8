// The same app without fsam-edge (tfjs's own SGD): the size baseline for what fsam-edge adds.
import * as tf from '@tensorflow/tfjs';

const model = tf.sequential({ layers: [
  tf.layers.dense({ units: 16, activation: 'relu', inputShape: [8] }),
  tf.layers.dense({ units: 3, activation: 'softmax' }),
] });
model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
const xs = tf.randomUniform([64, 8], -1, 1, 'float32', 1);
const ys = tf.oneHot(tf.argMax(tf.matMul(xs, tf.randomNormal([8, 3], 0, 1, 'float32', 2)), 1), 3);
const { history } = await model.fit(xs, ys, { epochs: 20, batchSize: 16 });
document.getElementById('out').textContent = JSON.stringify({ backend: tf.getBackend(), lastLoss: history.loss.at(-1) });

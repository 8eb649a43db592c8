// The app's own model, built with the app's tfjs and fitted with F-SAM: the same in the
// page and in its Web Worker. Returns what the page shows.
import * as tf from '@tensorflow/tfjs';
import { FSAM } from 'fsam-edge';

export async function train() {
  const model = tf.sequential({ layers: [
    tf.layers.dense({ units: 16, activation: 'relu', inputShape: [8] }),
    tf.layers.dense({ units: 3, activation: 'softmax' }),
  ] });
  model.compile({ optimizer: new FSAM({ learningRate: 0.1, rho: 0.05 }), loss: 'categoricalCrossentropy' });
  const xs = tf.randomUniform([64, 8], -1, 1, 'float32', 1);
  const ys = tf.oneHot(tf.argMax(tf.matMul(xs, tf.randomNormal([8, 3], 0, 1, 'float32', 2)), 1), 3);
  const { history } = await model.fit(xs, ys, { epochs: 20, batchSize: 16 });
  return { backend: tf.getBackend(), firstLoss: history.loss[0], lastLoss: history.loss.at(-1) };
}

import { ready, tf } from './fsam-edge.js';

await ready(); // tfjs's wasm backend, from the bundle's embedded binary

// Fit y = 2x + 1 for a few steps; any tf.Optimizer works here.
const w = tf.variable(tf.scalar(0)), b = tf.variable(tf.scalar(0));
const xs = tf.tensor1d([0, 1, 2, 3]), ys = tf.tensor1d([1, 3, 5, 7]);
const optimizer = tf.train.sgd(0.05);
for (let step = 0; step < 200; step++) {
  optimizer.minimize(() => tf.losses.meanSquaredError(ys, tf.add(tf.mul(xs, w), b)));
}
document.getElementById('out').textContent =
  `${tf.getBackend()}: w = ${w.dataSync()[0].toFixed(3)}, b = ${b.dataSync()[0].toFixed(3)}`;

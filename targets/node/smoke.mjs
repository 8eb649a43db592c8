import { ready, tf, FSAM } from 'fsam-edge';

await ready(); // activates tfjs's wasm backend (the app's @tensorflow/tfjs-backend-wasm) with fsam-edge's kernels

// Fit y = 2x + 1 with F-SAM; FSAM is a tf.Optimizer, so minimize() and model.fit() take it.
const w = tf.variable(tf.scalar(0)), b = tf.variable(tf.scalar(0));
const xs = tf.tensor1d([0, 1, 2, 3]), ys = tf.tensor1d([1, 3, 5, 7]);
const optimizer = new FSAM({ learningRate: 0.02, rho: 0.05, weightDecay: 0 });
for (let step = 0; step < 300; step++) {
  optimizer.minimize(() => tf.losses.meanSquaredError(ys, tf.add(tf.mul(xs, w), b)));
}
console.log(`${tf.getBackend()}: w = ${w.dataSync()[0].toFixed(2)}, b = ${b.dataSync()[0].toFixed(2)}`);

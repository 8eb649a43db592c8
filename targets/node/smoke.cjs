const { ready, tf, FSAM } = require('fsam-edge');

// The add-on as CommonJS (dist/addon.cjs), for code that cannot import().
ready().then(() => {
  const w = tf.variable(tf.scalar(0)), b = tf.variable(tf.scalar(0));
  const xs = tf.tensor1d([0, 1, 2, 3]), ys = tf.tensor1d([1, 3, 5, 7]);
  const optimizer = new FSAM({ learningRate: 0.02, rho: 0.05, weightDecay: 0 });
  for (let step = 0; step < 300; step++) {
    optimizer.minimize(() => tf.losses.meanSquaredError(ys, tf.add(tf.mul(xs, w), b)));
  }
  console.log(`${tf.getBackend()}: w = ${w.dataSync()[0].toFixed(2)}, b = ${b.dataSync()[0].toFixed(2)}`);
});

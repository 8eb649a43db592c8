// The two models the step benchmarks (step_profile.mjs, native_peer.mjs) train, built on
// the bundle's tfjs-layers with seeded initializers: the study's CNN (src/study/model.ts
// with { conv1: 8, conv2: 16, hidden: 64 }) at batch 128, and the default task's CNN
// (src/cli/base_model.ts) at batch 32. Both end in logits; the softmax is in the loss.
// bench/native_peer.py builds the same layers in PyTorch.
export function benchModels(layers) {
  const L = layers.layers, init = (k) => layers.initializers.heUniform({ seed: k });
  return {
    study: { batch: 128, label: 'study CNN, batch 128', build: () => layers.sequential({ layers: [
      L.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }),
      L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: init(2) }),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 64, activation: 'relu', kernelInitializer: init(3) }),
      L.dense({ units: 10, kernelInitializer: init(4) }),
    ] }) },
    default: { batch: 32, label: 'default-task CNN, batch 32', build: () => layers.sequential({ layers: [
      L.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, strides: 2, activation: 'relu', kernelInitializer: init(1) }),
      L.conv2d({ filters: 16, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: init(2) }),
      L.flatten(),
      L.dense({ units: 32, activation: 'relu', kernelInitializer: init(3) }),
      L.dense({ units: 10, kernelInitializer: init(4) }),
    ] }) },
  };
}

/**
 * One training step, ready to time: softmax cross-entropy on a fixed random batch, by
 * minimize() or, with `compiled`, by the step optimizer.compile() makes (the library's
 * training path: its gradient passes recorded, then replayed as kernel calls).
 */
export function trainingStep(tf, model, optimizer, batch, { compiled = false } = {}) {
  const x = tf.randomNormal([batch, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10);
  const vars = model.trainableWeights.map((w) => w.val);
  const lossOf = (x, y) => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }));
  const compiledStep = compiled ? optimizer.compile(lossOf, { varList: vars, returnCost: true }) : null;
  return {
    step: compiled ? () => tf.dispose(compiledStep(x, y)) : () => tf.dispose(optimizer.minimize(() => lossOf(x, y), true, vars)),
    replay: () => compiledStep?.replay,
    dispose: () => { optimizer.dispose(); model.dispose(); tf.dispose([x, y]); },
  };
}

// Run in a child process by training_kernels_layers.test.mjs, bundled with fsam-edge's
// sources, tfjs-layers and tfjs-backend-cpu so all share one tfjs-core. For each model:
// gradients on 'wasm' (fsam-edge's kernels) vs 'cpu' from the same weights and batch,
// then model.fit on 'wasm' with the loss per epoch and the live tensor counts. Prints
// one JSON line.
import { ready, tf } from './src/index.ts';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';

await ready();

function rng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const models = {
  conv2d(r) {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [10, 10, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }));
    m.add(tfl.layers.conv2d({ filters: 12, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu' }));
    // Dilated: 'relu' keeps tfjs-core's fused conv2d off in gradient mode; with a linear
    // activation the fused op's own gradient rejects dilations (see docs/training-kernels.md).
    m.add(tfl.layers.conv2d({ filters: 6, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'relu' }));
    // (tfjs-layers' DepthwiseConv2D ignores dilationRate; dilated depthwise gradients are
    // tested with tf.grads in training_kernels.test.mjs.)
    m.add(tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: 3, activation: 'softmax' }));
    const x = tf.tensor4d(Float32Array.from({ length: 32 * 10 * 10 * 3 }, () => r() * 2 - 1), [32, 10, 10, 3]);
    return { m, x, loss: 'categoricalCrossentropy', classes: 3 };
  },
  mobilenetBlock(r) {
    const m = tfl.sequential();
    m.add(tfl.layers.conv2d({ inputShape: [12, 12, 3], filters: 16, kernelSize: 3, strides: 2, padding: 'same', useBias: false }));
    m.add(tfl.layers.batchNormalization());
    m.add(tfl.layers.reLU({ maxValue: 6 }));
    m.add(tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false }));
    m.add(tfl.layers.batchNormalization());
    m.add(tfl.layers.reLU({ maxValue: 6 }));
    m.add(tfl.layers.conv2d({ filters: 24, kernelSize: 1, padding: 'same' }));
    m.add(tfl.layers.globalAveragePooling2d({}));
    m.add(tfl.layers.dense({ units: 4, activation: 'softmax' }));
    const x = tf.tensor4d(Float32Array.from({ length: 32 * 12 * 12 * 3 }, () => r() * 2 - 1), [32, 12, 12, 3]);
    return { m, x, loss: 'categoricalCrossentropy', classes: 4 };
  },
  embedding(r) {
    const m = tfl.sequential();
    m.add(tfl.layers.embedding({ inputDim: 40, outputDim: 8, inputLength: 6 }));
    m.add(tfl.layers.flatten());
    m.add(tfl.layers.dense({ units: 3, activation: 'softmax' }));
    const x = tf.tensor2d(Float32Array.from({ length: 32 * 6 }, () => Math.floor(r() * 40)), [32, 6]);
    return { m, x, loss: 'categoricalCrossentropy', classes: 3 };
  },
};

function gradsOn(backend, m, x, y) {
  tf.setBackend(backend);
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true })),
      m.trainableWeights.map((w) => w.read()));
    return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, Array.from(g.dataSync())]));
  });
}

const out = {};
for (const [name, make] of Object.entries(models)) {
  tf.setBackend('wasm');
  const r = rng(name.length * 1000 + 17);
  const { m, x, loss, classes } = make(r);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: x.shape[0] }, () => Math.floor(r() * classes)), 'int32'), classes);
  // Logits for the gradient comparison: the softmax is the model's last activation, so
  // compare gradients of softmax cross-entropy on the model output (any smooth loss works).
  const gw = gradsOn('wasm', m, x, y);
  const gc = gradsOn('cpu', m, x, y);
  // tfjs-backend-cpu accumulates its sums in JS numbers (float64), wasm in float32: the
  // cpu gradients stand for the exact ones, and wasm's may differ from them by its own
  // float32 rounding, which a batch norm's or a bias's sum over many positions amplifies
  // where its terms cancel. That rounding is measured on wasm itself: the same batch in
  // other orders (the same gradients in exact arithmetic, summed in other orders).
  const spread = Object.fromEntries(Object.keys(gw).map((k) => [k, 0]));
  for (let t = 0; t < 3; t++) {
    const pr = rng(1000 + t);
    const order = Array.from({ length: x.shape[0] }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(pr() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
    const [xp, yp] = tf.tidy(() => { const idx = tf.tensor1d(order, 'int32'); return [tf.gather(x, idx), tf.gather(y, idx)]; });
    const gp = gradsOn('wasm', m, xp, yp);
    tf.dispose([xp, yp]);
    for (const k of Object.keys(gw)) for (let i = 0; i < gw[k].length; i++) spread[k] = Math.max(spread[k], Math.abs(gp[k][i] - gw[k][i]));
  }
  let maxAbs = 0, maxRel = 0, worst = '';
  const variables = {};
  for (const k of Object.keys(gw)) {
    const a = gw[k], b = gc[k];
    let scale = 0, err = 0;
    for (let i = 0; i < a.length; i++) { scale = Math.max(scale, Math.abs(b[i])); err = Math.max(err, Math.abs(a[i] - b[i])); }
    const rel = err / Math.max(scale, 1e-30);
    if (err > maxAbs) { maxAbs = err; worst = k; }
    maxRel = Math.max(maxRel, rel);
    variables[k] = { err, spread: spread[k], scale };
  }
  tf.setBackend('wasm');
  m.compile({ optimizer: tf.train.adam(0.01), loss });
  const losses = [];
  const tensors = [];
  for (let epoch = 0; epoch < 12; epoch++) {
    const h = await m.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
    losses.push(h.history.loss[0]);
    tensors.push(tf.memory().numTensors);
  }
  out[name] = { maxAbsGradDiff: maxAbs, maxRelGradDiff: maxRel, worstVariable: worst, variables, losses, tensors };
  tf.dispose([x, y]);
  m.dispose();
}
// Dilated gradients on 'cpu' come from fsam-edge's composition of forward ops; on 'wasm'
// from its kernels. They must agree.
out.dilatedCpuVsWasm = [];
for (const [depthwise, d, pad, fmt] of [[false, [2, 2], 'same', 'NHWC'], [false, [2, 3], 'valid', 'NHWC'],
  [true, [2, 2], 'same', 'NHWC'], [true, [3, 2], 'valid', 'NHWC'], [true, [2, 2], [[0, 0], [2, 1], [0, 3], [0, 0]], 'NHWC'],
  [false, [2, 2], [[0, 0], [4, 0], [1, 5], [0, 0]], 'NHWC'], [false, [2, 2], 'same', 'NCHW'],
  [false, [3, 2], [[0, 0], [0, 0], [1, 2], [3, 0]], 'NCHW']]) {
  const r = rng(out.dilatedCpuVsWasm.length + 5);
  const xs = fmt === 'NCHW' ? [2, 3, 9, 10] : [2, 9, 10, 3];
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 9 * 10 * 3 }, () => r() * 2 - 1), xs);
  const f = tf.tensor4d(Float32Array.from({ length: 3 * 2 * 3 * 2 }, () => r() * 2 - 1), [3, 2, 3, 2]);
  const fwd = depthwise ? (a, b) => tf.depthwiseConv2d(a, b, 1, pad, 'NHWC', d) : (a, b) => tf.conv2d(a, b, 1, pad, fmt, d);
  const grads = (backend) => {
    tf.setBackend(backend);
    return tf.tidy(() => tf.grads((a, b) => tf.sum(tf.square(fwd(a, b))))([x, f]).map((g) => Array.from(g.dataSync())));
  };
  const a = grads('wasm'), b = grads('cpu');
  let worst = 0;
  for (let j = 0; j < 2; j++) {
    let scale = 0, err = 0;
    for (let i = 0; i < a[j].length; i++) { scale = Math.max(scale, Math.abs(b[j][i])); err = Math.max(err, Math.abs(a[j][i] - b[j][i])); }
    worst = Math.max(worst, err / scale);
  }
  out.dilatedCpuVsWasm.push({ depthwise, d, pad, fmt, maxRel: worst });
  tf.setBackend('wasm');
  tf.dispose([x, f]);
}
console.log(JSON.stringify(out));

// Gradients of dilated convs with the app's own tfjs (argv[2]: the backend; argv[3]
// 'app-gradient': the app registered its own fused-conv gradient first). tfjs-core's
// fused conv2d and depthwiseConv2d (tf.fused.*, and tfjs-layers' Conv2D with a linear
// activation) record a gradient that rejects dilations > 1; after ready() they have one.
// Prints the gradients of a loss Σ y·w (so dL/dy = w) for the test to hold against a
// float64 reference, the undilated fused gradient against its unfused twin, a tfjs-layers
// fit, and what a gradient the app registered itself under the op's name still does.
import { tf, tfl } from './app_tfjs.mjs';
import { ready } from 'fsam-edge';

const [backend, mode] = process.argv.slice(2);
// The app's own gradient for the fused conv, registered before ready(): it must keep the undilated convs.
let appGradientCalls = 0;
const appOwn = mode === 'app-gradient';
if (appOwn) {
  tf.registerGradient({ kernelName: 'fusedConv2d__op', gradFunc: (dy, saved) => {
    appGradientCalls++;
    return { 0: () => tf.zerosLike(saved[1]), 1: () => tf.zerosLike(saved[0]), 2: () => tf.zerosLike(saved[3]) };
  } });
}
await ready({ keepBackend: true });
await tf.setBackend(backend);

/** The values the test's reference uses too: v(i) = ((i·7919 + seed) mod 13 − 6) / 6.5. */
const values = (shape, seed) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 7919 + seed) % 13 - 6) / 6.5), shape);
const list = (t) => Array.from(t.dataSync());

const CASES = [
  { op: 'conv2d', x: [2, 9, 9, 3], f: [3, 3, 3, 4], dilations: [2, 2], pad: 'same' },
  { op: 'conv2d', x: [1, 10, 8, 2], f: [2, 3, 2, 3], dilations: [3, 2], pad: 'valid' },
  { op: 'depthwiseConv2d', x: [2, 9, 9, 3], f: [3, 3, 3, 2], dilations: [2, 2], pad: 'same' },
];

if (appOwn) {
  const x = values([1, 6, 6, 2], 9), f = values([3, 3, 2, 2], 10), bias = values([2], 11);
  const grad = (dilations) => tf.grads((xx, ff, bb) => tf.sum(tf.fused.conv2d({ x: xx, filter: ff, bias: bb, strides: 1, pad: 'same', dilations })))([x, f, bias]);
  const dilated = grad(2);
  const afterDilated = appGradientCalls;
  const undilated = grad(1);
  console.log(JSON.stringify({ appGradient: {
    dilatedCalls: afterDilated, dilatedNonZero: list(dilated[1]).some((v) => v !== 0),
    undilatedCalls: appGradientCalls - afterDilated, undilatedZero: list(undilated[1]).every((v) => v === 0),
  } }));
  process.exit(0);
}

const out = { backend: tf.getBackend(), cases: [] };
for (const c of CASES) {
  const x = values(c.x, 1), f = values(c.f, 2);
  const co = c.op === 'conv2d' ? c.f[3] : c.f[2] * c.f[3];
  const bias = values([co], 3);
  const run = (xx, ff, bb) => tf.fused[c.op]({ x: xx, filter: ff, bias: bb, strides: 1, pad: c.pad, dilations: c.dilations });
  const w = values(run(x, f, bias).shape, 4);
  const [dx, df, db] = tf.grads((xx, ff, bb) => tf.sum(tf.mul(run(xx, ff, bb), w)))([x, f, bias]);
  out.cases.push({ ...c, yShape: w.shape, dx: list(dx), df: list(df), db: list(db) });
}

// Undilated fused convs keep tfjs's gradient: the same bits as the unfused conv and add.
{
  const x = values([2, 7, 7, 3], 5), f = values([3, 3, 3, 4], 6), bias = values([4], 7);
  const w = values([2, 4, 4, 4], 8); // Σ y·w: dL/dy = w, whatever bits the forward passes give
  const fused = tf.grads((xx, ff, bb) => tf.sum(tf.mul(tf.fused.conv2d({ x: xx, filter: ff, bias: bb, strides: 2, pad: 'same' }), w)))([x, f, bias]);
  const unfused = tf.grads((xx, ff, bb) => tf.sum(tf.mul(tf.add(tf.conv2d(xx, ff, 2, 'same'), bb), w)))([x, f, bias]);
  out.undilatedSameBits = fused.every((g, i) => list(g).every((v, j) => Object.is(v, list(unfused[i])[j])));
}

// tfjs-layers: a dilated Conv2D with a linear activation (the fused op) trains.
{
  const model = tfl.sequential({ layers: [
    tfl.layers.conv2d({ inputShape: [9, 9, 2], filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
    tfl.layers.depthwiseConv2d({ kernelSize: 3, dilationRate: 2, padding: 'same', depthwiseInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
    tfl.layers.flatten(), tfl.layers.dense({ units: 1, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
  ] });
  model.compile({ optimizer: tf.train.sgd(1e-3), loss: 'meanSquaredError' });
  const h = await model.fit(values([4, 9, 9, 2], 8), tf.zeros([4, 1]), { epochs: 3, batchSize: 4, verbose: 0 });
  out.layersLoss = h.history.loss;
}

console.log(JSON.stringify(out));

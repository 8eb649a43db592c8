// Micro-batching (accumulate: k): each pass sums the mean gradient of k micro-batches in
// the arena, so a step over k micro-batches of 8 is the step over their batch of 32,
// up to float32 summation order; refused steps leave weights and state bit for bit; the
// steady state allocates nothing; a loss that cannot be split is refused by name.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ready, tf, layers, FSAM, SAM, SGD, AdamW, microBatchLoss, NonFiniteGradientError, wasmMemory } from '../dist/fsam-edge.js';

await ready();
const s = suite('micro-batching');
let unique = 0;

/** An MLP 20-32-16-5 without BatchNorm (tanh, relu), seeded, and its mean softmax cross-entropy. */
function mlp() {
  const tag = `acc${unique++}`;
  const shapes = [[20, 32], [32], [32, 16], [16], [16, 5], [5]];
  const vars = shapes.map((sh, i) => tf.tidy(() => tf.variable(tf.randomNormal(sh, 0, 0.3, 'float32', 10 + i), true, `${tag}/v${i}`)));
  const loss = (x, y) => {
    const h1 = tf.tanh(tf.add(tf.matMul(x, vars[0]), vars[1]));
    const h2 = tf.relu(tf.add(tf.matMul(h1, vars[2]), vars[3]));
    return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h2, vars[4]), vars[5]));
  };
  return { vars, loss, values: () => vars.map((v) => Array.from(v.dataSync())), dispose: () => tf.dispose(vars) };
}

function batches(count, n) {
  return Array.from({ length: count }, (_, t) => ({
    x: tf.randomNormal([n, 20], 0, 1, 'float32', 100 + t),
    y: tf.tidy(() => tf.oneHot(tf.randomUniform([n], 0, 5, 'int32', 200 + t), 5)),
  }));
}

const CONFIGS = {
  'FSAM (SGD-m)': (extra) => new FSAM({ learningRate: 0.05, rho: 0.1, ...extra }),
  'FSAM (AdamW)': (extra) => new FSAM({ learningRate: 0.01, rho: 0.1, base: 'adamw', ...extra }),
  'FSAM lowMemory': (extra) => new FSAM({ learningRate: 0.05, rho: 0.1, lowMemory: true, ...extra }),
  'SAM adaptive': (extra) => new SAM({ learningRate: 0.05, rho: 0.5, adaptive: true, ...extra }),
  'SGD': (extra) => new SGD({ learningRate: 0.05, ...extra }),
  'AdamW': (extra) => new AdamW({ learningRate: 0.01, ...extra }),
};

const maxDiff = (a, b) => Math.max(...a.flatMap((v, i) => v.map((x, j) => Math.abs(x - b[i][j]))));

for (const [name, make] of Object.entries(CONFIGS)) {
  s(`${name}: 4 micro-batches of 8 give the weights of one batch of 32, within float32 summation error`, () => {
    const data = batches(6, 32);
    const whole = mlp(), micro = mlp();
    const a = make(), b = make({ accumulate: 4 });
    let lossGap = 0;
    for (const { x, y } of data) {
      const la = a.minimize(() => whole.loss(x, y), true, whole.vars);
      const lb = b.minimize(microBatchLoss(4, x, y, micro.loss), true, micro.vars);
      lossGap = Math.max(lossGap, Math.abs(la.dataSync()[0] - lb.dataSync()[0]));
      tf.dispose([la, lb]);
    }
    const diff = maxDiff(whole.values(), micro.values());
    // Float32 sums of 32 products against 4 × 8 then a mean: a few units in the last place
    // of the gradients, carried through 6 steps. The low-memory mode keeps m and the
    // momentum in bf16 (8 bits): a last-place difference can turn a rounding, and one bf16
    // step of b moves w by lr·|b|·2⁻⁸ ≈ 1e-4 here.
    const bound = name.includes('lowMemory') ? 2e-4 : 5e-7; // measured: 6e-8…1.2e-7, and 4.4e-5 in bf16
    assert.ok(diff < bound, `weights differ by ${diff}`);
    assert.ok(lossGap < 1e-6, `the returned loss is the batch's mean: differs by ${lossGap}`);
    // What the bound distinguishes: the first micro-batch alone gives other weights.
    const one = mlp(), c = make();
    for (const { x, y } of data) c.minimize(() => tf.tidy(() => one.loss(tf.slice(x, 0, 8), tf.slice(y, 0, 8))), false, one.vars);
    const apart = maxDiff(whole.values(), one.values());
    assert.ok(apart > 50 * bound, `one micro-batch alone is a different step (${apart})`);
    tf.dispose(data.flatMap((d) => [d.x, d.y]));
    [a, b, c].forEach((o) => o.dispose());
    [whole, micro, one].forEach((m) => m.dispose());
  });
}

s('a batch k does not divide: slices of 8, 8, 7 and 7, weighted, give the whole batch\'s step', () => {
  const data = batches(4, 30);
  const whole = mlp(), micro = mlp();
  const a = new FSAM({ learningRate: 0.05, rho: 0.1 }), b = new FSAM({ learningRate: 0.05, rho: 0.1, accumulate: 4 });
  for (const { x, y } of data) {
    a.minimize(() => whole.loss(x, y), false, whole.vars);
    b.minimize(microBatchLoss(4, x, y, micro.loss), false, micro.vars);
  }
  const diff = maxDiff(whole.values(), micro.values());
  assert.ok(diff < 5e-7, `weights differ by ${diff}`);
  tf.dispose(data.flatMap((d) => [d.x, d.y]));
  [a, b].forEach((o) => o.dispose());
  [whole, micro].forEach((m) => m.dispose());
});

s('after the first step, steps over micro-batches create no tensor and do not grow the wasm heap', () => {
  const m = mlp(), data = batches(3, 32), opt = new FSAM({ accumulate: 4, learningRate: 0.05 });
  const step = (t) => opt.minimize(microBatchLoss(4, data[t % 3].x, data[t % 3].y, m.loss), false, m.vars);
  step(0);
  const tensors = tf.memory().numTensors, heap = wasmMemory().buffer.byteLength;
  for (let t = 1; t < 200; t++) step(t);
  assert.is(tf.memory().numTensors, tensors, 'tensor count');
  assert.is(wasmMemory().buffer.byteLength, heap, 'wasm heap bytes');
  assert.equal(Object.keys(opt.memory().bytesPerKind).sort(), ['ema', 'grad', 'grad2', 'momentum', 'wold']);
  opt.dispose(); m.dispose(); tf.dispose(data.flatMap((d) => [d.x, d.y]));
});

s('a non-finite gradient in any micro-batch of either pass leaves weights and state bit for bit', async () => {
  for (const pass of [1, 2]) {
    const m = mlp(), data = batches(2, 32), opt = new FSAM({ accumulate: 4, learningRate: 0.05 });
    opt.minimize(microBatchLoss(4, data[0].x, data[0].y, m.loss), false, m.vars);
    const weights = m.values();
    const state = (await opt.getWeights()).map((w) => [w.name, Array.from(w.tensor.dataSync())]);
    let calls = 0;
    const clean = microBatchLoss(4, data[1].x, data[1].y, m.loss);
    const poisoned = (i) => (++calls === (pass - 1) * 4 + 3 ? tf.mul(clean(i), tf.scalar(NaN)) : clean(i));
    assert.throws(() => opt.minimize(poisoned, false, m.vars), (e) => e instanceof NonFiniteGradientError && e.pass === pass);
    assert.equal(m.values(), weights, `pass ${pass}: weights`);
    assert.equal((await opt.getWeights()).map((w) => [w.name, Array.from(w.tensor.dataSync())]), state, `pass ${pass}: state`);
    assert.is(opt.iterations, 1);
    opt.dispose(); m.dispose(); tf.dispose(data.flatMap((d) => [d.x, d.y]));
  }
});

s('bad input: accumulate is an integer >= 1; a loss of no argument cannot be split; micro-batches are equal', () => {
  for (const bad of [0, 1.5, -2, NaN, '4']) assert.throws(() => new FSAM({ accumulate: bad }), (e) => e instanceof RangeError && e.message.includes(`got ${bad}`));
  const m = mlp(), [{ x, y }] = batches(1, 30);
  const opt = new FSAM({ accumulate: 3 });
  assert.throws(() => opt.minimize(() => m.loss(x, y), false, m.vars), (e) => e instanceof TypeError && /accumulate: 3.*takes no argument.*fit\(\)/.test(e.message));
  assert.throws(() => microBatchLoss(31, x, y, m.loss), (e) => e instanceof RangeError && /batch of 30 cannot be split into 31/.test(e.message));
  assert.throws(() => microBatchLoss(3, x, tf.zeros([29, 5]), m.loss), /same first dimension/);
  assert.equal(new FSAM({ accumulate: 3 }).getConfig().accumulate, 3);
  opt.dispose(); m.dispose(); tf.dispose([x, y]);
});

s('through tfjs-layers\' fit(), accumulate > 1 is refused at the first step, naming fit, and nothing changes', async () => {
  const model = layers.sequential({ layers: [layers.layers.dense({ units: 3, inputShape: [4] })] });
  model.compile({ optimizer: new FSAM({ accumulate: 2 }), loss: 'meanSquaredError' });
  const before = model.getWeights().map((w) => Array.from(w.dataSync()));
  const x = tf.ones([8, 4]), y = tf.zeros([8, 3]);
  let error;
  try { await model.fit(x, y, { batchSize: 8, epochs: 1, verbose: 0 }); } catch (e) { error = e; }
  assert.ok(error instanceof TypeError && /accumulate: 2.*fit\(\)/.test(error.message), String(error));
  assert.equal(model.getWeights().map((w) => Array.from(w.dataSync())), before);
  tf.dispose([x, y]); model.dispose();
});

s.run();

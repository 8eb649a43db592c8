// F-SAM and SAM as tfjs optimizers through the public API: the official trajectories,
// allocation-free steady state, resume, serialization, and bad input.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ready, tf, FSAM, SAM, MemoryBudgetError, NonFiniteGradientError, wasmMemory } from '../dist/fsam-edge.js';
import { loadGolden } from './support/golden_mlp.mjs';

await ready();
const NAMES = ['W1', 'b1', 'W2', 'b2'];
let unique = 0;

/** The golden MLP as tfjs variables, and its loss on one batch. */
function mlp(init, shapes) {
  const tag = `mlp${unique++}`;
  const v = Object.fromEntries(NAMES.map((k) => [k, tf.variable(tf.tensor(init[k], shapes[k]), true, `${tag}/${k}`)]));
  const loss = (x, y) => () => {
    const h = tf.tanh(tf.add(tf.matMul(x, v.W1), v.b1));
    return tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), tf.add(tf.matMul(h, v.W2), v.b2));
  };
  return { v, list: NAMES.map((k) => v[k]), loss, dispose: () => NAMES.forEach((k) => v[k].dispose()) };
}

function optimizerFor(gold, extra = {}) {
  const hp = gold.hyperparameters;
  const common = { learningRate: hp.learningRate, momentum: hp.momentum, weightDecay: hp.weightDecay, rho: hp.rho, ...extra };
  return gold.optimizer === 'fsam' ? new FSAM({ ...common, sigma: hp.sigma, lambda: hp.lambda }) : new SAM(common);
}

function batchTensors(b) {
  return { x: tf.tensor(b.x, b.xShape), y: tf.tensor1d(b.y, 'int32') };
}

const s = suite('tfjs optimizers');

for (const name of ['fsam_sgd_sigma1', 'sam_sgd']) {
  s(`${name}: the public API reproduces the official trajectory within 5e-6 at every step`, () => {
    const gold = loadGolden(name);
    const m = mlp(gold.init, gold.shapes);
    const opt = optimizerFor(gold);
    gold.batches.forEach((b, t) => {
      const { x, y } = batchTensors(b);
      const loss = opt.minimize(m.loss(x, y), true, m.list);
      assert.ok(Math.abs(loss.dataSync()[0] - gold.lossBeforeEachStep[t]) < 5e-6, `step ${t + 1} loss`);
      for (const k of NAMES) {
        const got = m.v[k].dataSync(), want = gold.weightsAfterEachStep[t][k];
        for (let i = 0; i < want.length; i++) {
          if (!(Math.abs(got[i] - want[i]) < 5e-6)) assert.unreachable(`step ${t + 1} ${k}[${i}]: ${got[i]} vs ${want[i]}`);
        }
      }
      tf.dispose([loss, x, y]);
    });
    assert.is(opt.iterations, gold.batches.length);
    opt.dispose(); m.dispose();
  });
}

s('after the first step, 1,000 steps create no tensor and do not grow the wasm heap', () => {
  const gold = loadGolden('fsam_sgd_sigma1');
  const m = mlp(gold.init, gold.shapes);
  const opt = optimizerFor(gold);
  const batches = gold.batches.map(batchTensors);
  opt.minimize(m.loss(batches[0].x, batches[0].y), false, m.list);
  const tensors = tf.memory().numTensors, heap = wasmMemory().buffer.byteLength;
  for (let t = 0; t < 1000; t++) {
    const { x, y } = batches[t % batches.length];
    opt.minimize(m.loss(x, y), false, m.list);
  }
  assert.is(tf.memory().numTensors, tensors, 'tensor count');
  assert.is(wasmMemory().buffer.byteLength, heap, 'wasm heap bytes');
  assert.is(opt.iterations, 1001);
  opt.dispose(); m.dispose(); tf.dispose(batches.flatMap((b) => [b.x, b.y]));
});

s('lowMemory: ≤ 8 bytes of state per parameter, no tensor or heap growth, close to the official trajectory', () => {
  const gold = loadGolden('fsam_sgd_sigma1');
  const m = mlp(gold.init, gold.shapes);
  const opt = optimizerFor(gold, { lowMemory: true });
  const batches = gold.batches.map(batchTensors);
  let worst = 0;
  gold.batches.forEach((_, t) => {
    opt.minimize(m.loss(batches[t].x, batches[t].y), false, m.list);
    for (const k of NAMES) {
      const got = m.v[k].dataSync(), want = gold.weightsAfterEachStep[t][k];
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    }
  });
  assert.ok(worst < 1e-2, `bf16 state drifts ${worst} from the float32 trajectory over 12 steps`);
  const report = opt.memory();
  // m and b in bf16; g (the first pass's gradient, scratch within a step) in the arena too.
  assert.equal(Object.keys(report.bytesPerKind).sort(), ['ema_bf16', 'grad', 'momentum_bf16']);
  assert.ok(report.stateBytes <= 8 * report.parameters, `${report.stateBytes} state bytes for ${report.parameters} parameters`);
  const tensors = tf.memory().numTensors, heap = wasmMemory().buffer.byteLength;
  for (let t = 0; t < 200; t++) opt.minimize(m.loss(batches[t % 12].x, batches[t % 12].y), false, m.list);
  assert.is(tf.memory().numTensors, tensors, 'tensor count');
  assert.is(wasmMemory().buffer.byteLength, heap, 'wasm heap bytes');
  opt.dispose(); m.dispose(); tf.dispose(batches.flatMap((b) => [b.x, b.y]));
});

s('lowMemory: a full-mode checkpoint loads (m and momentum rounded to bf16) and saves back under the same names', async () => {
  const v = tf.variable(tf.tensor1d([1, 2, 3, 4, 5]), true, `cross${unique++}`);
  const loss = () => tf.sum(tf.square(v));
  const full = new FSAM({ learningRate: 0.1 });
  for (let i = 0; i < 3; i++) full.minimize(loss, false, [v]);
  const saved = await full.getWeights();
  const low = new FSAM({ learningRate: 0.1, lowMemory: true });
  await low.setWeights(saved);
  low.minimize(loss, false, [v]); // lays the arena out and applies the loaded state
  const back = await low.getWeights();
  assert.equal(back.map((w) => w.name), saved.map((w) => w.name));
  assert.is(low.iterations, 4);
  tf.dispose([...saved, ...back].map((w) => w.tensor));
  full.dispose(); low.dispose(); v.dispose();
});

s('weights written in place reach every op: matMul after a step uses the new weights', () => {
  const gold = loadGolden('sam_sgd');
  const m = mlp(gold.init, gold.shapes);
  const { x, y } = batchTensors(gold.batches[0]);
  tf.matMul(x, m.v.W1).dispose(); // let tfjs cache an operator on W1
  new SAM({ rho: 0.1 }).minimize(m.loss(x, y), false, m.list);
  const fresh = tf.tensor(m.v.W1.dataSync().slice(), m.v.W1.shape);
  assert.equal(Array.from(tf.matMul(x, m.v.W1).dataSync()), Array.from(tf.matMul(x, fresh).dataSync()));
  m.dispose(); tf.dispose([x, y, fresh]);
});

s('a variable sharing its initial tensor\'s data does not change that tensor', () => {
  const init = tf.tensor1d([1, 2, 3]);
  const v = tf.variable(init, true, `shared${unique++}`);
  new FSAM({ learningRate: 0.1 }).minimize(() => tf.sum(tf.square(v)), false, [v]);
  assert.equal(Array.from(init.dataSync()), [1, 2, 3]);
  assert.ok(v.dataSync()[0] !== 1);
  tf.dispose([init, v]);
});

s('getWeights / setWeights: stop at step 7, resume in a fresh optimizer, step 20 is bitwise identical', async () => {
  const gold = loadGolden('fsam_sgd_sigma1');
  const batches = Array.from({ length: 20 }, (_, t) => batchTensors(gold.batches[t % 12]));
  for (const extra of [{}, { base: 'adamw', learningRate: 0.01 }, { adaptive: true, nesterov: true }, { lowMemory: true }]) {
    const a = mlp(gold.init, gold.shapes), optA = optimizerFor(gold, extra);
    batches.forEach(({ x, y }) => optA.minimize(a.loss(x, y), false, a.list));

    const b = mlp(gold.init, gold.shapes), optB = optimizerFor(gold, extra);
    batches.slice(0, 7).forEach(({ x, y }) => optB.minimize(b.loss(x, y), false, b.list));
    const saved = await optB.getWeights();
    const savedWeights = NAMES.map((k) => b.v[k].dataSync().slice());
    optB.dispose();

    const c = mlp(gold.init, gold.shapes), optC = optimizerFor(gold, extra);
    NAMES.forEach((k, i) => c.v[k].assign(tf.tensor(savedWeights[i], gold.shapes[k])));
    // The resumed variables have other names: rename the saved slots to them.
    await optC.setWeights(saved.map(({ name, tensor }) => ({
      name: name === 'iter' ? name : name.replace(/^mlp\d+\//, c.v.W1.name.split('/')[0] + '/'), tensor,
    })));
    assert.is(optC.iterations, 7);
    batches.slice(7).forEach(({ x, y }) => optC.minimize(c.loss(x, y), false, c.list));
    for (const k of NAMES) {
      assert.equal(new Uint32Array(c.v[k].dataSync().buffer), new Uint32Array(a.v[k].dataSync().buffer), `${JSON.stringify(extra)} ${k}`);
    }
    tf.dispose(saved.map((w) => w.tensor));
    [a, b, c].forEach((m) => m.dispose()); optA.dispose(); optC.dispose();
  }
  tf.dispose(batches.flatMap((b) => [b.x, b.y]));
});

s('setWeights with a bad state is refused by name and changes nothing', async () => {
  const v = tf.variable(tf.tensor1d([1, -2, 3, 0.5]), true, `sw${unique++}`);
  const opt = new FSAM({ learningRate: 0.1 });
  const f = () => tf.sum(tf.square(v));
  for (let t = 0; t < 3; t++) opt.minimize(f, false, [v]);
  const snapshot = async () => (await opt.getWeights()).map(({ name, tensor }) => [name, Array.from(tensor.dataSync())]);
  const before = await snapshot(), weightsBefore = Array.from(v.dataSync());
  const iter = tf.scalar(9), short = tf.tensor1d([1, 2]), full = tf.tensor1d([1, 2, 3, 4]);
  for (const [bad, pattern] of [
    [[{ name: 'iter', tensor: iter }, { name: `${v.name}/ema`, tensor: short }], /has 2 values/],
    [[{ name: 'iter', tensor: iter }, { name: `${v.name}/bogus`, tensor: full }], /unknown optimizer weight/],
    [[{ name: 'iter', tensor: iter }, { name: `nosuch/ema`, tensor: full }], /names no variable/],
    [[{ name: `${v.name}/ema`, tensor: full }], /iter/],
  ]) {
    const err = await opt.setWeights(bad).then(() => null, (e) => e);
    assert.ok(err && pattern.test(err.message), `expected ${pattern}, got ${err?.message}`);
    assert.equal(await snapshot(), before);
    assert.is(opt.iterations, 3);
  }
  assert.equal(Array.from(v.dataSync()), weightsBefore);
  tf.dispose([v, iter, short, full]);
  opt.dispose();
});

s('getConfig / fromConfig round-trip; the classes are registered for serialization', () => {
  const opt = new FSAM({ learningRate: 0.02, rho: 0.1, sigma: 0.5, lambda: 0.9, base: 'adamw', adaptive: true, maxBytes: 1e6 });
  const config = opt.getConfig();
  const again = tf.serialization.SerializationMap.getMap().classNameMap.FSAM;
  assert.ok(again, 'FSAM is registered');
  const copy = again[1](again[0], config);
  assert.instance(copy, FSAM);
  assert.equal(copy.getConfig(), config);
  assert.is(config.sigma, 0.5);
  assert.ok(tf.serialization.SerializationMap.getMap().classNameMap.SAM, 'SAM is registered');
  assert.not.ok('sigma' in new SAM().getConfig());
});

s('defaults follow the official run script', () => {
  const c = new FSAM().getConfig();
  assert.is(c.rho, 0.2); assert.is(c.sigma, 1); assert.is(c.lambda, 0.6);
  assert.is(c.base, 'sgd'); assert.is(c.momentum, 0.9); assert.is(c.weightDecay, 5e-4);
});

s('bad input: clear errors, and weights and state unchanged', () => {
  const v = tf.variable(tf.tensor1d([1, 2, 3, 4]), true, `bad${unique++}`);
  const opt = new FSAM();
  assert.throws(() => opt.applyGradients({}), /minimize/);
  assert.throws(() => new FSAM({ rho: -1 }), (e) => e instanceof RangeError && /rho.*-1/.test(e.message));
  assert.throws(() => new FSAM({ lambda: 1 }), (e) => e instanceof RangeError && /lambda.*1/.test(e.message));
  assert.throws(() => new SAM({ sigma: 1 }), /sigma/);
  assert.throws(() => opt.minimize(() => tf.square(v), false, [v]), /scalar.*shape \[4\]/);
  const i = tf.variable(tf.tensor1d([1, 2], 'int32'), true, `int${unique++}`);
  assert.throws(() => opt.minimize(() => tf.sum(v), false, [i]), /int32/);
  const gone = tf.variable(tf.tensor1d([1]), true, `gone${unique++}`);
  gone.dispose();
  assert.throws(() => opt.minimize(() => tf.sum(v), false, [gone]), /disposed/);
  opt.minimize(() => tf.sum(tf.square(v)), false, [v]);
  const before = v.dataSync().slice();
  const err = (() => { try { opt.minimize(() => tf.sum(tf.mul(v, tf.scalar(NaN))), false, [v]); } catch (e) { return e; } })();
  assert.instance(err, NonFiniteGradientError);
  assert.equal(Array.from(v.dataSync()), Array.from(before));
  // maxBytes is the whole run's: the tensors in use, the state (m, w_old, b: 3 × 16 bytes) and g, g₂ (2 × 16).
  const inUse = tf.memory().numBytes;
  assert.throws(() => new FSAM({ maxBytes: 10 }).minimize(() => tf.sum(tf.square(v)), false, [v]),
    (e) => e instanceof MemoryBudgetError && e.availableBytes === 10 && e.parts['optimizer state'] === 48 && e.parts.tensors === inUse &&
      e.parts.gradients === 32 && e.neededBytes === inUse + 80 && /needs \d+ bytes .* budget allows 10 bytes/.test(e.message));
  assert.equal(Array.from(v.dataSync()), Array.from(before));
  tf.dispose([v, i]);
});

s('a non-finite second-pass gradient restores w_old, and ops see the restored weights', () => {
  const W = tf.variable(tf.tensor2d([[1, 2], [3, 4]]), true, `W${unique++}`);
  const x = tf.tensor2d([[1, 0], [0, 1]]);
  const opt = new FSAM({ learningRate: 0.1 });
  const f = () => tf.sum(tf.square(tf.matMul(x, W)));
  opt.minimize(f, false, [W]);
  const before = W.dataSync().slice();
  tf.matMul(x, W).dispose(); // an operator cached on W's bytes
  let call = 0;
  const poisoned = () => (++call === 2 ? tf.mul(f(), tf.scalar(NaN)) : f());
  assert.throws(() => opt.minimize(poisoned, false, [W]), (e) => e instanceof NonFiniteGradientError && e.pass === 2);
  assert.equal(Array.from(W.dataSync()), Array.from(before));
  assert.equal(Array.from(tf.matMul(x, W).dataSync()), Array.from(before));
  assert.is(opt.iterations, 1);
  tf.dispose([W, x]);
});

s('a new set of variables lays the arena out anew, carrying state over by name', () => {
  const a = tf.variable(tf.tensor1d([1, 2, 3]), true, `a${unique++}`);
  const b = tf.variable(tf.tensor1d([4, 5]), true, `b${unique++}`);
  const opt = new FSAM({ learningRate: 0.1 });
  const f = () => tf.add(tf.sum(tf.square(a)), tf.sum(tf.square(b)));
  opt.minimize(f, false, [a]);
  assert.is(opt.memory().parameters, 3);
  opt.minimize(f, false, [a, b]);
  assert.is(opt.memory().parameters, 5);
  assert.is(opt.iterations, 2);
  tf.dispose([a, b]);
});

s.run();

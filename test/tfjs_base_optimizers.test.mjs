// SGD and AdamW, the base optimizers alone as tfjs optimizers (the baseline FSAM and SAM
// are compared with): float64 trajectories on the golden MLP, SAM at ρ = 0 bit for bit,
// no tensors per step, serialization, and bad options.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ready, tf, SGD, AdamW, SAM } from '../dist/fsam-edge.js';
import { loadGolden, mlpLossAndGrads } from './support/golden_mlp.mjs';

await ready();
const NAMES = ['W1', 'b1', 'W2', 'b2'];
const gold = loadGolden('sam_sgd'); // its init and batches; the optimizer here is ours
let unique = 0;

function mlp() {
  const tag = `base${unique++}`;
  const v = Object.fromEntries(NAMES.map((k) => [k, tf.variable(tf.tensor(gold.init[k], gold.shapes[k]), true, `${tag}/${k}`)]));
  const loss = (b) => () => tf.tidy(() => {
    const x = tf.tensor(b.x, b.xShape), y = tf.tensor1d(b.y, 'int32');
    const h = tf.tanh(tf.add(tf.matMul(x, v.W1), v.b1));
    return tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), tf.add(tf.matMul(h, v.W2), v.b2));
  });
  return { v, list: NAMES.map((k) => v[k]), loss, dispose: () => NAMES.forEach((k) => v[k].dispose()) };
}

/** The same steps in float64: PyTorch's SGD (p = g + wd·w, b = p then μ·b + p) or AdamW. */
function reference(kind, hp) {
  const w = NAMES.map((k) => Float64Array.from(gold.init[k]));
  const g = w.map((a) => new Float64Array(a.length));
  const s1 = w.map((a) => new Float64Array(a.length)), s2 = w.map((a) => new Float64Array(a.length));
  const after = [];
  gold.batches.forEach((batch, t0) => {
    const t = t0 + 1;
    mlpLossAndGrads(w, batch, g);
    w.forEach((wi, i) => {
      for (let j = 0; j < wi.length; j++) {
        if (kind === 'sgd') {
          const p = g[i][j] + hp.weightDecay * wi[j];
          s1[i][j] = t === 1 ? p : hp.momentum * s1[i][j] + p;
          const d = hp.nesterov ? p + hp.momentum * s1[i][j] : s1[i][j];
          wi[j] -= hp.learningRate * d;
        } else {
          wi[j] *= 1 - hp.learningRate * hp.weightDecay;
          s1[i][j] = 0.9 * s1[i][j] + 0.1 * g[i][j];
          s2[i][j] = 0.999 * s2[i][j] + 0.001 * g[i][j] ** 2;
          const mhat = s1[i][j] / (1 - 0.9 ** t), vhat = s2[i][j] / (1 - 0.999 ** t);
          wi[j] -= hp.learningRate * mhat / (Math.sqrt(vhat) + 1e-8);
        }
      }
    });
    after.push(w.map((a) => Float64Array.from(a)));
  });
  return after;
}

const s = suite('SGD and AdamW (the base optimizers alone)');

const CASES = [
  { name: 'SGD, momentum 0.9', make: (hp) => new SGD(hp), kind: 'sgd', hp: { learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4 } },
  { name: 'SGD, nesterov', make: (hp) => new SGD(hp), kind: 'sgd', hp: { learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 } },
  { name: 'SGD, no momentum', make: (hp) => new SGD(hp), kind: 'sgd', hp: { learningRate: 0.2, momentum: 0, weightDecay: 0 } },
  { name: 'AdamW', make: (hp) => new AdamW(hp), kind: 'adamw', hp: { learningRate: 0.01, weightDecay: 0.01 } },
];
for (const c of CASES) {
  s(`${c.name}: follows the float64 reference at every step of the golden batches`, () => {
    const want = reference(c.kind, { nesterov: false, ...c.hp });
    const m = mlp();
    const opt = c.make(c.hp);
    let worst = 0;
    gold.batches.forEach((b, t) => {
      tf.dispose(opt.minimize(m.loss(b), true, m.list));
      NAMES.forEach((k, i) => {
        const got = m.v[k].dataSync();
        for (let j = 0; j < got.length; j++) worst = Math.max(worst, Math.abs(got[j] - want[t][i][j]));
      });
    });
    assert.ok(worst < 2e-5, `${c.name}: worst |w − w64| over ${gold.batches.length} steps ${worst}`);
    assert.ok(worst > 0, 'float32 against float64 cannot agree exactly: is the reference being compared?');
    assert.is(opt.iterations, gold.batches.length);
    opt.dispose(); m.dispose();
  });
}

s('SGD takes exactly the step SAM takes at ρ = 0 (the same base, bit for bit)', () => {
  const hp = { learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4 };
  const a = mlp(), b = mlp();
  const sgd = new SGD(hp), sam = new SAM({ ...hp, rho: 0 });
  for (const batch of gold.batches.slice(0, 6)) {
    tf.dispose([sgd.minimize(a.loss(batch), true, a.list), sam.minimize(b.loss(batch), true, b.list)]);
  }
  for (const k of NAMES) assert.equal(Array.from(a.v[k].dataSync()), Array.from(b.v[k].dataSync()), k);
  sgd.dispose(); sam.dispose(); a.dispose(); b.dispose();
});

s('after the first step, steps create no tensors', () => {
  const m = mlp();
  const opt = new SGD();
  const batch = gold.batches[0];
  tf.dispose(opt.minimize(m.loss(batch), true, m.list));
  const before = tf.memory().numTensors;
  for (let i = 0; i < 50; i++) opt.minimize(m.loss(batch), false, m.list);
  assert.is(tf.memory().numTensors, before);
  opt.dispose(); m.dispose();
});

s('config round trip, and options that belong to SAM or the other base are refused by name', () => {
  const sgd = new SGD({ learningRate: 0.02, momentum: 0.8, nesterov: true });
  const again = SGD.fromConfig(SGD, sgd.getConfig());
  assert.equal(again.getConfig(), sgd.getConfig());
  assert.not.ok('rho' in sgd.getConfig());
  assert.is(sgd.getClassName(), 'FsamEdgeSGD');
  assert.not.ok('momentum' in new AdamW().getConfig());
  for (const [make, re] of [
    [() => new SGD({ rho: 0.1 }), /SGD has no option 'rho'/],
    [() => new SGD({ beta1: 0.9 }), /SGD has no option 'beta1'/],
    [() => new AdamW({ momentum: 0.9 }), /AdamW has no option 'momentum'/],
    [() => new SGD({ learningRate: -1 }), /learningRate must be finite and > 0, got -1/],
    [() => new SGD(null), /options must be an object, got null/],
  ]) assert.throws(make, re);
});

s.run();

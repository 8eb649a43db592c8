// Bad input: hyperparameters fail at construction with a RangeError naming the value;
// a non-finite gradient raises a typed error (or is skipped and counted) and leaves
// weights, m and the base optimizer's state bit for bit as they were.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOptimizer, resolveHyperparams, NonFiniteGradientError, NonFinitePerturbationError, SharpnessStep, LowMemorySharpnessStep, createStep } from '../dist/core.js';
import { rng } from './support/random.mjs';

const s = suite('errors');

const BAD = [
  ['rho', -0.1], ['rho', NaN], ['rho', Infinity], ['lambda', 1], ['lambda', -0.01], ['lambda', NaN],
  ['sigma', Infinity], ['sigma', NaN], ['learningRate', 0], ['learningRate', -1], ['learningRate', NaN],
  ['momentum', 1], ['momentum', -0.5], ['beta1', 1], ['beta2', -0.1], ['beta2', 1.5], ['epsilon', 0],
  ['epsilon', -1e-8], ['weightDecay', -1e-4], ['weightDecay', Infinity], ['sharpness', 'asam'], ['base', 'adam'],
  ['onNonFinite', 'ignore'], ['adaptive', 'yes'], ['lowMemory', 'yes'],
];

for (const [key, value] of BAD) {
  s(`${key} = ${String(value)} is a RangeError naming the value`, async () => {
    const err = await createOptimizer({ variables: [{ name: 'w', size: 4 }], [key]: value }).catch((e) => e);
    assert.instance(err, RangeError);
    assert.match(err.message, key);
    assert.match(err.message, String(value));
  });
}

s('unknown options and bad variable specs are refused by name', async () => {
  assert.throws(() => resolveHyperparams({ learning_rate: 0.1 }), /learning_rate/);
  let err = await createOptimizer({ variables: [{ name: 'w', size: -3 }] }).catch((e) => e);
  assert.instance(err, RangeError); assert.match(err.message, '-3');
  err = await createOptimizer({ variables: [{ name: 'w', size: 3 }, { name: 'w', size: 2 }] }).catch((e) => e);
  assert.match(err.message, "'w'");
  err = await createOptimizer({ variables: 'w' }).catch((e) => e);
  assert.instance(err, TypeError);
});

s('lowMemory refuses AdamW and adaptive at construction, naming why', async () => {
  let err = await createOptimizer({ variables: [{ name: 'w', size: 4 }], lowMemory: true, base: 'adamw' }).catch((e) => e);
  assert.instance(err, RangeError); assert.match(err.message, 'lowMemory'); assert.match(err.message, 'adamw');
  err = await createOptimizer({ variables: [{ name: 'w', size: 4 }], lowMemory: true, adaptive: true }).catch((e) => e);
  assert.instance(err, RangeError); assert.match(err.message, 'adaptive'); assert.match(err.message, 'depends on w');
});

s('lowMemory: exportState/importState round-trips bf16 state exactly, and refuses a full-mode state', async () => {
  const make = (lowMemory) => createOptimizer({ variables: [{ name: 'w', size: 13 }], lowMemory, rho: 0.1 });
  const a = await make(true), b = await make(true), full = await make(false);
  const r = rng(3);
  for (const o of [a, b]) o.weights[0].set(Float32Array.from({ length: 13 }, () => r.normal()));
  b.weights[0].set(a.weights[0]);
  for (let t = 0; t < 3; t++) a.stepWith((w, g) => { g[0].set(w[0].map((x) => x - 0.5)); });
  const st = a.exportState();
  assert.equal(Object.keys(st.slabs).sort(), ['ema_bf16', 'momentum_bf16']);
  b.importState(st);
  b.weights[0].set(a.weights[0]);
  for (const o of [a, b]) o.stepWith((w, g) => { g[0].set(w[0].map((x) => x - 0.5)); });
  assert.equal([...b.weights[0]], [...a.weights[0]]);
  assert.throws(() => full.importState(st), /lowMemory/);
  for (const o of [a, b, full]) o.dispose();
});

s('lowMemory: a non-finite second gradient leaves m and momentum bit for bit, and w within two roundings', async () => {
  const r = rng(12);
  const opt = await createOptimizer({ variables: [{ name: 'w', size: 37 }], lowMemory: true, rho: 0.3 });
  opt.weights[0].set(Float32Array.from({ length: 37 }, () => r.normal()));
  for (let t = 0; t < 3; t++) opt.stepWith((w, g) => { g[0].set(w[0].map((x) => x - 1 + 0.1 * r.normal())); });
  const before = opt.exportState(), w0 = opt.weights[0].slice();
  let pass = 0;
  const err = (() => { try { opt.stepWith((w, g) => { pass++; g[0].set(w[0].map((x) => x - 1)); if (pass === 2) g[0][5] = NaN; }); } catch (e) { return e; } })();
  assert.instance(err, NonFiniteGradientError);
  const after = opt.exportState();
  for (const k of Object.keys(before.slabs)) assert.equal([...after.slabs[k]], [...before.slabs[k]], `${k} changed`);
  assert.is(after.step, before.step);
  for (let j = 0; j < 37; j++) {
    assert.ok(Math.abs(opt.weights[0][j] - w0[j]) <= 2 ** -23 * (Math.abs(w0[j]) + 1), `w[${j}]: ${opt.weights[0][j]} vs ${w0[j]}`);
  }
  opt.dispose();
});

/** Every byte the optimizer owns: the weights and the state slabs. */
function snapshot(opt) {
  const st = opt.exportState();
  return { weights: opt.weights.map((w) => new Uint32Array(w.slice().buffer)), state: st };
}
function assertUnchanged(before, after, label) {
  after.weights.forEach((w, i) => assert.equal(w, before.weights[i], `${label}: weights[${i}] changed`));
  for (const k of Object.keys(before.state.slabs)) {
    assert.equal(new Uint32Array(after.state.slabs[k].buffer), new Uint32Array(before.state.slabs[k].buffer), `${label}: ${k} changed`);
  }
  for (const k of ['step', 'emaReady']) assert.is(after.state[k], before.state[k], `${label}: ${k}`);
}

const CONFIGS = [
  { sharpness: 'fsam', base: 'sgd' }, { sharpness: 'fsam', base: 'adamw', adaptive: true },
  { sharpness: 'sam', base: 'sgd', nesterov: true }, { sharpness: 'none', base: 'adamw' },
];

for (const cfg of CONFIGS) for (const bad of [NaN, Infinity, -Infinity]) for (const pass of [1, 2]) for (const warm of [0, 3]) {
  if (cfg.sharpness === 'none' && pass === 2) continue;
  const label = `${JSON.stringify(cfg)} ${bad} in pass ${pass} after ${warm} steps`;
  s(label, async () => {
    const r = rng(11);
    const sizes = [13, 40];
    const grad = (w, g) => { for (let i = 0; i < w.length; i++) for (let j = 0; j < w[i].length; j++) g[i][j] = w[i][j] + 0.1 * r.normal(); };
    for (const mode of ['throw', 'skip']) {
      const opt = await createOptimizer({ variables: sizes.map((size, i) => ({ name: `v${i}`, size })), ...cfg, onNonFinite: mode });
      opt.weights.forEach((w) => w.set(Float32Array.from(w, () => r.normal())));
      for (let t = 0; t < warm; t++) opt.stepWith(grad);
      const before = snapshot(opt);
      let call = 0;
      const poisoned = (w, g) => { grad(w, g); if (++call === pass) g[1][17] = bad; };
      if (mode === 'throw') {
        const err = (() => { try { opt.stepWith(poisoned); } catch (e) { return e; } })();
        assert.instance(err, NonFiniteGradientError, label);
        assert.is(err.variable, 'v1'); assert.is(err.index, 17); assert.is(err.pass, pass);
        assert.ok(Object.is(err.value, bad), `${label}: value ${err.value}`);
        assert.match(err.message, String(bad));
      } else {
        assert.is(opt.stepWith(poisoned), undefined);
        assert.is(opt.skipped, 1);
      }
      assertUnchanged(before, snapshot(opt), `${label} (${mode})`);
      opt.stepWith(grad); // and it still steps afterwards
      assert.is(opt.iterations, warm + 1);
      opt.dispose();
    }
  });
}

s('a throwing second pass leaves the weights restored and the state unchanged', async () => {
  const opt = await createOptimizer({ variables: [{ name: 'w', size: 9 }] });
  opt.weights[0].set([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  opt.stepWith((w, g) => g[0].set(w[0]));
  const before = snapshot(opt);
  let call = 0;
  assert.throws(() => opt.stepWith((w, g) => { g[0].set(w[0]); if (++call === 2) throw new Error('loss fn failed'); }), /loss fn failed/);
  assertUnchanged(before, snapshot(opt), 'after throw');
});

s('an overflowing perturbation direction is refused, state unchanged', async () => {
  const opt = await createOptimizer({ variables: [{ name: 'w', size: 4 }], sigma: 1e30 });
  opt.weights[0].set([1, 1, 1, 1]);
  opt.stepWith((w, g) => g[0].set([1e10, 1e10, 1e10, 1e10]));
  const before = snapshot(opt);
  assert.throws(() => opt.stepWith((w, g) => g[0].set([-3e38, 1, 1, 1])), (e) => e instanceof NonFinitePerturbationError);
  assertUnchanged(before, snapshot(opt), 'overflow');
});

s('learningRate setter validates', async () => {
  const opt = await createOptimizer({ variables: [{ name: 'w', size: 1 }] });
  assert.throws(() => { opt.learningRate = -1; }, /learningRate.*-1/);
  opt.learningRate = 0.01;
  assert.is(opt.learningRate, 0.01);
});

s('a step class refuses the other mode\'s hyperparameters; createStep picks the right one', () => {
  const full = resolveHyperparams({}), low = resolveHyperparams({ lowMemory: true });
  assert.throws(() => new SharpnessStep(low, null, null), /lowMemory false, got lowMemory true: use createStep/);
  assert.throws(() => new LowMemorySharpnessStep(full, null, null), /lowMemory true, got lowMemory false: use createStep/);
  const arena = { layout: { variables: [] } };
  assert.instance(createStep(low, arena, {}), LowMemorySharpnessStep);
  assert.not.instance(createStep(full, arena, {}), LowMemorySharpnessStep);
});

s.run();

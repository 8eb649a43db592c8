// The framework-free optimizer against a float64 port of the reference semantics, over
// 50 steps of a noisy quadratic (g = a⊙(w − c) + noise of the batch), first step
// included, for SAM, F-SAM, ASAM and F-ASAM on SGD (plain, momentum, nesterov) and AdamW,
// and for each base optimizer alone.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOptimizer } from '../dist/core.js';
import { ReferenceOptimizer } from './support/reference_optimizer.mjs';
import { rng } from './support/random.mjs';

const SIZES = [37, 4, 130, 1];
const BASES = {
  'sgd': { base: 'sgd', momentum: 0, learningRate: 0.05, weightDecay: 5e-4 },
  'sgd+momentum': { base: 'sgd', momentum: 0.9, learningRate: 0.05, weightDecay: 5e-4 },
  'sgd+nesterov': { base: 'sgd', momentum: 0.9, nesterov: true, learningRate: 0.05, weightDecay: 0 },
  'adamw': { base: 'adamw', learningRate: 0.01, weightDecay: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
};
const FAMILY = {
  'SAM': { sharpness: 'sam', adaptive: false, rho: 0.05 },
  'F-SAM': { sharpness: 'fsam', adaptive: false, rho: 0.2, sigma: 1, lambda: 0.6 },
  'F-SAM σ=0.5': { sharpness: 'fsam', adaptive: false, rho: 0.2, sigma: 0.5, lambda: 0.95 },
  'ASAM': { sharpness: 'sam', adaptive: true, rho: 0.5 },
  'F-ASAM': { sharpness: 'fsam', adaptive: true, rho: 0.5, sigma: 1, lambda: 0.6 },
  'base alone': { sharpness: 'none' },
};

/** A fixed random problem: per-parameter curvature a, centre c, and per-step batch noise. */
function problem(seed) {
  const r = rng(seed);
  const a = SIZES.map((n) => Float64Array.from({ length: n }, () => 0.2 + 2 * r()));
  const c = SIZES.map((n) => Float64Array.from({ length: n }, () => r.normal()));
  const noise = Array.from({ length: 50 }, () => SIZES.map((n) => Float64Array.from({ length: n }, () => 0.5 * r.normal())));
  const w0 = SIZES.map((n) => Float32Array.from({ length: n }, () => 2 * r.normal()));
  const grad = (t, w) => w.map((x, i) => Float64Array.from(x, (wj, j) => a[i][j] * (wj - c[i][j]) + noise[t][i][j]));
  return { w0, grad };
}

const s = suite('optimizer semantics vs float64 reference');
let seed = 100;
for (const [fname, family] of Object.entries(FAMILY)) for (const [bname, base] of Object.entries(BASES)) {
  const mySeed = seed++;
  s(`${fname} on ${bname}: 50 steps`, async () => {
    const h = { ...family, ...base };
    const { w0, grad } = problem(mySeed);
    const opt = await createOptimizer({ variables: SIZES.map((size, i) => ({ name: `v${i}`, size })), ...h });
    w0.forEach((x, i) => opt.weights[i].set(x));
    const ref = new ReferenceOptimizer({ sigma: 1, lambda: 0.6, nesterov: false, adaptive: false, ...h }, SIZES);
    const wRef = w0.map((x) => Float64Array.from(x));
    for (let t = 0; t < 50; t++) {
      opt.stepWith((w, g) => { grad(t, w).forEach((x, i) => g[i].set(x)); });
      ref.step(wRef, (w) => grad(t, w));
      for (let i = 0; i < SIZES.length; i++) for (let j = 0; j < SIZES[i]; j++) {
        const got = opt.weights[i][j], want = wRef[i][j];
        if (!(Math.abs(got - want) <= 2e-5 * (1 + Math.abs(want)))) {
          assert.unreachable(`step ${t + 1}, variable ${i}, index ${j}: got ${got}, float64 reference ${want}`);
        }
      }
    }
    assert.is(opt.iterations, 50);
    opt.dispose();
  });
}
// Low-memory mode (SGD only; no adaptive): against the same float64 reference keeping m
// and the momentum buffer as bf16 values, within the same tolerance, and against the
// full-precision reference within the bf16 drift it causes (measured ≤ 1.8e-2 here).
const LOW = {
  'F-SAM': FAMILY['F-SAM'], 'F-SAM σ=0.5': FAMILY['F-SAM σ=0.5'], 'SAM': FAMILY.SAM, 'base alone': FAMILY['base alone'],
};
for (const [fname, family] of Object.entries(LOW)) for (const bname of ['sgd', 'sgd+momentum', 'sgd+nesterov']) {
  const mySeed = seed++;
  s(`low-memory ${fname} on ${bname}: 50 steps`, async () => {
    const h = { ...family, ...BASES[bname], lowMemory: true };
    const { w0, grad } = problem(mySeed);
    const opt = await createOptimizer({ variables: SIZES.map((size, i) => ({ name: `v${i}`, size })), ...h });
    w0.forEach((x, i) => opt.weights[i].set(x));
    const defaults = { sigma: 1, lambda: 0.6, nesterov: false, adaptive: false };
    const ref = new ReferenceOptimizer({ ...defaults, ...h }, SIZES);
    const exact = new ReferenceOptimizer({ ...defaults, ...h, lowMemory: false }, SIZES);
    const wRef = w0.map((x) => Float64Array.from(x)), wExact = w0.map((x) => Float64Array.from(x));
    for (let t = 0; t < 50; t++) {
      opt.stepWith((w, g) => { grad(t, w).forEach((x, i) => g[i].set(x)); });
      ref.step(wRef, (w) => grad(t, w));
      exact.step(wExact, (w) => grad(t, w));
      for (let i = 0; i < SIZES.length; i++) for (let j = 0; j < SIZES[i]; j++) {
        const got = opt.weights[i][j], want = wRef[i][j];
        if (!(Math.abs(got - want) <= 2e-5 * (1 + Math.abs(want)))) {
          assert.unreachable(`step ${t + 1}, variable ${i}, index ${j}: got ${got}, bf16-state float64 reference ${want}`);
        }
        if (!(Math.abs(got - wExact[i][j]) <= 5e-2 * (1 + Math.abs(wExact[i][j])))) {
          assert.unreachable(`step ${t + 1}, variable ${i}, index ${j}: got ${got}, full-precision reference ${wExact[i][j]}`);
        }
      }
    }
    const stateBytes = opt.memory().stateBytes, aligned = SIZES.reduce((a, n) => a + Math.ceil(n / 4) * 4, 0);
    const slabs = (h.sharpness === 'fsam' ? 1 : 0) + (h.momentum > 0 ? 1 : 0);
    assert.is(stateBytes, slabs * Math.ceil((2 * aligned) / 16) * 16, 'state bytes: 2 per parameter per bf16 slab (16-byte aligned), no w_old');
    opt.dispose();
  });
}

s.run();

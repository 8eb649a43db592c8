// Benchmark: F-SAM through tfjs's minimize(), on the wasm backend.
//  1. The optimizer alone: a loss whose gradient is nearly free (Σw), N floats over 8
//     variables; fsam-edge's FSAM against the same F-SAM in tfjs-core ops and against
//     tf.train.momentum (one gradient instead of two).
//  2. Whole steps of a small MLP and a small CNN: FSAM and SAM against SGD momentum.
// Prints JSON and a table; writes bench/results/tfjs_step.{json,md}.
// Usage: node bench/tfjs_step.mjs [--quick]
import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { ready, tf, layers, FSAM, SAM } from '../dist/fsam-edge.js';
import { tfjsOpsFsam } from './tfjs_ops_fsam.mjs';

const quick = process.argv.includes('--quick');
await ready();
const H = { learningRate: 0.01, rho: 0.05, sigma: 1, lambda: 0.6, momentum: 0.9, weightDecay: 5e-4 };

async function timeAsync(fn, budgetMs) {
  for (let i = 0; i < 3; i++) await fn();
  const samples = [];
  const start = performance.now();
  while (performance.now() - start < budgetMs || samples.length < 5) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

function time(fn, budgetMs = quick ? 300 : 1500) {
  for (let i = 0; i < 3; i++) fn();
  const samples = [];
  const start = performance.now();
  while (performance.now() - start < budgetMs || samples.length < 5) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

// 1. The optimizer alone.
const alone = [];
for (const n of quick ? [1e6] : [1e5, 1e6]) {
  const vars = Array.from({ length: 8 }, (_, i) => tf.variable(tf.randomNormal([n / 8], 0, 0.01, 'float32', i)));
  const loss = () => tf.addN(vars.map((v) => tf.sum(v)));
  const fsam = new FSAM({ ...H });
  const ops = tfjsOpsFsam(tf, H);
  const mom = tf.train.momentum(H.learningRate, H.momentum);
  const row = {
    n,
    fsamMs: time(() => fsam.minimize(loss, false, vars)),
    tfjsOpsFsamMs: time(() => tf.tidy(() => ops.minimize(loss, vars))),
    momentumMs: time(() => mom.minimize(loss, false, vars)),
  };
  row.speedupOverTfjsOps = row.tfjsOpsFsamMs / row.fsamMs;
  row.costOverMomentum = row.fsamMs / row.momentumMs;
  alone.push(row);
  fsam.dispose(); ops.dispose(); mom.dispose(); tf.dispose(vars);
}

// 2. Whole steps.
const L = layers.layers;
const models = {
  'MLP 784-256-128-10, batch 64': {
    build: () => layers.sequential({ layers: [
      L.dense({ units: 256, activation: 'relu', inputShape: [784] }), L.dense({ units: 128, activation: 'relu' }),
      L.dense({ units: 10, activation: 'softmax' })] }),
    x: () => tf.randomNormal([64, 784]),
  },
  'CNN conv8-conv16-dense10 on 28×28, batch 32': {
    build: () => layers.sequential({ layers: [
      L.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }), L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }),
      L.flatten(), L.dense({ units: 10, activation: 'softmax' })] }),
    x: () => tf.randomNormal([32, 28, 28, 1]),
  },
};
const whole = [];
for (const [name, spec] of Object.entries(models)) {
  const x = spec.x();
  const y = tf.oneHot(tf.randomUniform([x.shape[0]], 0, 10, 'int32'), 10);
  const row = { model: name, batch: x.shape[0] };
  for (const [label, make] of [['sgdMomentumMs', () => tf.train.momentum(0.01, 0.9)], ['samMs', () => new SAM({ learningRate: H.learningRate, rho: H.rho, momentum: H.momentum, weightDecay: H.weightDecay })], ['fsamMs', () => new FSAM(H)]]) {
    const model = spec.build();
    model.compile({ optimizer: make(), loss: 'categoricalCrossentropy' });
    row[label] = await timeAsync(() => model.trainOnBatch(x, y), quick ? 500 : 2500);
    model.dispose();
  }
  row.fsamOverSgd = row.fsamMs / row.sgdMomentumMs;
  row.samOverSgd = row.samMs / row.sgdMomentumMs;
  row.fsamSamplesPerS = row.batch / row.fsamMs * 1000;
  row.sgdSamplesPerS = row.batch / row.sgdMomentumMs * 1000;
  whole.push(row);
  tf.dispose([x, y]);
}

const machine = `${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.cpus().length} cores, Node ${process.version}`;
const f = (v) => v.toPrecision(3);
const table = [
  '**Optimizer alone through minimize()** (loss Σw over 8 variables)', '',
  '| N | fsam-edge FSAM ms | F-SAM in tfjs ops ms | tf.train.momentum ms | speed-up over tfjs ops | cost / momentum |',
  '|---:|---:|---:|---:|---:|---:|',
  ...alone.map((r) => `| ${r.n.toExponential(0)} | ${f(r.fsamMs)} | ${f(r.tfjsOpsFsamMs)} | ${f(r.momentumMs)} | ${f(r.speedupOverTfjsOps)}× | ${f(r.costOverMomentum)}× |`),
  '', '**Whole training steps** (trainOnBatch)', '',
  '| model | SGD-momentum ms | SAM ms | FSAM ms | FSAM / SGD | SAM / SGD | FSAM samples/s |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...whole.map((r) => `| ${r.model} | ${f(r.sgdMomentumMs)} | ${f(r.samMs)} | ${f(r.fsamMs)} | ${f(r.fsamOverSgd)}× | ${f(r.samOverSgd)}× | ${f(r.fsamSamplesPerS)} |`),
].join('\n');
const result = { benchmark: 'tfjs_step', machine, date: new Date().toISOString(), command: 'npm run bench', alone, whole };
console.log(JSON.stringify(result));
console.log(`\n${machine}\n\n${table}\n`);
if (!quick) {
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/tfjs_step.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(new URL('./results/tfjs_step.md', import.meta.url), `${machine}\n\n${table}\n`);
}

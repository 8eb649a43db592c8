// Benchmark: F-SAM through tfjs's minimize(), on the wasm backend.
//  1. The optimizer alone, N floats over 8 variables. The loss is a tf.customGrad whose
//     gradient is a tensor sharing the data of a constant (what tf.clone does on the cpu
//     backend; tfjs-wasm's Identity kernel copies, ~0.3 ms per 1M floats), so the
//     gradient costs nothing and only the optimizer is timed. (With an ordinary loss
//     such as Σw, tfjs's Sum gradient materializes ones and multiplies: ~4 ms per 1M
//     floats per pass, more than the whole F-SAM update; the Σw column shows it.)
//     fsam-edge's FSAM (and its low-memory mode) against the same F-SAM in tfjs-core
//     ops and against tf.train.momentum (one gradient instead of two).
//  2. Whole training steps (trainOnBatch) of an MLP and of the default task's CNN (the
//     CLI's digit CNN, src/cli/base_model.ts, rebuilt here layer for layer): SGD
//     momentum (tf.train.momentum), SAM, FSAM and FSAM lowMemory, in samples/s; and
//     FSAM's steady state — tensors and wasm bytes added per step after warm-up.
// Writes bench/results/tfjs_step.{json,md}. Usage: node bench/tfjs_step.mjs [--quick]
import { ready, tf, layers, FSAM, SAM, wasmMemory } from '../dist/fsam-edge.js';
import { tfjsOpsFsam } from './tfjs_ops_fsam.mjs';
import { machine, load, time as timeSync, timeAsync, writeResults } from './support.mjs';

const quick = process.argv.includes('--quick');
await ready();
const loadBefore = load();
const H = { learningRate: 0.01, rho: 0.05, sigma: 1, lambda: 0.6, momentum: 0.9, weightDecay: 5e-4 };
const time = (fn) => timeSync(fn, quick ? 300 : 1500);

// 1. The optimizer alone.
const alone = [];
for (const n of quick ? [1e6] : [1e5, 1e6, 4e6]) {
  const vars = Array.from({ length: 8 }, (_, i) => tf.variable(tf.randomNormal([n / 8], 0, 0.01, 'float32', i)));
  const consts = vars.map((v, i) => tf.randomNormal(v.shape, 0, 0.001, 'float32', 100 + i));
  const share = (c) => { tf.backend().incRef(c.dataId); return tf.engine().makeTensorFromDataId(c.dataId, c.shape, c.dtype); };
  const free = tf.customGrad((...xs) => ({ value: tf.scalar(0), gradFunc: () => consts.map(share) }));
  const loss = () => free(...vars);
  const sumLoss = () => tf.addN(vars.map((v) => tf.sum(v)));
  const fsam = new FSAM(H), fsamSum = new FSAM(H), low = new FSAM({ ...H, lowMemory: true });
  const ops = tfjsOpsFsam(tf, H);
  const mom = tf.train.momentum(H.learningRate, H.momentum);
  const row = {
    n,
    fsamMs: time(() => fsam.minimize(loss, false, vars)),
    fsamLowMemoryMs: time(() => low.minimize(loss, false, vars)),
    tfjsOpsFsamMs: time(() => tf.tidy(() => ops.minimize(loss, vars))),
    momentumMs: time(() => mom.minimize(loss, false, vars)),
    fsamSumLossMs: time(() => fsamSum.minimize(sumLoss, false, vars)),
  };
  row.speedupOverTfjsOps = row.tfjsOpsFsamMs / row.fsamMs;
  row.costOverMomentum = row.fsamMs / row.momentumMs;
  alone.push(row);
  fsam.dispose(); fsamSum.dispose(); low.dispose(); ops.dispose(); mom.dispose(); tf.dispose([...vars, ...consts]);
  console.error(`alone N=${n} done, load ${load().join(' ')}`);
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
  'default-task CNN (conv8 5×5/2, conv16 3×3/2, dense32, dense10) on 28×28, batch 32': {
    build: () => layers.sequential({ layers: [
      L.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 5, strides: 2, activation: 'relu' }),
      L.conv2d({ filters: 16, kernelSize: 3, strides: 2, activation: 'relu' }),
      L.flatten(), L.dense({ units: 32, activation: 'relu' }), L.dense({ units: 10, activation: 'softmax' })] }),
    x: () => tf.randomUniform([32, 28, 28, 1]),
  },
};
const OPTIMIZERS = [
  ['sgdMomentum', () => tf.train.momentum(H.learningRate, H.momentum)],
  ['sam', () => new SAM({ learningRate: H.learningRate, rho: H.rho, momentum: H.momentum, weightDecay: H.weightDecay })],
  ['fsam', () => new FSAM(H)],
  ['fsamLowMemory', () => new FSAM({ ...H, lowMemory: true })],
];
const whole = [];
for (const [name, spec] of Object.entries(models)) {
  const x = spec.x();
  const y = tf.oneHot(tf.randomUniform([x.shape[0]], 0, 10, 'int32'), 10);
  const row = { model: name, batch: x.shape[0], ms: {}, samplesPerS: {} };
  // Interleaved rounds: the ratio to SGD compares runs made under the same load.
  const rounds = quick ? 1 : 3;
  const built = OPTIMIZERS.map(([label, make]) => {
    const model = spec.build();
    model.compile({ optimizer: make(), loss: 'categoricalCrossentropy' });
    return { label, model, samples: [] };
  });
  for (let r = 0; r < rounds; r++) {
    for (const b of built) b.samples.push(await timeAsync(() => b.model.trainOnBatch(x, y), quick ? 500 : 1500));
  }
  for (const b of built) {
    row.ms[b.label] = [...b.samples].sort((p, q) => p - q)[b.samples.length >> 1];
    row.samplesPerS[b.label] = row.batch / row.ms[b.label] * 1000;
  }
  row.fsamOverSgd = row.ms.fsam / row.ms.sgdMomentum;
  row.samOverSgd = row.ms.sam / row.ms.sgdMomentum;
  row.fsamLowMemoryOverSgd = row.ms.fsamLowMemory / row.ms.sgdMomentum;
  // Steady state of FSAM: after the warm-up above, 100 more steps.
  const fsam = built.find((b) => b.label === 'fsam').model;
  const t0 = tf.memory().numTensors, w0 = wasmMemory().buffer.byteLength;
  for (let i = 0; i < 100; i++) await fsam.trainOnBatch(x, y);
  row.fsamSteadyState = { steps: 100, tensorsPerStep: (tf.memory().numTensors - t0) / 100, wasmBytesPerStep: (wasmMemory().buffer.byteLength - w0) / 100 };
  whole.push(row);
  built.forEach((b) => { b.model.optimizer.dispose(); b.model.dispose(); });
  tf.dispose([x, y]);
  console.error(`whole ${name} done, load ${load().join(' ')}`);
}

const f = (v) => v.toPrecision(3);
const table = [
  '**Optimizer alone through minimize()** (8 variables; loss: tf.customGrad with a free gradient)', '',
  '| N | FSAM ms | FSAM lowMemory ms | F-SAM in tfjs ops ms | tf.train.momentum ms | FSAM vs tfjs ops | FSAM / momentum | FSAM with loss Σw ms |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...alone.map((r) => `| ${r.n.toExponential(0)} | ${f(r.fsamMs)} | ${f(r.fsamLowMemoryMs)} | ${f(r.tfjsOpsFsamMs)} | ${f(r.momentumMs)} | ${f(r.speedupOverTfjsOps)}× | ${f(r.costOverMomentum)}× | ${f(r.fsamSumLossMs)} |`),
  '', '**Whole training steps** (trainOnBatch; samples/s in brackets)', '',
  '| model | SGD-momentum ms | SAM ms | FSAM ms | FSAM lowMemory ms | FSAM / SGD | SAM / SGD | FSAM steady state per step |',
  '|---|---:|---:|---:|---:|---:|---:|---|',
  ...whole.map((r) => `| ${r.model} | ${f(r.ms.sgdMomentum)} (${r.samplesPerS.sgdMomentum.toFixed(0)}) | ${f(r.ms.sam)} (${r.samplesPerS.sam.toFixed(0)}) | ${f(r.ms.fsam)} (${r.samplesPerS.fsam.toFixed(0)}) | ${f(r.ms.fsamLowMemory)} (${r.samplesPerS.fsamLowMemory.toFixed(0)}) | ${f(r.fsamOverSgd)}× | ${f(r.samOverSgd)}× | ${r.fsamSteadyState.tensorsPerStep} tensors, ${r.fsamSteadyState.wasmBytesPerStep} wasm bytes |`),
].join('\n');
const result = { benchmark: 'tfjs_step', machine: machine(), date: new Date().toISOString(), command: 'npm run bench',
  loadavg: { before: loadBefore, after: load() }, alone, whole };
const md = `${result.machine}; load ${loadBefore.join(' ')}\n\n${table}`;
console.log(JSON.stringify(result));
console.log(`\n${md}\n`);
if (!quick) writeResults('tfjs_step', result, md);

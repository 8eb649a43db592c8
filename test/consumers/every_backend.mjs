// FSAM, SAM, SGD and AdamW on 'cpu' (the tfjs-ops step) against the same optimizers on
// 'wasm' (the arena step): the same trajectories within float32 rounding for each
// configuration, the same state names, a state that moves between backends (saved on one
// and loaded on the other, or one optimizer whose backend changes between steps), the
// same errors with weights and state left as they were, and no tensor left per step.
import { readFileSync } from 'node:fs';
import { tf } from './app_tfjs.mjs';
import { ready, FSAM, SAM, SGD, AdamW, microBatchLoss } from 'fsam-edge';

const [goldenDir] = process.argv.slice(2);
await ready({ keepBackend: true });
const gold = JSON.parse(readFileSync(`${goldenDir}/fsam_sgd_sigma1.json`, 'utf8'));
const NAMES = ['W1', 'b1', 'W2', 'b2'];
let unique = 0;

/** The golden MLP as the app's variables, its loss on batch t, and its weights' values. */
function mlp() {
  const tag = `m${unique++}`;
  const v = NAMES.map((k) => tf.variable(tf.tensor(gold.init[k], gold.shapes[k]), true, `${tag}/${k}`));
  const batches = gold.batches.map((b) => ({ x: tf.tensor(b.x, b.xShape), y: tf.oneHot(tf.tensor1d(b.y, 'int32'), 3) }));
  const loss = (t) => () => {
    const { x, y } = batches[t % batches.length];
    return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, v[0]), v[1])), v[2]), v[3]));
  };
  const values = () => v.map((x) => Array.from(x.dataSync()));
  const dispose = () => { tf.dispose(v); batches.forEach((b) => tf.dispose([b.x, b.y])); };
  return { v, loss, values, dispose };
}
const maxDiff = (a, b) => Math.max(...a.flatMap((x, i) => x.map((y, j) => Math.abs(y - b[i][j]))));

/** `steps` minimize() calls on `backend` (switching to `then` after `switchAt`); final weights, state names, tensors left. */
async function train(make, backend, steps, { then, switchAt = Infinity } = {}) {
  await tf.setBackend(backend);
  const m = mlp(), opt = make();
  let afterFirst = 0;
  for (let t = 0; t < steps; t++) {
    if (t === switchAt) await tf.setBackend(then);
    opt.minimize(m.loss(t), false, m.v);
    if (t === 0) afterFirst = tf.memory().numTensors;
  }
  const leaked = tf.memory().numTensors - afterFirst;
  const names = (await opt.getWeights()).map((w) => { const n = w.name.replace(/^m\d+\//, ''); w.tensor.dispose(); return n; });
  const out = { weights: m.values(), names, leaked, iterations: opt.iterations };
  opt.dispose(); m.dispose();
  return out;
}

const hp = gold.hyperparameters;
const configs = {
  'FSAM sgd': () => new FSAM({ learningRate: hp.learningRate, rho: hp.rho }),
  'FSAM adamw': () => new FSAM({ base: 'adamw', learningRate: 0.01, rho: 0.1, weightDecay: 0.01 }),
  'FSAM adaptive nesterov σ 0.5': () => new FSAM({ adaptive: true, nesterov: true, sigma: 0.5, lambda: 0.9, rho: 0.5 }),
  'SAM sgd': () => new SAM({ learningRate: hp.learningRate, rho: hp.rho }),
  'SGD momentum 0': () => new SGD({ momentum: 0 }),
  'AdamW': () => new AdamW({ learningRate: 0.01 }),
};
const out = { configs: {} };
for (const [name, make] of Object.entries(configs)) {
  const onWasm = await train(make, 'wasm', 20), onCpu = await train(make, 'cpu', 20);
  out.configs[name] = { diff: maxDiff(onWasm.weights, onCpu.weights), sameNames: JSON.stringify(onWasm.names) === JSON.stringify(onCpu.names),
    names: onCpu.names.length, leakedCpu: onCpu.leaked, leakedWasm: onWasm.leaked };
}

// One optimizer, its backend changed between steps both ways: its state goes along.
const make = configs['FSAM sgd'];
const whole = await train(make, 'wasm', 20);
out.wasmThenCpu = maxDiff(whole.weights, (await train(make, 'wasm', 20, { then: 'cpu', switchAt: 8 })).weights);
out.cpuThenWasm = maxDiff(whole.weights, (await train(make, 'cpu', 20, { then: 'wasm', switchAt: 8 })).weights);

// A state saved on cpu loads into an optimizer on wasm, and the run goes on as if it had not stopped.
{
  await tf.setBackend('cpu');
  const m = mlp(), a = make();
  for (let t = 0; t < 8; t++) a.minimize(m.loss(t), false, m.v);
  const saved = await a.getWeights();
  await tf.setBackend('wasm');
  const b = make();
  await b.setWeights(saved);
  for (let t = 8; t < 20; t++) b.minimize(m.loss(t), false, m.v);
  out.savedOnCpuLoadedOnWasm = maxDiff(whole.weights, m.values());
  out.savedIterations = b.iterations;
  tf.dispose(saved.map((w) => w.tensor)); a.dispose(); b.dispose(); m.dispose();
}

// Micro-batching on cpu (the tfjs-ops step: the mean gradient summed in tensors): 2 micro-batches
// of 4 step as one batch of 8, and as on wasm (the arena slabs); nothing left per step.
{
  const run = async (backend, k) => {
    await tf.setBackend(backend);
    const m = mlp(), opt = new FSAM({ learningRate: hp.learningRate, rho: hp.rho, accumulate: k });
    const xy = gold.batches.map((b) => ({ x: tf.tensor(b.x, b.xShape), y: tf.oneHot(tf.tensor1d(b.y, 'int32'), 3) }));
    const lossOf = (x, y) => tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(x, m.v[0]), m.v[1])), m.v[2]), m.v[3]));
    let afterFirst = 0;
    xy.forEach(({ x, y }, t) => {
      opt.minimize(k > 1 ? microBatchLoss(k, x, y, lossOf) : () => lossOf(x, y), false, m.v);
      if (t === 0) afterFirst = tf.memory().numTensors;
    });
    const out = { weights: m.values(), leaked: tf.memory().numTensors - afterFirst };
    opt.dispose(); m.dispose(); xy.forEach((b) => tf.dispose([b.x, b.y]));
    return out;
  };
  const cpuWhole = await run('cpu', 1), cpuMicro = await run('cpu', 2), wasmMicro = await run('wasm', 2);
  out.microVsWhole = maxDiff(cpuMicro.weights, cpuWhole.weights);
  out.microCpuVsWasm = maxDiff(cpuMicro.weights, wasmMicro.weights);
  out.microLeaked = [cpuMicro.leaked, wasmMicro.leaked];
}

// Errors on cpu: the same classes and messages, weights and state bit for bit as before.
await tf.setBackend('cpu');
{
  const m = mlp(), opt = make();
  opt.minimize(m.loss(0), false, m.v);
  const state = async () => (await opt.getWeights()).map((w) => { const v = Array.from(w.tensor.dataSync()); w.tensor.dispose(); return v; });
  const before = { w: m.values(), s: await state() };
  const nan = () => tf.mul(m.loss(1)(), tf.scalar(NaN));
  let error;
  try { opt.minimize(nan, false, m.v); } catch (err) { error = `${err.name}: ${err.message}`; }
  out.nanError = error;
  out.unchangedAfterError = JSON.stringify({ w: m.values(), s: await state() }) === JSON.stringify(before);
  const skipper = new FSAM({ onNonFinite: 'skip' });
  skipper.minimize(nan, false, m.v);
  out.skipped = skipper.skipped;
  out.unchangedAfterSkip = JSON.stringify(m.values()) === JSON.stringify(before.w);
  skipper.dispose(); opt.dispose();
  try { new FSAM({ maxBytes: 100 }).minimize(m.loss(0), false, m.v); } catch (err) { out.budgetError = `${err.name} ${err.neededBytes - err.parts.tensors} ${err.availableBytes}`; }
  await tf.setBackend('wasm');
  try { new FSAM({ maxBytes: 100 }).minimize(m.loss(0), false, m.v); } catch (err) { out.budgetErrorWasm = `${err.name} ${err.neededBytes - err.parts.tensors} ${err.availableBytes}`; }
  await tf.setBackend('cpu');
  try { new FSAM({ lowMemory: true }).minimize(m.loss(0), false, m.v); } catch (err) { out.lowMemoryError = `${err.name}: ${err.message}`; }
  m.dispose();
}
console.log(JSON.stringify(out));

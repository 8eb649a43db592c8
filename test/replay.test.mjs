// optimizer.compile(): a step whose gradient pass is recorded once and replayed as kernel
// calls (src/replay/). Replayed steps must be the steps minimize() takes, bit for bit; a
// pass that cannot be replayed must run normally and say why; nothing may leak.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ready, tf, layers, FSAM, SAM, SGD, AdamW, OptimizerDisposedError } from '../dist/fsam-edge.js';
import { run, hashOf } from './support/replay_runs.mjs';

await ready();
const backend = tf.backend();
const s = suite('compiled steps (recorded and replayed passes)');
const OPTIMIZERS = {
  SGD: () => new SGD({ learningRate: 0.05 }),
  SAM: () => new SAM({ learningRate: 0.05, rho: 0.1 }),
  'F-SAM': () => new FSAM({ learningRate: 0.05 }),
  'F-SAM low-memory': () => new FSAM({ learningRate: 0.05, lowMemory: true }),
  AdamW: () => new AdamW({ learningRate: 0.01 }),
};

for (const modelName of ['study CNN', 'default CNN', 'MLP']) {
  s(`${modelName}: replayed steps are minimize()'s, bit for bit (weights, state, losses), for ${Object.keys(OPTIMIZERS).join(', ')}`, async () => {
    for (const [name, make] of Object.entries(OPTIMIZERS)) {
      const want = await run(tf, layers, modelName, make, { compiled: false });
      const got = await run(tf, layers, modelName, make, { compiled: true });
      assert.equal(got.states, ['recording', 'recording', 'replaying', 'replaying', 'replaying', 'replaying'], name);
      assert.is(got.hash, want.hash, `${name}: the compiled step's bits differ from minimize()'s`);
    }
  });
}

/** Counts the calls of the named 'wasm' kernels during f (a replay looks its kernels up when it is made, inside f). */
async function kernelCalls(names, f) {
  const calls = Object.fromEntries(names.map((n) => [n, 0]));
  const originals = names.map((n) => tf.getKernel(n, 'wasm'));
  for (const config of originals) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: (args) => { calls[config.kernelName]++; return config.kernelFunc(args); } });
  }
  try {
    await f();
  } finally {
    for (const config of originals) { tf.unregisterKernel(config.kernelName, 'wasm'); tf.registerKernel(config); }
  }
  return calls;
}

s('replays run the fused memory passes (conv + bias + ReLU, MaxPoolGrad + ReLU gradient), which minimize() never calls', async () => {
  const FUSED = ['FsamConv2DBiasRelu', 'FsamMaxPoolReluGrad'];
  const make = OPTIMIZERS['F-SAM'];
  // study CNN: both conv blocks fuse, forward (conv + bias + ReLU) and backward (pool gradient + ReLU gradient).
  const study = await kernelCalls(FUSED, () => run(tf, layers, 'study CNN', make, { compiled: true }));
  assert.equal(study, { FsamConv2DBiasRelu: 4 * 2 * 2, FsamMaxPoolReluGrad: 4 * 2 * 2 }, 'four replayed steps, two passes each');
  const plain = await kernelCalls(FUSED, () => run(tf, layers, 'study CNN', make, { compiled: false }));
  assert.equal(plain, { FsamConv2DBiasRelu: 0, FsamMaxPoolReluGrad: 0 });
});

s('a replay fails the test if it is wrong: a replay on another batch than it was given would differ', async () => {
  // The check above can fail: batches repeated give another hash than fresh batches.
  const make = OPTIMIZERS['F-SAM'];
  const fresh = await run(tf, layers, 'MLP', make, { compiled: true });
  const repeated = await run(tf, layers, 'MLP', make, { compiled: true, batchAt: () => 0 });
  assert.is.not(repeated.hash, fresh.hash);
});

s('two threads: the compiled step is minimize()\'s there too, and the same bits as on one thread', () => {
  const child = (threads) => {
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('./support/replay_child.mjs', import.meta.url)), String(threads)], { encoding: 'utf8', timeout: 120_000 });
    assert.is(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  };
  const one = child(1), two = child(2);
  assert.is(two.threads, 2);
  assert.equal(two.compiled.states.slice(2), ['replaying', 'replaying', 'replaying', 'replaying']);
  assert.is(two.compiled.hash, two.minimize.hash);
  assert.is(two.compiled.hash, one.compiled.hash);
});

/** A small model, its variables, and a loss of (x, y). */
function mlp(extra = {}) {
  const L = layers.layers;
  const model = layers.sequential({ layers: [
    L.dense({ inputShape: [6], units: 5, activation: 'tanh', kernelInitializer: layers.initializers.heUniform({ seed: 7 }) }),
    ...(extra.middle ?? []),
    L.dense({ units: 3, kernelInitializer: layers.initializers.heUniform({ seed: 8 }) }),
  ] });
  const vars = model.trainableWeights.map((w) => w.val);
  const lossOf = (x, y) => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }));
  return { model, vars, lossOf };
}
const batch = (n, seed) => ({ x: tf.randomNormal([n, 6], 0, 1, 'float32', seed), y: tf.oneHot(tf.randomUniform([n], 0, 3, 'int32', seed + 1), 3) });
const bits = (vars) => hashOf(vars.map((v) => v.dataSync()));

s('no leaks: data ids and tensors stay level while replaying, and dispose() gives back the constants', () => {
  const { model, vars, lossOf } = mlp();
  const opt = new FSAM({ learningRate: 0.05 });
  const { x, y } = batch(8, 1);
  const idsBefore = backend.numDataIds(), tensorsBefore = tf.memory().numTensors;
  const step = opt.compile(lossOf, { varList: vars });
  for (let i = 0; i < 3; i++) step(x, y);
  assert.is(step.replay.state, 'replaying');
  const ids = backend.numDataIds(), tensors = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) assert.is(step(x, y), null);
  assert.is(backend.numDataIds(), ids, 'data ids leaked while replaying');
  assert.is(tf.memory().numTensors, tensors, 'tensors leaked while replaying');
  const arena = ids - idsBefore; // the constants the replay holds
  step.dispose();
  assert.ok(backend.numDataIds() < ids, 'dispose() released nothing');
  assert.is(tf.memory().numTensors, tensorsBefore);
  assert.ok(arena >= 1);
  opt.dispose();
  tf.dispose([x, y]);
  model.dispose();
});

s('refused: dropout (two recordings differ) runs normally and says why', () => {
  const { model, vars, lossOf } = mlp({ middle: [layers.layers.dropout({ rate: 0.5 })] });
  const opt = new FSAM({ learningRate: 0.05 });
  const step = opt.compile(lossOf, { varList: vars, returnCost: true });
  const { x, y } = batch(8, 3);
  for (let i = 0; i < 4; i++) tf.dispose(step(x, y));
  assert.is(step.replay.state, 'off');
  assert.match(step.replay.reason, /recorded passes differ.*(other data|random)/);
  opt.dispose(); tf.dispose([x, y]); model.dispose();
});

s('refused: BatchNormalization\'s moving statistics (a variable assigned in the pass); the steps are minimize()\'s', () => {
  const go = (compiled) => {
    const { model, vars, lossOf } = mlp({ middle: [layers.layers.batchNormalization()] });
    const opt = new SGD({ learningRate: 0.05 });
    const step = compiled ? opt.compile(lossOf, { varList: vars }) : null;
    for (let i = 0; i < 4; i++) {
      const { x, y } = batch(8, 10 + i);
      if (compiled) step(x, y); else opt.minimize(() => lossOf(x, y), false, vars);
      tf.dispose([x, y]);
    }
    const out = { hash: bits(model.weights.map((w) => w.val)), replay: step?.replay };
    opt.dispose(); model.dispose();
    return out;
  };
  const got = go(true), want = go(false);
  assert.is(got.replay.state, 'off');
  assert.match(got.replay.reason, /variable '.*moving_mean.*' was assigned during the pass/);
  assert.is(got.hash, want.hash);
});

s('refused: a tensor tf.keep()\'d in the pass that outlives it', () => {
  const { model, vars, lossOf } = mlp();
  const kept = [];
  const opt = new FSAM({ learningRate: 0.05 });
  const step = opt.compile((x, y) => { kept.push(tf.keep(tf.mean(x))); return lossOf(x, y); }, { varList: vars });
  const { x, y } = batch(8, 5);
  for (let i = 0; i < 3; i++) step(x, y);
  assert.is(step.replay.state, 'off');
  assert.match(step.replay.reason, /tf\.keep\(\)'d 1 tensor/);
  assert.is(kept.length, 6, 'every pass ran normally, keeping its tensor');
  tf.dispose(kept); opt.dispose(); tf.dispose([x, y]); model.dispose();
});

s('a captured variable reassigned is read anew; a captured tensor disposed and replaced is recorded again; the steps stay minimize()\'s', () => {
  const go = (compiled) => {
    const { model, vars, lossOf } = mlp();
    const scale = tf.variable(tf.scalar(1), false, `scale${compiled}`);
    let shift = tf.tensor1d([0.5, -0.5, 0]);
    const f = (x, y) => tf.add(tf.mul(lossOf(x, y), scale), tf.sum(tf.mul(shift, tf.sum(y, 0))));
    const opt = new SAM({ learningRate: 0.05, rho: 0.1 });
    const step = compiled ? opt.compile(f, { varList: vars }) : null;
    const states = [];
    for (let i = 0; i < 8; i++) {
      if (i === 4) scale.assign(tf.scalar(2));
      if (i === 6) { shift.dispose(); shift = tf.tensor1d([1, 0, -1]); }
      const { x, y } = batch(8, 20 + i);
      if (compiled) { step(x, y); states.push(step.replay.state); } else opt.minimize(() => f(x, y), false, vars);
      tf.dispose([x, y]);
    }
    const out = { hash: bits(vars), states };
    opt.dispose(); model.dispose(); scale.dispose(); shift.dispose();
    return out;
  };
  const got = go(true), want = go(false);
  assert.equal(got.states, ['recording', 'recording', 'replaying', 'replaying', 'replaying', 'replaying', 'recording', 'recording']);
  assert.is(got.hash, want.hash);
});

s('another input shape records again; the first shape\'s replay is kept', () => {
  const { model, vars, lossOf } = mlp();
  const opt = new FSAM({ learningRate: 0.05 });
  const step = opt.compile(lossOf, { varList: vars });
  const a = batch(8, 40), b = batch(5, 41);
  const states = [];
  for (const { x, y } of [a, a, a, b, b, b, a]) { step(x, y); states.push(step.replay.state); }
  assert.equal(states, ['recording', 'recording', 'replaying', 'recording', 'recording', 'replaying', 'replaying']);
  opt.dispose(); tf.dispose([a.x, a.y, b.x, b.y]); model.dispose();
});

s('bad input: typed errors naming the value, weights and optimizer state bit for bit unchanged', async () => {
  const { model, vars, lossOf } = mlp();
  const opt = new FSAM({ learningRate: 0.05 });
  assert.throws(() => opt.compile('loss'), (e) => e instanceof TypeError && /loss function.*got loss/.test(e.message));
  assert.throws(() => opt.compile(lossOf, null), (e) => e instanceof TypeError && /options must be an object, got null/.test(e.message));
  assert.throws(() => opt.compile(lossOf, { returnCots: true }), (e) => e instanceof TypeError && /no option 'returnCots'/.test(e.message));
  assert.throws(() => opt.compile(lossOf, { varList: [3] }), (e) => e instanceof TypeError && /tf\.Variable.*got 3/.test(e.message));
  assert.throws(() => new FSAM({ accumulate: 2 }).compile(lossOf), (e) => e instanceof RangeError && /accumulate: 2/.test(e.message));
  const step = opt.compile(lossOf, { varList: vars });
  const { x, y } = batch(8, 50);
  for (let i = 0; i < 3; i++) step(x, y); // replaying now
  const snapshot = async () => hashOf([...vars.map((v) => v.dataSync()), ...(await opt.getWeights()).map((w) => w.tensor.dataSync())]);
  const before = await snapshot();
  const gone = tf.tensor2d([[1, 2, 3, 4, 5, 6]]);
  gone.dispose();
  const wrong = tf.randomNormal([8, 7]);
  for (const [args, check] of [
    [[x], (e) => e instanceof TypeError && /takes 2 input\(s\), the step was given 1/.test(e.message)],
    [[x, y, y], (e) => e instanceof TypeError && /given 3/.test(e.message)],
    [[x, [1, 2]], (e) => e instanceof TypeError && /input 1 .* must be a tf\.Tensor, got 1,2/.test(e.message)],
    [[gone, y], (e) => e instanceof TypeError && /input 0 .*shape \[1,6\].* was disposed/.test(e.message)],
    [[wrong, y], (e) => /expected .*6.*7|incompatible/i.test(e.message)],
  ]) assert.throws(() => step(...args), check);
  assert.is(await snapshot(), before);
  step(x, y);
  assert.is(step.replay.state, 'replaying', 'the first shape still replays');
  opt.dispose();
  assert.throws(() => step(x, y), (e) => e instanceof OptimizerDisposedError);
  tf.dispose([x, y, wrong]); model.dispose();
});

s.run();

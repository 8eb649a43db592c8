// planMemory(): predicted before anything is allocated; within 10% of the heap's measured
// high water (bench/memory_plan.mjs runs the full table; here three small runs, each in
// a process of its own, measured from outside the library by bench/wasm_heap.mjs); the
// budget refused with the bytes; not predicted where it cannot be.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ready, tf, layers, FSAM, SGD, planMemory, MemoryBudgetError } from '../dist/fsam-edge.js';

await ready();
const s = suite('memory planner');
const L = layers.layers;
const bench = fileURLToPath(new URL('../bench/memory_plan.mjs', import.meta.url));

const cnn = () => layers.sequential({ layers: [
  L.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu' }), L.maxPooling2d({ poolSize: 2 }),
  L.flatten(), L.dense({ units: 32, activation: 'relu' }), L.dense({ units: 10 })] });

for (const spec of [{ model: 'default', batch: 256, optimizer: 'FSAM' }, { model: 'study', batch: 256, optimizer: 'FSAM', accumulate: 4 }, { model: 'mlp1024', batch: 64, optimizer: 'FSAM lowMemory' }]) {
  s(`${spec.model}, batch ${spec.batch}, ${spec.optimizer}${spec.accumulate ? ` in ${spec.accumulate} micro-batches` : ''}: the plan is within 10% of the measured high water`, () => {
    const r = JSON.parse(execFileSync(process.execPath, [bench, '--child', JSON.stringify(spec)]).toString().trim().split('\n').pop());
    const error = r.plan.wasm.peakBytes / r.highWater - 1;
    assert.ok(Math.abs(error) < 0.1, `predicted ${r.plan.wasm.peakBytes}, measured ${r.highWater} (${(100 * error).toFixed(1)}%)`);
    assert.ok(r.plan.rss.peakBytes > r.plan.rss.nowBytes, 'RSS is predicted in Node');
  });
}

s('a plan allocates nothing, parts sum to the peak, and micro-batches shrink the activations', () => {
  const model = cnn();
  const before = tf.memory();
  const plan = planMemory(model, { batchSize: 128, optimizer: new FSAM() });
  const four = planMemory(model, { batchSize: 128, optimizer: { accumulate: 4 } });
  assert.equal(tf.memory().numBytes, before.numBytes);
  assert.equal(tf.memory().numTensors, before.numTensors);
  assert.ok(plan.predicted);
  assert.is(Math.ceil(Object.values(plan.wasm.parts).reduce((a, b) => a + b, 0)), plan.wasm.peakBytes);
  assert.is(plan.wasm.phase, 'training step');
  assert.is(plan.trainableParameters, 8 * 9 + 8 + 1352 * 32 + 32 + 330);
  // FSAM + SGD momentum: m, w_old, b and g in the arena; 16 bytes per parameter (aligned per variable).
  assert.ok(plan.wasm.parts.arena >= 16 * plan.trainableParameters && plan.wasm.parts.arena < 16 * plan.trainableParameters + 200);
  assert.ok(Math.abs(four.wasm.parts.activations - plan.wasm.parts.activations / 4) < 128 * 1000, 'a quarter of the activations (plus the micro-batch slices)');
  // The base optimizer alone keeps its one gradient in tfjs's tensors: no g in the arena.
  assert.ok(planMemory(model, { batchSize: 128, optimizer: new SGD() }).wasm.parts.arena < 5 * plan.trainableParameters);
  model.dispose();
});

s('over maxBytes (the optimizer\'s or given), the plan is refused with the bytes needed and available', () => {
  const model = cnn();
  const { wasm } = planMemory(model, { batchSize: 64 });
  const check = (e) => e instanceof MemoryBudgetError && e.neededBytes === wasm.peakBytes && e.availableBytes === wasm.peakBytes - 1 &&
    e.parts.activations === wasm.parts.activations && e.message.includes(`needs ${wasm.peakBytes} bytes`);
  assert.throws(() => planMemory(model, { batchSize: 64, maxBytes: wasm.peakBytes - 1 }), check);
  assert.throws(() => planMemory(model, { batchSize: 64, optimizer: new FSAM({ maxBytes: wasm.peakBytes - 1 }) }), check);
  assert.ok(planMemory(model, { batchSize: 64, maxBytes: wasm.peakBytes }).predicted);
  model.dispose();
});

s('the optimizer\'s maxBytes through fit(): refused before its first step allocates, weights unchanged', async () => {
  const model = cnn();
  const x = tf.randomNormal([16, 28, 28, 1]), y = tf.oneHot(tf.tensor1d([...Array(16).keys()].map((i) => i % 10), 'int32'), 10);
  const opt = new FSAM({ maxBytes: 1 << 20 }); // less than weights, g, g₂ and the arena, before activations
  model.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
  const before = model.getWeights().map((w) => Array.from(w.dataSync()));
  let error;
  try { await model.fit(x, y, { batchSize: 16, epochs: 1, verbose: 0 }); } catch (e) { error = e; }
  assert.ok(error instanceof MemoryBudgetError && error.availableBytes === 1 << 20 && error.neededBytes > 1 << 20 && error.parts['optimizer state'] > 0, String(error));
  assert.equal(model.getWeights().map((w) => Array.from(w.dataSync())), before);
  assert.is(opt.memory(), null, 'no arena was allocated');
  tf.dispose([x, y]); model.dispose(); opt.dispose();
});

s('an evaluation pass at a larger batch can be the peak', () => {
  const model = cnn();
  const plan = planMemory(model, { batchSize: 8, evaluationBatchSize: 2048 });
  assert.is(plan.wasm.phase, 'evaluation');
  assert.is(plan.wasm.peakBytes, Math.ceil(plan.wasm.phases.evaluation.bytes));
  assert.ok(plan.wasm.phases['training step'].bytes < plan.wasm.phases.evaluation.bytes);
  assert.is(plan.wasm.parts, plan.wasm.phases.evaluation.parts);
  model.dispose();
});

s('saving the state (F-SAM + SGD momentum: m and b as tensors) is planned when asked for', () => {
  const wide = layers.sequential({ layers: [L.dense({ units: 512, activation: 'relu', inputShape: [512] }), L.dense({ units: 10 })] });
  const plan = planMemory(wide, { batchSize: 1, stateSaves: true });
  assert.is(plan.wasm.phase, 'saving state');
  const step = plan.wasm.phases['training step'].parts;
  // m and b as tensors: twice the gradients' bytes, beside the arena (no gradients, no activations then).
  assert.ok(Math.abs(plan.wasm.parts['saved state'] - 2 * step.gradients) < 100);
  wide.dispose();
});

s('not predicted, with the reason: another backend, an unknown layer, a branching model', async () => {
  const model = cnn();
  tf.registerBackend('plan-test', () => new (class extends tf.KernelBackend { dispose() {} })());
  await tf.setBackend('plan-test');
  const other = planMemory(model, { batchSize: 8 });
  await tf.setBackend('wasm');
  tf.removeBackend('plan-test');
  assert.is(other.predicted, false);
  assert.is(other.wasm, null);
  assert.match(other.reason, /active backend is 'plan-test'/);
  const lstm = layers.sequential({ layers: [L.simpleRNN({ units: 4, inputShape: [3, 2] }), L.dense({ units: 2 })] });
  const r = planMemory(lstm, { batchSize: 8 });
  assert.is(r.predicted, false);
  assert.match(r.reason, /SimpleRNN/);
  const input = layers.input({ shape: [4] });
  const a = L.dense({ units: 3 }).apply(input), b = L.dense({ units: 3 }).apply(input);
  const branching = layers.model({ inputs: input, outputs: L.add().apply([a, b]) });
  assert.match(planMemory(branching, { batchSize: 8 }).reason, /chain/);
  [model, lstm, branching].forEach((m) => m.dispose());
});

s('bad options are refused by name', () => {
  const model = cnn();
  for (const batchSize of [0, 1.5, undefined]) assert.throws(() => planMemory(model, { batchSize }), /batchSize must be an integer >= 1/);
  assert.throws(() => planMemory(model, { batchSize: 3, accumulate: 4 }), /batch of 3 cannot be split into 4/);
  assert.throws(() => planMemory(model, { batchSize: 8, optimizer: tf.train.adam(0.1) }), /fsam-edge's/);
  assert.throws(() => planMemory(model, { batchSize: 8, optimizer: { rho: -1 } }), /rho/);
  assert.throws(() => planMemory(null, { batchSize: 8 }), /tfjs-layers model/);
  model.dispose();
});

s.run();

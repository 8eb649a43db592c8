// dispose(): it frees the optimizer's arena (on tfjs-wasm's heap, or the core optimizer's
// own memory), and afterwards every call that would use the state throws
// OptimizerDisposedError, naming the call, with weights left as they were — rather than
// laying out a fresh arena and silently continuing from zero state.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ready, tf, FSAM, SAM, SGD, AdamW, OptimizerDisposedError, wasmMemory } from '../dist/fsam-edge.js';
import * as core from '../dist/core.js';

await ready();
let unique = 0;

const s = suite('dispose');

for (const [name, make] of [['FSAM', () => new FSAM({ learningRate: 0.1 })], ['SAM', () => new SAM({ learningRate: 0.1 })],
  ['FsamEdgeSGD', () => new SGD({ learningRate: 0.1 })], ['FsamEdgeAdamW', () => new AdamW({ learningRate: 0.1 })]]) {
  s(`${name}: minimize, getWeights, setWeights and memory after dispose() throw OptimizerDisposedError; the weights stay`, async () => {
    const v = tf.variable(tf.tensor1d([1, -2, 3, 0.5]), true, `disposed${unique++}`);
    const loss = () => tf.sum(tf.square(v));
    const opt = make();
    for (let t = 0; t < 3; t++) opt.minimize(loss, false, [v]);
    const saved = await opt.getWeights();
    opt.dispose();
    const before = Array.from(v.dataSync());
    for (const [call, run] of [['minimize', () => opt.minimize(loss, false, [v])], ['memory', () => opt.memory()],
      ['getWeights', () => opt.getWeights()], ['setWeights', () => opt.setWeights(saved)]]) {
      const err = await (async () => { try { await run(); } catch (e) { return e; } })();
      assert.instance(err, OptimizerDisposedError, `${call}: ${err}`);
      assert.is(err.call, `${name}.${call}()`);
      assert.match(err.message, `${name}.${call}() after dispose()`);
      assert.equal(Array.from(v.dataSync()), before, `${call} changed the weights`);
    }
    opt.dispose(); // a second dispose() does nothing
    tf.dispose([v, ...saved.map((w) => w.tensor)]);
  });
}

s('dispose() gives the arena back to tfjs-wasm\'s heap: 30 optimizers of 12 MiB of state each leave it as large as one', () => {
  const v = tf.variable(tf.randomNormal([1 << 20], 0, 1, 'float32', 1), true, `big${unique++}`);
  const loss = () => tf.sum(tf.square(v));
  const cycle = () => {
    const opt = new FSAM({ learningRate: 1e-3 }); // m, w_old and momentum: 12 bytes per parameter
    opt.minimize(loss, false, [v]);
    assert.is(opt.memory().stateBytes, 12 << 20);
    opt.dispose();
  };
  cycle();
  const heap = wasmMemory().buffer.byteLength;
  for (let i = 0; i < 30; i++) cycle(); // without the release, 360 MiB more
  assert.is(wasmMemory().buffer.byteLength, heap);
  v.dispose();
});

s('a new layout (another list of variables) frees the arena it replaces', () => {
  const a = tf.variable(tf.randomNormal([1 << 19], 0, 1, 'float32', 2), true, `a${unique++}`);
  const b = tf.variable(tf.randomNormal([1 << 19], 0, 1, 'float32', 3), true, `b${unique++}`);
  const loss = () => tf.add(tf.sum(tf.square(a)), tf.sum(tf.square(b)));
  const opt = new FSAM({ learningRate: 1e-3 });
  opt.minimize(loss, false, [a]);
  opt.minimize(loss, false, [a, b]);
  const heap = wasmMemory().buffer.byteLength;
  for (let i = 0; i < 30; i++) { opt.minimize(loss, false, [a]); opt.minimize(loss, false, [a, b]); }
  assert.is(wasmMemory().buffer.byteLength, heap);
  opt.dispose(); tf.dispose([a, b]);
});

s('the core optimizer: dispose() releases its arena to the host, once; later calls throw OptimizerDisposedError', async () => {
  const released = [];
  let memory;
  const host = {
    get memory() { return memory; },
    allocate(bytes) { memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 1 }); return 64; },
    release(pointer) { released.push(pointer); },
  };
  const hyper = core.resolveHyperparams({});
  const layout = new core.ArenaLayout([{ name: 'w', size: 5 }], ['weights', 'grad', 'grad2', ...core.stateKinds(hyper)]);
  const arena = core.Arena.allocate(layout, { host });
  const opt = new core.CoreOptimizer(core.createStep(hyper, arena, await core.loadOptimizerKernels(memory)));
  opt.weights[0].set([1, 2, 3, 4, 5]);
  const grad = (w, g) => { g[0].set(w[0]); };
  opt.stepWith(grad);
  const state = opt.exportState(), weights = opt.weights[0].slice();
  opt.dispose();
  assert.equal(released, [64]);
  for (const [call, run] of [['stepWith', () => opt.stepWith(grad)], ['exportState', () => opt.exportState()],
    ['importState', () => opt.importState(state)], ['memory', () => opt.memory()], ['iterations', () => opt.iterations]]) {
    const err = (() => { try { run(); } catch (e) { return e; } })();
    assert.instance(err, core.OptimizerDisposedError, `${call}: ${err}`); // dist/core.js's own class
    assert.is(err.call, `CoreOptimizer.${call}()`);
  }
  assert.equal(opt.weights[0], weights, 'the weights were not stepped');
  opt.dispose();
  assert.equal(released, [64], 'a second dispose() releases nothing');
});

s('createOptimizer\'s optimizer: stepWith after dispose() throws instead of stepping on a released arena', async () => {
  const opt = await core.createOptimizer({ variables: [{ name: 'w', size: 3 }] });
  opt.stepWith((w, g) => { g[0].set(w[0]); });
  opt.dispose();
  assert.throws(() => opt.stepWith((w, g) => { g[0].set(w[0]); }), (e) => e instanceof core.OptimizerDisposedError);
});

s.run();

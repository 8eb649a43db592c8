// The tfjs internals the optimizers rely on (src/tfjs/wasm_bridge.ts and the backend
// lookup of src/backend/wasm_backend.ts), each exercised against the installed tfjs. A
// failure here after a tfjs upgrade names the versions the bridge was checked against:
// that fact changed, and the bridge must be adapted before the optimizers can be trusted.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleTest, root } from './tfjs-core-ops/bundle.mjs';

const file = await bundleTest('wasm_bridge', `
export { tf } from './src/tf.ts';
export { ready } from './src/ready.ts';
export * as bridge from './src/tfjs/wasm_bridge.ts';
`);
const { tf, ready, bridge } = await import(file);
await ready();

const installed = {
  core: tf.version_core,
  wasm: JSON.parse(readFileSync(join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/package.json'), 'utf8')).version,
};
const versions = `src/tfjs/wasm_bridge.ts was checked against tfjs-core ${bridge.CHECKED_TFJS.core} and tfjs-backend-wasm ` +
  `${bridge.CHECKED_TFJS.wasm}; installed are ${installed.core} and ${installed.wasm}`;
const heapFloats = (offset, n) => new Float32Array(bridge.wasmMemory().buffer, offset, n);

const s = suite('tfjs internals (wasm bridge)');

/** A fact of tfjs the bridge relies on; its failure names the versions. */
function fact(name, check) {
  s(name, async () => {
    try {
      await check();
    } catch (err) {
      err.message = `${err.message}\n    ${versions}`;
      throw err;
    }
  });
}

s('the versions the bridge names are the installed ones', () => {
  if (installed.core !== bridge.CHECKED_TFJS.core || installed.wasm !== bridge.CHECKED_TFJS.wasm) {
    console.log(`    note: ${versions}; if every fact below holds, update CHECKED_TFJS`);
  }
  assert.match(bridge.CHECKED_TFJS.core, /^\d+\.\d+\.\d+$/);
});

fact('wasmMemory() is the WebAssembly.Memory tensors live in; tensorOffset() is where a tensor\'s bytes are', () => {
  assert.instance(bridge.wasmMemory(), WebAssembly.Memory);
  const t = tf.tensor1d([1.5, -2, 3.25, 7]);
  assert.equal(Array.from(heapFloats(bridge.tensorOffset(t), 4)), [1.5, -2, 3.25, 7]);
  t.dispose();
});

fact('writableOffset(): a variable sharing its initial tensor\'s bytes gets its own, so an in-place write reaches the variable only', () => {
  const init = tf.tensor1d([1, 2, 3]);
  const v = tf.variable(init, true, 'bridge/shared');
  assert.is(bridge.tensorOffset(v), bridge.tensorOffset(init), 'tf.variable(t) shares t\'s bytes');
  const offset = bridge.writableOffset(v);
  assert.is.not(offset, bridge.tensorOffset(init));
  heapFloats(offset, 3).set([7, 8, 9]);
  assert.equal(Array.from(v.dataSync()), [7, 8, 9]);
  assert.equal(Array.from(init.dataSync()), [1, 2, 3]);
  assert.is(bridge.writableOffset(v), offset, 'data owned already is not copied again');
  tf.dispose([init, v]);
});

fact('contentsChanged(): after an in-place write, matMul uses the new weights', () => {
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const W = tf.variable(tf.tensor2d([[1, 0], [0, 1]]), true, 'bridge/W');
  tf.matMul(x, W).dispose(); // XNNPACK caches an operator on W's packed values
  heapFloats(bridge.writableOffset(W), 4).set([2, 0, 0, 2]);
  const stale = Array.from(tf.matMul(x, W).dataSync());
  bridge.contentsChanged(W);
  assert.equal(Array.from(tf.matMul(x, W).dataSync()), [2, 4, 6, 8]);
  if (stale[0] === 1) console.log('    (without contentsChanged, matMul still used the old weights: the cache it works around is there)');
  tf.dispose([x, W]);
});

fact('tfjsHeapHost(): 16-byte aligned, zeroed bytes on tfjs\'s heap, given back by release()', () => {
  const host = bridge.tfjsHeapHost();
  const p = host.allocate(1 << 20);
  assert.is(p % 16, 0);
  assert.ok(host.memory === bridge.wasmMemory());
  assert.ok(new Uint8Array(host.memory.buffer, p, 1 << 20).every((b) => b === 0));
  host.release(p);
  const before = bridge.wasmMemory().buffer.byteLength;
  for (let i = 0; i < 20; i++) { const h = bridge.tfjsHeapHost(); h.release(h.allocate(8 << 20)); }
  assert.is(bridge.wasmMemory().buffer.byteLength, before, 'released bytes are reused');
});

fact('keptDuring(): tf.keep goes through engine.keep, which can be watched and is restored after', () => {
  const keep = tf.engine().keep;
  const { result, kept } = bridge.keptDuring(() => tf.tidy(() => { tf.keep(tf.scalar(3)); return 5; }));
  assert.is(result, 5);
  assert.is(kept.length, 1);
  assert.is(kept[0].dataSync()[0], 3);
  kept[0].dispose();
  assert.ok(tf.engine().keep === keep);
  assert.throws(() => bridge.keptDuring(() => { tf.keep(tf.scalar(1)); throw new Error('loss failed'); }), /loss failed/);
  assert.ok(tf.engine().keep === keep, 'restored after a throw too');
});

fact('liveVariables(): the engine\'s registry holds every live variable, trainable or not', () => {
  const a = tf.variable(tf.scalar(1), true, 'bridge/trainable'), b = tf.variable(tf.scalar(2), false, 'bridge/frozen');
  const live = bridge.liveVariables();
  assert.ok(live.includes(a) && live.includes(b));
  b.dispose();
  assert.not.ok(bridge.liveVariables().includes(b));
  a.dispose();
});

fact('kernelCallsDuring(): the engine calls each registered kernel config\'s kernelFunc (watchable, restored after), and makeTensor writes through backend.write', () => {
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const before = tf.getKernelsForBackend('wasm').map((c) => c.kernelFunc);
  const { result, calls, written } = bridge.kernelCallsDuring(() => tf.tidy(() => tf.keep(tf.relu(tf.mul(tf.reshape(x, [4]), tf.scalar(2))))));
  assert.equal(calls.map((c) => c.kernelName), ['Reshape', 'Multiply', 'Relu']);
  assert.is(calls[0].inputs.x.dataId, x.dataId, 'inputs are the tensors, wired by dataId');
  assert.equal(calls[0].attrs.shape, [4]);
  assert.is(calls[2].outputs[0].dataId, result.dataId, 'the last output is the result');
  assert.is(calls[0].outputs[0].dataId, x.dataId, "tfjs-wasm's Reshape shares its input's data");
  const [[constant, values]] = [...written];
  assert.is(calls[1].inputs.b.dataId, constant, 'the scalar 2 was written without a kernel');
  assert.equal(Array.from(values), [2]);
  assert.equal(tf.getKernelsForBackend('wasm').map((c) => c.kernelFunc), before, 'every kernelFunc restored');
  assert.ok(!Object.prototype.hasOwnProperty.call(tf.backend(), 'write'), 'backend.write restored');
  assert.equal(Array.from(result.dataSync()), [2, 4, 6, 8]);
  tf.dispose([x, result]);
});

s.run();

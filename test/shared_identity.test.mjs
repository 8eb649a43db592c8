// Identity and same-dtype Cast on 'wasm' share their input's data (src/kernels/SharedIdentity.ts),
// a numeric cast to bool is x ≠ 0, and sharing never lets an optimizer's in-place write
// reach a copy the user kept.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ready, tf, tensorOffset, FSAM, SGD } from '../dist/fsam-edge.js';

await ready();
const s = suite('shared Identity and Cast');

s('clone and a same-dtype cast share the data; each outlives the other; the bytes go with the last', () => {
  const bytes0 = tf.memory().numBytes;
  const x = tf.tensor([1.5, -2, 3, 4], [2, 2]);
  const c = tf.clone(x), f = tf.cast(x, 'float32');
  assert.is(tensorOffset(c), tensorOffset(x));
  assert.is(tensorOffset(f), tensorOffset(x));
  x.dispose();
  assert.equal([...c.dataSync()], [1.5, -2, 3, 4]);
  c.dispose();
  assert.equal([...f.dataSync()], [1.5, -2, 3, 4]);
  f.dispose();
  assert.is(tf.memory().numBytes, bytes0);
  const i = tf.tensor([1, 2], [2], 'int32'), ic = tf.cast(i, 'int32');
  assert.is(tensorOffset(ic), tensorOffset(i));
  assert.is(ic.dtype, 'int32');
  tf.dispose([i, ic]);
});

s('casts that change the dtype still convert; a numeric cast to bool is x ≠ 0', () => {
  const x = tf.tensor([0, -0, 3, -0.5, NaN, Infinity, 1e-45]);
  const b = tf.cast(x, 'bool');
  assert.is(b.dtype, 'bool');
  assert.equal([...b.dataSync()], [0, 0, 1, 1, 1, 1, 1]);
  const i = tf.cast(x.slice(0, 4), 'int32');
  assert.equal([...i.dataSync()], [0, 0, 3, 0]);
  assert.is.not(tensorOffset(i), tensorOffset(x));
  const ib = tf.cast(tf.tensor([0, 7, -1], [3], 'int32'), 'bool');
  assert.equal([...ib.dataSync()], [0, 1, 1]);
  const bf = tf.cast(ib, 'float32');
  assert.equal([...bf.dataSync()], [0, 1, 1]);
  tf.dispose([x, b, i, ib, bf]);
});

for (const [name, make] of [['FSAM', () => new FSAM({ learningRate: 0.1, rho: 0.05 })], ['SGD', () => new SGD({ learningRate: 0.1, momentum: 0.9 })]]) {
  s(`${name}: a clone the user kept of a variable keeps its values through the in-place steps`, () => {
    const w = tf.variable(tf.tensor([1, 2, 3, 4]), true, `shared_identity_${name}`);
    const kept = tf.clone(w);
    assert.is(tensorOffset(kept), tensorOffset(w), 'the clone shares before the step');
    const opt = make();
    const x = tf.tensor([0.5, -1, 2, 0.25]);
    for (let t = 0; t < 3; t++) opt.minimize(() => tf.sum(tf.square(tf.sub(tf.mul(w, x), 1))), false, [w]);
    assert.equal([...kept.dataSync()], [1, 2, 3, 4]);
    assert.not.equal([...w.dataSync()], [1, 2, 3, 4]);
    assert.is.not(tensorOffset(kept), tensorOffset(w));
    opt.dispose();
    tf.dispose([w, kept, x]);
  });
}

s.run();

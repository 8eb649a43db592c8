// ClipByValue on 'wasm' keeps NaN, as tfjs-backend-cpu does (src/kernels/ClipByValue.ts):
// against a float64 reference, and through tfjs-layers' cross-entropy, where tfjs-wasm's
// own kernel turned NaN predictions into a finite loss.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ready, tf, layers } from '../dist/fsam-edge.js';

await ready();
const s = suite('ClipByValue');
const reference = (x, lo, hi) => (Number.isNaN(x) ? NaN : Math.min(Math.max(x, lo), hi));

s('float32 against a float64 reference: NaN stays NaN, ±Inf and ±0 clip, every length to 37', () => {
  const special = [NaN, Infinity, -Infinity, 0, -0, 2.5, -2.5, 0.75];
  for (let n = 0; n <= 37; n++) {
    const values = Array.from({ length: n }, (_, i) => special[(i * 5 + n) % special.length] * (i % 3 === 0 ? 1 : 0.4));
    const got = tf.tidy(() => tf.clipByValue(tf.tensor1d(values), -1, 1).dataSync());
    values.forEach((v, i) => {
      const want = Math.fround(reference(v, -1, 1));
      if (!Object.is(got[i], want)) assert.unreachable(`n=${n} x[${i}]=${v}: got ${got[i]}, want ${want}`);
    });
  }
  // int32 too (tfjs-wasm's own kernel left 5 above the bound 2).
  assert.equal([...tf.clipByValue(tf.tensor1d([1, 5, -5, 2, 0], 'int32'), 0, 2).dataSync()], [1, 2, 0, 2, 0]);
});

s('a NaN prediction gives a NaN cross-entropy, as on the cpu backend', () => {
  const yTrue = tf.tensor2d([[0, 1], [1, 0]]), yPred = tf.tensor2d([[NaN, NaN], [0.3, 0.7]]);
  const value = tf.tidy(() => tf.mean(layers.metrics.categoricalCrossentropy(yTrue, yPred)).dataSync()[0]);
  assert.ok(Number.isNaN(value), `cross-entropy of a NaN prediction: ${value}`);
  tf.dispose([yTrue, yPred]);
});

s.run();

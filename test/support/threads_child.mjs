// Child process of test/threads.test.mjs: one scenario of ready({ threads }) per process
// (ready() configures its threads once). Prints one JSON line.
//   report <threads>   what ready() resolves to, then a few training steps, then exits by itself
//   missing            a threadsUrl where no file is: falls back to one thread and says why
//   reset              trains, engine.reset() (the threaded backend disposed, its workers
//                      stopped), ready() again (a new threaded backend), trains again
import { ready, tf, FSAM, wasmThreads } from '../../dist/fsam-edge.js';

const [mode, arg] = process.argv.slice(2);

/** A few F-SAM steps of a small conv net; returns the loss before and after and a hash of the weights' bits. */
function train() {
  const x = tf.randomNormal([16, 12, 12, 3], 0, 1, 'float32', 1), y = tf.randomNormal([16, 10], 0, 1, 'float32', 2);
  const k = tf.variable(tf.randomNormal([3, 3, 3, 8], 0, 0.3, 'float32', 3)), w = tf.variable(tf.randomNormal([800, 10], 0, 0.05, 'float32', 4));
  const loss = () => tf.losses.meanSquaredError(y, tf.matMul(tf.reshape(tf.relu(tf.conv2d(x, k, 1, 'valid')), [16, 800]), w));
  const opt = new FSAM({ learningRate: 0.05, rho: 0.05 });
  const first = loss().dataSync()[0];
  for (let i = 0; i < 10; i++) tf.dispose(opt.minimize(loss, true, [k, w]));
  const last = loss().dataSync()[0];
  let h = 2166136261;
  for (const v of [k, w]) for (const b of new Uint8Array(v.dataSync().buffer)) h = Math.imul(h ^ b, 16777619) >>> 0;
  opt.dispose();
  tf.dispose([x, y, k, w]);
  return { first, last, hash: h.toString(16) };
}

let out;
if (mode === 'report') {
  const threads = arg === 'auto' ? 'auto' : Number(arg);
  const report = await ready({ threads });
  out = { report, training: train(), after: wasmThreads() };
} else if (mode === 'missing') {
  const report = await ready({ threads: 2, threadsUrl: new URL('./no-such-folder/fsam-edge-threads.js', import.meta.url) });
  out = { report, training: train() };
} else if (mode === 'reset') {
  const first = await ready({ threads: 2 });
  const before = train();
  tf.engine().reset();
  const second = await ready({ threads: 2 });
  out = { first, before, second, after: train() };
} else {
  throw new Error(`unknown mode ${mode}`);
}
console.log(JSON.stringify(out));

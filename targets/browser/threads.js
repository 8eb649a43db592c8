// What ready({ threads }) gets in this page: its report as JSON in #out, after a few
// training steps (to show the backend it got trains). The query gives the options:
// ?threads=2&threadsUrl=…&threadsTimeoutMs=…
import { ready, tf, FSAM } from './fsam-edge.js';

const out = document.getElementById('out');
const started = performance.now();
try {
  const query = new URL(location.href).searchParams;
  const options = { threads: Number(query.get('threads') ?? 2) };
  if (query.has('threadsUrl')) options.threadsUrl = query.get('threadsUrl');
  if (query.has('threadsTimeoutMs')) options.threadsTimeoutMs = Number(query.get('threadsTimeoutMs'));
  const report = await ready(options);
  const readyMs = Math.round(performance.now() - started);
  const w = tf.variable(tf.scalar(0)), xs = tf.tensor1d([0, 1, 2, 3]), ys = tf.tensor1d([1, 3, 5, 7]);
  const optimizer = new FSAM({ learningRate: 0.02, rho: 0.05, weightDecay: 0 });
  for (let step = 0; step < 50; step++) optimizer.minimize(() => tf.losses.meanSquaredError(ys, tf.mul(xs, w)));
  out.textContent = JSON.stringify({ ...report, crossOriginIsolated: globalThis.crossOriginIsolated, readyMs, w: w.dataSync()[0] });
} catch (err) {
  out.textContent = `error: ${err?.name}: ${err?.message}`;
}

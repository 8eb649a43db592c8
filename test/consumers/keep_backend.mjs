// ready({ keepBackend: true }) leaves the app on its backend, with fsam-edge's kernels
// registered for 'wasm'; the app switches to 'wasm' later and trains there, with no
// process listener left behind; tfjs re-creating the backend (engine.reset()) keeps the
// app's own process listeners, and ready() brings 'wasm' back.
import { tf } from './app_tfjs.mjs';
import { ready, FSAM } from 'fsam-edge';

const mine = () => {};
process.on('uncaughtException', mine);
const listeners = () => ['uncaughtException', 'unhandledRejection'].map((e) => process.listeners(e).length).join('/');
await tf.ready();
const appBackend = tf.getBackend();
await ready({ keepBackend: true });
const out = { appBackend, afterReady: tf.getBackend(), wasmKernel: !!tf.getKernel('Conv2DBackpropFilter', 'wasm'), listenersAfterReady: listeners() };
await tf.setBackend('wasm');
const w = tf.variable(tf.scalar(0));
const fit = () => {
  const opt = new FSAM({ learningRate: 0.1, rho: 0.01, weightDecay: 0 });
  for (let i = 0; i < 50; i++) opt.minimize(() => tf.square(tf.sub(w, 3)));
  opt.dispose();
  return Math.round(w.dataSync()[0] * 100) / 100;
};
out.switched = tf.getBackend();
out.wOnWasm = fit();
out.listenersOnWasm = listeners();
tf.engine().reset();
out.listenersAfterReset = listeners();
out.appHandlerKept = process.listeners('uncaughtException').includes(mine);
await ready();
out.afterResetReady = tf.getBackend();
console.log(JSON.stringify(out));

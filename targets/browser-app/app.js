// A browser app bundled with esbuild, one tfjs: @tensorflow/tfjs and the fsam-edge
// add-on. tfjs-backend-wasm's binary is a file the app serves beside its scripts; the
// page lets tfjs fetch it (wasmPaths), the worker fetches it and hands ready() the bytes.
// Both ask for 2 threads: served cross-origin isolated (COOP and COEP headers), with
// fsam-edge-threads.js beside the scripts, they get them; otherwise ready() says why not.
// Then the page trains again on WebGL, where F-SAM runs in tfjs ops.
import * as tf from '@tensorflow/tfjs';
import { ready } from 'fsam-edge';
import { train } from './train.js';

const out = document.getElementById('out');
const started = performance.now();
try {
  const { wasm } = await ready({ wasmPaths: new URL('./wasm/', location.href).href, threads: 2 });
  const page = { ...await train(), threads: wasm.threads, reason: wasm.reason };
  const worker = await new Promise((resolve, reject) => {
    const w = new Worker('./worker.js', { type: 'module' });
    w.onmessage = (e) => (e.data.error ? reject(new Error(e.data.error)) : resolve(e.data));
    w.onerror = (e) => reject(new Error(e.message));
  });
  await tf.setBackend('webgl');
  const webgl = await train();
  out.textContent = JSON.stringify({ page, worker, webgl });
} catch (err) {
  out.textContent = JSON.stringify({ error: err.name, message: err.message, ms: Math.round(performance.now() - started) });
}

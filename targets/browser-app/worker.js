// The same training in a Web Worker, the page kept free: ready() gets the binary's bytes.
import { ready } from 'fsam-edge';
import { train } from './train.js';

try {
  const response = await fetch(new URL('./wasm/tfjs-backend-wasm-simd.wasm', self.location.href));
  const { wasm } = await ready({ wasmBinary: await response.arrayBuffer(), threads: 2 });
  self.postMessage({ ...await train(), threads: wasm.threads, reason: wasm.reason });
} catch (err) {
  self.postMessage({ error: `${err.name}: ${err.message}` });
}

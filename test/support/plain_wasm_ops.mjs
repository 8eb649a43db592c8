// What plain tfjs-backend-wasm (XNNPACK, none of fsam-edge's kernels) computes for a list
// of ops, in a child process of its own: a bundle of the sources where the wasm loader is
// configured as ready() would but no kernel is registered (as test/tfjs-core-ops/run.mjs
// --baseline does). Input: JSON [{ op, x: number[] (NaN, ±Infinity, -0 as strings), shape,
// attrs }] on stdin; output: JSON, each result's float32 bits as numbers.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { bundleTest, root } from '../tfjs-core-ops/bundle.mjs';

const entry = `
import * as tfjsWasm from '@tensorflow/tfjs-backend-wasm';
import { tf } from './src/tf.ts';
import { configureWasmLoader } from './src/backend/wasm_loader.ts';
import { embeddedTfjsWasmBinary } from './src/platform/bundled_tfjs.ts';
import { readFileSync } from 'node:fs';
configureWasmLoader(tfjsWasm, { binary: embeddedTfjsWasmBinary });
await tf.setBackend('wasm');
const decode = (v) => (typeof v === 'string' ? Number(v) : v);
const cases = JSON.parse(readFileSync(0, 'utf8'));
const out = cases.map(({ op, x, shape, attrs }) => {
  const t = tf.tensor(Float32Array.from(x, decode), shape);
  const y = op === 'relu' ? tf.relu(t) : tf.maxPool(t, attrs.filterSize, attrs.strides, attrs.pad);
  const bits = Array.from(new Uint32Array(y.dataSync().slice().buffer));
  tf.dispose([t, y]);
  return { shape: y.shape, bits };
});
process.stdout.write(JSON.stringify(out));
`;

/** Runs `cases` on plain tfjs-backend-wasm; resolves to [{ shape, bits }]. */
export async function plainWasm(cases) {
  await bundleTest('plain-wasm-ops', entry);
  const encode = (v) => (Number.isFinite(v) && !Object.is(v, -0) ? v : String(v));
  const r = spawnSync(process.execPath, [join(root, 'build/plain-wasm-ops.mjs')], {
    input: JSON.stringify(cases.map((c) => ({ ...c, x: Array.from(c.x, encode) }))), encoding: 'utf8', maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`plain tfjs-backend-wasm: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

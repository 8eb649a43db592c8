// ready(): the one call before using fsam-edge with tfjs. It activates tfjs's wasm
// backend from the embedded SIMD binary, with tfjs-core's gradients registered (the ESM
// build, see src/tf.ts) and fsam-edge's training kernels added. Idempotent.
import { tf } from './tf';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { simdBinaryDataUrl } from './backend/wasm_binaries';
import { hasWasmSimd, WasmSimdUnsupportedError } from './backend/simd';
import { registerTrainingKernels } from './kernels/index';
import { compileOptimizerKernels } from './core/kernels';

let pending: Promise<void> | undefined;

export function ready(): Promise<void> {
  if (!hasWasmSimd()) return Promise.reject(new WasmSimdUnsupportedError());
  pending ??= activate().catch((err) => { pending = undefined; throw err; });
  return pending;
}

async function activate(): Promise<void> {
  // Only the SIMD binary is embedded: tfjs must not pick its threaded build where
  // SharedArrayBuffer exists (cross-origin-isolated pages, Deno).
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
  const url = simdBinaryDataUrl();
  setWasmPaths({
    'tfjs-backend-wasm.wasm': url,
    'tfjs-backend-wasm-simd.wasm': url,
    'tfjs-backend-wasm-threaded-simd.wasm': url,
  }, true);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not activate its wasm backend');
  registerTrainingKernels();
  await compileOptimizerKernels();
}

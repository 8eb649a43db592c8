// The tfjs wasm backend as fsam-edge uses it: the backend object, its linear memory,
// and where each tensor's bytes sit in it.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export function wasmBackend(): BackendWasm {
  return tf.findBackend('wasm') as BackendWasm;
}

/** tfjs-wasm's WebAssembly.Memory, which fsam-edge's kernels import. */
export function wasmMemory(backend: BackendWasm = wasmBackend()): WebAssembly.Memory {
  // deno-lint-ignore no-explicit-any
  const module = backend.wasm as any;
  const memory = module.wasmMemory ?? module.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error('tfjs-backend-wasm exposes no WebAssembly.Memory');
  return memory;
}

/** The byte offset of a tensor's data in the wasm heap. */
export function tensorOffset(t: tf.Tensor, backend: BackendWasm = wasmBackend()): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

/** Whether a memory is shared (tfjs-wasm's threaded build): kernels must be built for it. */
export function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
}

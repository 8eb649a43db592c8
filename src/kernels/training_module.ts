// The training kernels (assembly/training) instantiated on tfjs-wasm's own memory. The
// module has no data segment, so instantiating it writes nothing; it only touches the
// bytes the kernels are pointed at. One instance per memory: tfjs makes a new wasm
// module (and memory) whenever its backend is re-created, e.g. after engine.reset().
// The kernels' parameters are their AssemblyScript exports' (src/wasm/bind.ts).
import trainingWasm from '../../build/training.wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { wasmMemory } from '../backend/wasm_backend';
import { bindModule } from '../wasm/bind';
import { TRAINING_EXPORTS, type TrainingExports } from '../wasm/training_exports';

/** The module's exports, typed from the AssemblyScript source (src/wasm/training_exports.ts, generated). */
export type TrainingKernels = TrainingExports;

export type TrainingVariant = 'simd' | 'scalar';

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<WebAssembly.Memory, TrainingKernels>();
let variant: TrainingVariant = 'simd';

/** The kernels bound to this backend's memory (compiled once: 10 KiB compiles synchronously everywhere). */
export function trainingKernels(backend: BackendWasm): TrainingKernels {
  const memory = wasmMemory(backend);
  let k = instances.get(memory);
  if (!k) {
    compiled ??= new WebAssembly.Module(trainingWasm as Uint8Array<ArrayBuffer>);
    k = bindModule<TrainingExports>(compiled, memory, TRAINING_EXPORTS, 'build/training.wasm');
    instances.set(memory, k);
  }
  return k;
}

/** Which twin the registered kernels call: 'simd' (default) or the 'scalar' reference. */
export function setTrainingKernelVariant(v: TrainingVariant): void {
  if (v !== 'simd' && v !== 'scalar') throw new RangeError(`training kernel variant must be 'simd' or 'scalar', got ${String(v)}`);
  variant = v;
}

export function trainingKernelVariant(): TrainingVariant {
  return variant;
}

/** Scratch bytes on tfjs-wasm's heap, freed by the caller (malloc may grow memory: read offsets after). */
export function malloc(backend: BackendWasm, bytes: number): number {
  // deno-lint-ignore no-explicit-any
  return ((backend.wasm as any)._malloc(Math.max(bytes, 16)) as number) >>> 0;
}

export function free(backend: BackendWasm, ptr: number): void {
  // deno-lint-ignore no-explicit-any
  (backend.wasm as any)._free(ptr);
}

/** Byte offset of a tensor's data in the wasm heap. */
export function offsetOf(backend: BackendWasm, t: { dataId: object }): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

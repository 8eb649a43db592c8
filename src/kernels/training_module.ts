// The training kernels (assembly/training) instantiated on tfjs-wasm's own memory. The
// module has no data segment, so instantiating it writes nothing; it only touches the
// bytes the kernels are pointed at. One instance per memory: tfjs makes a new wasm
// module (and memory) whenever its backend is re-created, e.g. after engine.reset().
// The kernels' parameters are their AssemblyScript exports' (src/wasm/bind.ts).
import trainingWasm from '../../build/training.wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { isShared, wasmMemory } from '../backend/wasm_backend';
import { kernelPoolOf, sharedKernelModules } from '../backend/threads';
import { bindModule, pickVariant, type Variant } from '../wasm/bind';
import { TRAINING_EXPORTS, type TrainingExports } from '../wasm/training_exports';

/** The module's exports, typed from the AssemblyScript source (src/wasm/training_exports.ts, generated). */
export type TrainingKernels = TrainingExports;

export type TrainingVariant = 'simd' | 'scalar';

/** The kernels of one variant: each `<family>_simd` / `<family>_scalar` pair as `<family>`. */
export type VariantKernels = Variant<TrainingExports>;

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<WebAssembly.Memory, Record<TrainingVariant, VariantKernels>>();
let variant: TrainingVariant = 'simd';

/** The kernels bound to this backend's memory, in the variant set by
 *  setTrainingKernelVariant: both variants are picked once per module instance, so no
 *  kernel call chooses. Compiled once: 10 KiB compiles synchronously everywhere. */
export function trainingKernels(backend: BackendWasm): VariantKernels {
  const memory = wasmMemory(backend);
  let both = instances.get(memory);
  if (!both) {
    // A threaded backend's memory is shared: the build for a shared memory links to it.
    const module = isShared(memory) ? sharedKernelModules().training
      : (compiled ??= new WebAssembly.Module(trainingWasm as Uint8Array<ArrayBuffer>));
    const k = bindModule<TrainingExports>(module, memory, TRAINING_EXPORTS, 'build/training.wasm');
    both = { simd: pickVariant(k, TRAINING_EXPORTS, 'simd'), scalar: pickVariant(k, TRAINING_EXPORTS, 'scalar') };
    instances.set(memory, both);
  }
  return both[variant];
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

// Writing into tfjs-wasm tensor memory safely. Two facts of tfjs-backend-wasm 4.22 make
// a naive in-place write wrong:
//  - data is shared: tf.variable(t) and tf.clone(t) share t's bytes (refCount > 1), so a
//    write through one would change the others. ownedOffset() copies shared data first.
//  - XNNPACK operators (conv2d, depthwise, matMul, fused variants) are cached per
//    filter/weight tensor id with the weights packed at creation: after an in-place write
//    they keep computing with the old weights (measured: conv2d returned the old result).
//    contentsChanged() drops those caches the way disposing the tensor would, keeping its
//    id and memory, so the next op repacks the new weights.
import { tf } from '../tf';
import { wasmBackend, wasmMemory } from '../backend/wasm_backend';
import type { ArenaHost } from '../core/arena';

/** The byte offset of a variable's data, made exclusively the variable's first. */
export function ownedOffset(v: tf.Variable): number {
  const backend = wasmBackend();
  if (backend.refCount(v.dataId) > 1) {
    const copy = tf.tensor(v.dataSync().slice(), v.shape, 'float32');
    v.assign(copy); // v now shares copy's fresh data, and copy is released below
    copy.dispose();
  }
  return backend.dataIdMap.get(v.dataId).memoryOffset;
}

/** Tell tfjs-wasm that a tensor's bytes changed: drop operators cached on them. */
export function contentsChanged(t: tf.Tensor): void {
  const backend = wasmBackend();
  const data = backend.dataIdMap.get(t.dataId);
  backend.wasm.tfjs.disposeData(data.id);
  backend.wasm.tfjs.registerTensor(data.id, t.size, data.memoryOffset);
}

/** An arena host on tfjs-wasm's own heap: state sits beside the tensors it serves. */
export function tfjsHeapHost(): ArenaHost {
  const backend = wasmBackend();
  // emscripten's allocator, which tfjs-wasm itself uses for tensor data.
  const heap = backend.wasm as unknown as { _malloc(bytes: number): number; _free(pointer: number): void };
  let raw = 0;
  return {
    get memory() { return wasmMemory(backend); },
    allocate(bytes: number) {
      raw = heap._malloc(bytes + 16) >>> 0;
      if (raw === 0) throw new RangeError(`tfjs-wasm heap could not allocate ${bytes} bytes for the arena`);
      const aligned = (raw + 15) & ~15;
      new Uint8Array(wasmMemory(backend).buffer, aligned, bytes).fill(0);
      return aligned;
    },
    release() {
      if (raw !== 0) heap._free(raw);
      raw = 0;
    },
  };
}

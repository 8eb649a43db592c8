// The wasm-memory bridge: everything the tfjs optimizers rely on inside tfjs beyond its
// public API, in one place. Checked against @tensorflow/tfjs-core 4.22.0 and
// @tensorflow/tfjs-backend-wasm 4.22.0 (CHECKED_TFJS below); test/wasm_bridge.test.mjs
// exercises each fact and fails, naming these versions, when an upgrade breaks one.
// (The backend object and its WebAssembly.Memory come from src/backend/wasm_backend.ts,
// which the training kernels share; the test covers those too.)
//
// Facts of tfjs-backend-wasm that make a naive in-place write wrong:
//  - data is shared: tf.variable(t) and tf.clone(t) share t's bytes (refCount > 1), so a
//    write through one would change the others. writableOffset() copies shared data first.
//  - XNNPACK operators (conv2d, depthwise, matMul, fused variants) are cached per
//    filter/weight tensor id with the weights packed at creation: after an in-place write
//    they keep computing with the old weights (measured: conv2d returned the old result).
//    contentsChanged() drops those caches the way disposing the tensor would, keeping its
//    id and memory, so the next op repacks the new weights.
// And of tfjs-core's engine:
//  - tf.keep() goes through engine.keep, an own method that can be watched (keptDuring).
//  - engine.registeredVariables holds every live variable, trainable or not.
//  - the engine looks a kernel up with getKernel() at each call and calls the registered
//    config's kernelFunc property, which can be wrapped for a while (kernelCallsDuring,
//    the recorder of src/replay/); engine.makeTensor writes through backend.write().
import { tf } from '../tf';
import { wasmBackend, wasmMemory } from '../backend/wasm_backend';
import type { ArenaHost } from '../core/arena';

/** tfjs-wasm's WebAssembly.Memory, and a tensor's byte offset in it (dataIdMap's memoryOffset). */
export { wasmMemory, tensorOffset } from '../backend/wasm_backend';

/** The tfjs versions these facts were checked against. */
export const CHECKED_TFJS = { core: '4.22.0', wasm: '4.22.0' } as const;

/** The byte offset of a variable's data, made exclusively the variable's first. */
export function writableOffset(v: tf.Variable): number {
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

/** An arena host on tfjs-wasm's own heap (emscripten's malloc, which tfjs-wasm uses for tensor data). */
export function tfjsHeapHost(): ArenaHost {
  const backend = wasmBackend();
  const heap = backend.wasm as unknown as { _malloc(bytes: number): number; _free(pointer: number): void };
  let raw = 0;
  return {
    get memory() { return wasmMemory(backend); },
    allocate(bytes: number) {
      if (raw !== 0) throw new Error('a tfjs heap host holds one arena');
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

/** Runs f; returns its result and the tensors tf.keep() kept meanwhile (they escape every scope). */
export function keptDuring<T>(f: () => T): { result: T; kept: tf.Tensor[] } {
  const engine = tf.engine();
  const kept: tf.Tensor[] = [];
  const keep = engine.keep;
  engine.keep = <K extends tf.Tensor>(t: K): K => { kept.push(t); return keep.call(engine, t) as K; };
  try {
    return { result: f(), kept };
  } catch (err) {
    for (const t of kept) if (!t.isDisposed) t.dispose();
    throw err;
  } finally {
    engine.keep = keep;
  }
}

/** Every live variable (trainable or not) the engine knows. */
export function liveVariables(): tf.Variable[] {
  return Object.values(tf.engine().registeredVariables).filter((v) => !v.isDisposed);
}

/** One outermost kernel call seen by kernelCallsDuring. */
export interface KernelCall {
  kernelName: string;
  inputs: tf.NamedTensorInfoMap;
  attrs: tf.NamedAttrMap;
  outputs: tf.TensorInfo[];
}

/**
 * Runs f on 'wasm'; returns its result, the outermost kernel calls it made (in order; a
 * kernel that calls another's kernelFunc through the registry counts once), and the dataIds
 * written meanwhile without a kernel (backend.write: engine.makeTensor's scalars and seeds),
 * each with a copy of its values.
 * Relies on: the engine looks each kernel up with getKernel() at every call and calls the
 * registered config's kernelFunc, so wrapping that property (restored after) sees every
 * call; and engine.makeTensor writes through the backend's write() method.
 */
export function kernelCallsDuring<T>(f: () => T): { result: T; calls: KernelCall[]; written: Map<tf.DataId, tf.TypedArray> } {
  const backend = wasmBackend() as unknown as { write: (...args: unknown[]) => tf.DataId; readSync(dataId: tf.DataId): tf.TypedArray };
  const configs = tf.getKernelsForBackend('wasm');
  const originals = configs.map((c) => c.kernelFunc);
  const calls: KernelCall[] = [], written = new Map<tf.DataId, tf.TypedArray>();
  let depth = 0;
  configs.forEach((config, i) => {
    const run = originals[i];
    config.kernelFunc = ((args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap }) => {
      if (depth > 0) return (run as (a: unknown) => unknown)(args);
      depth++;
      let out: tf.TensorInfo | tf.TensorInfo[];
      try {
        out = (run as (a: unknown) => tf.TensorInfo | tf.TensorInfo[])(args);
      } finally {
        depth--;
      }
      calls.push({ kernelName: config.kernelName, inputs: args.inputs, attrs: args.attrs, outputs: Array.isArray(out) ? out : [out] });
      return out;
    }) as unknown as tf.KernelFunc;
  });
  const hadOwnWrite = Object.prototype.hasOwnProperty.call(backend, 'write');
  const write = backend.write;
  backend.write = (...args: unknown[]) => {
    const dataId = write.apply(backend, args);
    written.set(dataId, backend.readSync(dataId)); // a copy of the values, which may be gone when the pass ends
    return dataId;
  };
  try {
    return { result: f(), calls, written };
  } finally {
    configs.forEach((config, i) => { config.kernelFunc = originals[i]; });
    if (hadOwnWrite) backend.write = write;
    else delete (backend as { write?: unknown }).write;
  }
}

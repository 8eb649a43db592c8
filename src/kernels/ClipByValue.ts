// ClipByValue for 'wasm', float32: NaN passes through, as on tfjs-backend-cpu
// (assembly/training/clip.ts). tfjs-wasm 4.22 clips NaN to the lower bound, so NaN
// predictions clipped in tfjs-layers' cross-entropy gave a finite loss and hid a
// diverged model. int32 is clipped here too, element by element as the cpu backend does:
// tfjs-wasm's own kernel left values above the upper bound (clip([1, 5, -5], 0, 2) gave
// [1, 5, 0]).
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { offsetOf, trainingKernels } from './training_module';

type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };

export function makeClipByValueConfig(original: tf.KernelConfig): tf.KernelConfig {
  const plain = original.kernelFunc as unknown as (args: Args) => tf.TensorInfo;
  const clip = (args: Args): tf.TensorInfo => {
    const { inputs: { x }, backend, attrs } = args;
    if (!x || (x.dtype !== 'float32' && x.dtype !== 'int32')) return plain(args);
    const lo = attrs.clipValueMin as number, hi = attrs.clipValueMax as number;
    const out = backend.makeOutput(x.shape, x.dtype);
    if (x.dtype === 'int32') {
      const from = backend.typedArrayFromHeap(x), to = backend.typedArrayFromHeap(out);
      for (let i = 0; i < from.length; i++) to[i] = from[i] > hi ? hi : from[i] < lo ? lo : from[i];
      return out;
    }
    const k = trainingKernels(backend);
    k.f32_clip(offsetOf(backend, x), offsetOf(backend, out), x.shape.reduce((a, b) => a * b, 1), lo, hi);
    return out;
  };
  return { ...original, kernelFunc: clip as unknown as tf.KernelFunc };
}

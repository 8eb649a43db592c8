// Relu for 'wasm', float32: assembly/training/relu.ts (max(x, 0), the bits of tfjs-wasm's
// XNNPACK clamp, a test compares them) instead of the original, so that it splits over
// threads by element ranges (src/kernels/split.ts). Other dtypes go to the original.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { offsetOf } from './training_module';
import { partsFor, ranges, runParts } from './split';

type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };

export function makeReluConfig(original: tf.KernelConfig): tf.KernelConfig {
  const xnnpack = original.kernelFunc as unknown as (args: Args) => tf.TensorInfo;
  const relu = (args: Args): tf.TensorInfo => {
    const { inputs: { x }, backend } = args;
    if (!x || x.dtype !== 'float32') return xnnpack(args);
    const y = backend.makeOutput(x.shape, 'float32');
    const n = x.shape.reduce((a, b) => a * b, 1);
    if (n === 0) return y;
    const X = offsetOf(backend, x), Y = offsetOf(backend, y);
    runParts(backend, 'f32_relu', ranges(n, partsFor(backend, n, Math.ceil(n / 4)), 4)
      .map(([i0, i1]) => [X + 4 * i0, Y + 4 * i0, i1 - i0]));
    return y;
  };
  return { ...original, kernelFunc: relu as unknown as tf.KernelFunc };
}

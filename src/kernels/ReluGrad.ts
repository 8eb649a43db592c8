// The Relu gradient on 'wasm' as one kernel. tfjs-core's gradient is
// mul(dy, cast(step(x), 'float32')): three kernel calls and three passes over the
// activation (in a step of the study's CNN, Step and Multiply took 1.1 of 19 ms). On
// 'wasm', for float32, it runs FsamReluGrad (assembly/training/relu_grad.ts): the same
// multiply per element, so the same bits. Elsewhere, and for int32, tfjs-core's own
// gradient runs. FsamReluGrad has a gradient of its own (for second derivatives): linear
// in dy with the same mask, and zero in x, as the composed ops give.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { offsetOf } from './training_module';
import { partsFor, ranges, runParts } from './split';

export const RELU_GRAD = 'FsamReluGrad';

function reluGrad(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm }): tf.TensorInfo {
  const { inputs: { dy, x }, backend } = args;
  const out = backend.makeOutput(x!.shape, 'float32');
  const n = x!.shape.reduce((a, b) => a * b, 1);
  // Over the threads by element ranges (whole vectors).
  const DY = offsetOf(backend, dy!), X = offsetOf(backend, x!), OUT = offsetOf(backend, out);
  runParts(backend, 'f32_relu_grad', ranges(n, partsFor(backend, n, Math.ceil(n / 4)), 4)
    .map(([i0, i1]) => [DY + 4 * i0, X + 4 * i0, OUT + 4 * i0, i1 - i0]));
  return out;
}

export const reluGradKernelConfig: tf.KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: reluGrad as unknown as tf.KernelFunc,
};

const fused = (dy: tf.Tensor, x: tf.Tensor) => tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor;
const canFuse = (dy: tf.Tensor, x: tf.Tensor) => tf.getBackend() === 'wasm' && x.dtype === 'float32' &&
  dy.dtype === 'float32' && tf.util.arraysEqual(dy.shape, x.shape) && tf.getKernel(RELU_GRAD, 'wasm') != null;

export function makeReluGradConfig(original: tf.GradConfig): tf.GradConfig {
  return {
    ...original,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      if (!canFuse(dy as tf.Tensor, x)) return original.gradFunc(dy, saved, attrs);
      return { x: () => fused(dy as tf.Tensor, x) };
    },
  };
}

export const reluGradGradConfig: tf.GradConfig = {
  kernelName: RELU_GRAD,
  inputsToSave: ['x'],
  gradFunc: (ddx, saved) => {
    const [x] = saved;
    return { dy: () => fused(ddx as tf.Tensor, x), x: () => tf.zerosLike(x) };
  },
};

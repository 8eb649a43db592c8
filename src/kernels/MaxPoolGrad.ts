// MaxPoolGrad for 'wasm', replacing tfjs-wasm's own (34–50× slower than its forward
// MaxPool, measured: in a small CNN's training step it took 40% of the time). The kernel
// is assembly/training/max_pool_grad.ts; ties and NaN follow tfjs-backend-cpu. The pool's
// geometry is a depthwise conv's with a filterSize window, as tfjs computes it.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { checkDy, checkTensor, convGeometry, pair } from './conv_util';
import { offsetOf, trainingKernels } from './training_module';

const NAME = 'MaxPoolGrad';

function maxPoolGrad(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  checkTensor(NAME, 'dy', dy, 4, ['float32']);
  checkTensor(NAME, 'input', input, 4, ['float32']);
  const [fh, fw] = pair(NAME, 'filterSize', attrs.filterSize);
  const g = convGeometry(NAME, input.shape, [fh, fw, input.shape[3], 1],
    { strides: attrs.strides, pad: attrs.pad, dimRoundingMode: attrs.dimRoundingMode }, true);
  checkDy(NAME, dy, g);
  const dx = backend.makeOutput(input.shape, 'float32');
  const k = trainingKernels(backend);
  k.f32_max_pool_grad(offsetOf(backend, input), offsetOf(backend, dy), offsetOf(backend, dx),
    g.B, g.H, g.W, g.CI, g.OH, g.OW, fh, fw, g.sh, g.sw, 1, 1, g.pt, g.pl);
  return dx;
}

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};

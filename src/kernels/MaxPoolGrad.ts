// MaxPoolGrad for 'wasm', replacing tfjs-wasm's own (34–50× slower than its forward
// MaxPool, measured: in a small CNN's training step it took 40% of the time). The kernel
// is assembly/training/max_pool_grad.ts; ties and NaN follow tfjs-backend-cpu. The pool's
// geometry is a depthwise conv's with a filterSize window, as tfjs computes it.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { poolGradientArgs } from './conv_util';
import { offsetOf } from './training_module';
import { partsFor, ranges, runParts } from './split';

const NAME = 'MaxPoolGrad';

function maxPoolGrad(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { backend } = args;
  const { dy, input, g, fh, fw } = poolGradientArgs(NAME, args);
  const dx = backend.makeOutput(input.shape, 'float32');
  // Over the threads by images: a window never leaves its image.
  const X = offsetOf(backend, input), DY = offsetOf(backend, dy), DX = offsetOf(backend, dx);
  const xImage = g.H * g.W * g.CI * 4, yImage = g.OH * g.OW * g.CI * 4;
  const parts = partsFor(backend, g.B * (g.H * g.W + g.OH * g.OW * fh * fw) * g.CI, g.B);
  runParts(backend, 'f32_max_pool_grad', ranges(g.B, parts).map(([b0, b1]) => [X + b0 * xImage, DY + b0 * yImage,
    DX + b0 * xImage, b1 - b0, g.H, g.W, g.CI, g.OH, g.OW, fh, fw, g.sh, g.sw, 1, 1, g.pt, g.pl]));
  return dx;
}

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};

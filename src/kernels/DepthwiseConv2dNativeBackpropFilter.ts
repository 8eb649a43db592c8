// DepthwiseConv2dNativeBackpropFilter for 'wasm' (assembly/training/depthwise_backprop.ts).
// With a channel multiplier M > 1, x is first expanded to CI·M channels in scratch so
// the kernel runs channel for channel against dy.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { filterGradientArgs } from './conv_util';
import { free, malloc, offsetOf, trainingKernels } from './training_module';

const NAME = 'DepthwiseConv2dNativeBackpropFilter';

function depthwiseConv2dNativeBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { backend, x, dy, filterShape, g } = filterGradientArgs(NAME, args, true);

  const M = filterShape[3];
  const out = backend.makeOutput(filterShape, 'float32');
  const npix = g.B * g.H * g.W;
  const xe = M > 1 ? malloc(backend, npix * g.CO * 4) : 0;
  const k = trainingKernels(backend);
  if (M > 1) k.f32_expand_channels(offsetOf(backend, x), xe, npix * g.CI, M);
  k.f32_depthwise_backprop_filter(M > 1 ? xe : offsetOf(backend, x), offsetOf(backend, dy), offsetOf(backend, out),
    g.B, g.H, g.W, g.CO, g.OH, g.OW, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl);
  if (M > 1) free(backend, xe);
  return out;
}

export const depthwiseConv2dNativeBackpropFilterConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as tf.KernelFunc,
};

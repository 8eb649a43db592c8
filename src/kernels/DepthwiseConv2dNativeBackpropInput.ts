// DepthwiseConv2dNativeBackpropInput for 'wasm' (assembly/training/depthwise_backprop.ts).
// With a channel multiplier M > 1 the kernel scatters into CI·M channels in scratch,
// which are then summed in groups of M into dx.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { inputGradientArgs } from './conv_util';
import { free, malloc, offsetOf, trainingKernels } from './training_module';

const NAME = 'DepthwiseConv2dNativeBackpropInput';

function depthwiseConv2dNativeBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { backend, dy, filter, inputShape, g } = inputGradientArgs(NAME, args, true);

  const M = filter.shape[3];
  const dx = backend.makeOutput(inputShape, 'float32');
  const npix = g.B * g.H * g.W;
  const dxe = M > 1 ? malloc(backend, npix * g.CO * 4) : 0;
  const k = trainingKernels(backend);
  k.f32_depthwise_backprop_input(M > 1 ? dxe : offsetOf(backend, dx), offsetOf(backend, dy), offsetOf(backend, filter),
    g.B, g.H, g.W, g.CO, g.OH, g.OW, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl);
  if (M > 1) {
    k.f32_sum_groups(dxe, offsetOf(backend, dx), npix * g.CI, M);
    free(backend, dxe);
  }
  return dx;
}

export const depthwiseConv2dNativeBackpropInputConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as tf.KernelFunc,
};

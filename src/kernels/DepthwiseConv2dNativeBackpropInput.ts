// DepthwiseConv2dNativeBackpropInput for 'wasm' (assembly/training/depthwise_backprop.ts).
// With a channel multiplier M > 1 the kernel scatters into CI·M channels in scratch,
// which are then summed in groups of M into dx.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { checkDy, checkShape, checkTensor, convGeometry, type ConvAttrs } from './conv_util';
import { free, malloc, offsetOf, trainingKernels, trainingKernelVariant } from './training_module';

const NAME = 'DepthwiseConv2dNativeBackpropInput';

function depthwiseConv2dNativeBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
  const { dy, filter } = inputs;
  checkTensor(NAME, 'dy', dy, 4, ['float32']);
  checkTensor(NAME, 'filter', filter, 4, ['float32']);
  checkShape(NAME, 'inputShape', attrs.inputShape, 4);
  const g = convGeometry(NAME, attrs.inputShape, filter.shape, attrs, true);
  checkDy(NAME, dy, g);

  const M = filter.shape[3];
  const dx = backend.makeOutput(attrs.inputShape, 'float32');
  const npix = g.B * g.H * g.W;
  const dxe = M > 1 ? malloc(backend, npix * g.CO * 4) : 0;
  const k = trainingKernels(backend);
  const run = trainingKernelVariant() === 'simd' ? k.f32_depthwise_backprop_input_simd : k.f32_depthwise_backprop_input_scalar;
  run(M > 1 ? dxe : offsetOf(backend, dx), offsetOf(backend, dy), offsetOf(backend, filter),
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

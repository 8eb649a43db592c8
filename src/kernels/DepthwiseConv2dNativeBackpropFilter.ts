// DepthwiseConv2dNativeBackpropFilter for 'wasm' (assembly/training/depthwise_backprop.ts).
// With a channel multiplier M > 1, x is first expanded to CI·M channels in scratch so
// the kernel runs channel for channel against dy.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { checkDy, checkShape, checkTensor, convGeometry, type ConvAttrs } from './conv_util';
import { free, malloc, offsetOf, trainingKernels, trainingKernelVariant } from './training_module';

const NAME = 'DepthwiseConv2dNativeBackpropFilter';

function depthwiseConv2dNativeBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
  const { x, dy } = inputs;
  checkTensor(NAME, 'x', x, 4, ['float32']);
  checkTensor(NAME, 'dy', dy, 4, ['float32']);
  checkShape(NAME, 'filterShape', attrs.filterShape, 4);
  const g = convGeometry(NAME, x.shape, attrs.filterShape, attrs, true);
  checkDy(NAME, dy, g);

  const M = attrs.filterShape[3];
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  const npix = g.B * g.H * g.W;
  const xe = M > 1 ? malloc(backend, npix * g.CO * 4) : 0;
  const k = trainingKernels(backend);
  if (M > 1) k.f32_expand_channels(offsetOf(backend, x), xe, npix * g.CI, M);
  const run = trainingKernelVariant() === 'simd' ? k.f32_depthwise_backprop_filter_simd : k.f32_depthwise_backprop_filter_scalar;
  run(M > 1 ? xe : offsetOf(backend, x), offsetOf(backend, dy), offsetOf(backend, out),
    g.B, g.H, g.W, g.CO, g.OH, g.OW, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl);
  if (M > 1) free(backend, xe);
  return out;
}

export const depthwiseConv2dNativeBackpropFilterConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as tf.KernelFunc,
};

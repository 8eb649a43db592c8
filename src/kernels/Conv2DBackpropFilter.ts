// Conv2DBackpropFilter for 'wasm': dF = Σ x ⊗ dy over every output position
// (assembly/training/conv2d_backprop_filter.ts). NCHW inputs are transposed to NHWC first.
// Accepts a `dilations` attribute beyond tfjs's, which the dilated Conv2D gradient uses.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { checkDy, checkShape, checkTensor, convGeometry, toNHWC, type ConvAttrs } from './conv_util';
import { offsetOf, trainingKernels, trainingKernelVariant } from './training_module';

const NAME = 'Conv2DBackpropFilter';

function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
  const { x, dy } = inputs;
  checkTensor(NAME, 'x', x, 4, ['float32']);
  checkTensor(NAME, 'dy', dy, 4, ['float32']);
  checkShape(NAME, 'filterShape', attrs.filterShape, 4);
  const g = convGeometry(NAME, x.shape, attrs.filterShape, attrs, false);
  checkDy(NAME, dy, g);

  const out = backend.makeOutput(attrs.filterShape, 'float32');
  const xt = g.channelsFirst ? toNHWC(backend, x) : x;
  const dyt = g.channelsFirst ? toNHWC(backend, dy) : dy;
  const k = trainingKernels(backend);
  const run = trainingKernelVariant() === 'simd' ? k.f32_conv2d_backprop_filter_simd : k.f32_conv2d_backprop_filter_scalar;
  run(offsetOf(backend, xt), offsetOf(backend, dyt), offsetOf(backend, out),
    g.B, g.H, g.W, g.CI, g.OH, g.OW, g.CO, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl);
  if (g.channelsFirst) { backend.disposeData(xt.dataId); backend.disposeData(dyt.dataId); }
  return out;
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};

// Conv2DBackpropInput for 'wasm', replacing tfjs-wasm's own (about 10× slower than its
// forward conv): the scatter kernel of assembly/training/conv2d_backprop_input.ts over
// scratch on tfjs-wasm's heap (the filter transposed to [KH, KW, CO, CI]; for 1–3 input
// channels, dy transposed for the gather form; the kernel module sizes and fills it).
// NCHW is transposed through NHWC.
// Accepts a `dilations` attribute beyond tfjs's, which the dilated Conv2D gradient uses.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { checkDy, checkShape, checkTensor, convGeometry, nhwcShape, toNCHW, toNHWC, type ConvAttrs } from './conv_util';
import { free, malloc, offsetOf, trainingKernels, trainingKernelVariant } from './training_module';

const NAME = 'Conv2DBackpropInput';

function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
  const { dy, filter } = inputs;
  checkTensor(NAME, 'dy', dy, 4, ['float32']);
  checkTensor(NAME, 'filter', filter, 4, ['float32']);
  checkShape(NAME, 'inputShape', attrs.inputShape, 4);
  const g = convGeometry(NAME, attrs.inputShape, filter.shape, attrs, false);
  checkDy(NAME, dy, g);

  const dxShape = g.channelsFirst ? nhwcShape(attrs.inputShape) : attrs.inputShape;
  const dx = backend.makeOutput(dxShape, 'float32');
  const dyt = g.channelsFirst ? toNHWC(backend, dy) : dy;
  const k = trainingKernels(backend);
  const geometry = [g.B, g.H, g.W, g.CI, g.OH, g.OW, g.CO, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl] as const;
  const ft = malloc(backend, k.f32_conv2d_backprop_input_scratch_floats(...geometry) * 4);
  k.f32_conv2d_backprop_input_pack(offsetOf(backend, filter), ft, g.KH, g.KW, g.CI, g.CO);
  const run = trainingKernelVariant() === 'simd' ? k.f32_conv2d_backprop_input_simd : k.f32_conv2d_backprop_input_scalar;
  run(offsetOf(backend, dyt), offsetOf(backend, filter), ft, offsetOf(backend, dx), ...geometry);
  free(backend, ft);
  if (!g.channelsFirst) return dx;
  backend.disposeData(dyt.dataId);
  const out = toNCHW(backend, dx);
  backend.disposeData(dx.dataId);
  return out;
}

export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
};

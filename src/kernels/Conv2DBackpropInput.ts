// Conv2DBackpropInput for 'wasm', replacing tfjs-wasm's own (about 10× slower than its
// forward conv): the scatter kernel of assembly/training/conv2d_backprop_input.ts over
// scratch on tfjs-wasm's heap (the filter transposed to [KH, KW, CO, CI]; for 1–3 input
// channels, dy transposed for the gather form; the kernel module sizes and fills it).
// NCHW is transposed through NHWC.
// Accepts a `dilations` attribute beyond tfjs's, which the dilated Conv2D gradient uses.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { inputGradientArgs, nhwcShape, toNCHW, toNHWC } from './conv_util';
import { free, malloc, offsetOf, trainingKernels } from './training_module';

const NAME = 'Conv2DBackpropInput';

function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { backend, dy, filter, inputShape, g } = inputGradientArgs(NAME, args, false);

  const dxShape = g.channelsFirst ? nhwcShape(inputShape) : inputShape;
  const dx = backend.makeOutput(dxShape, 'float32');
  const dyt = g.channelsFirst ? toNHWC(backend, dy) : dy;
  const k = trainingKernels(backend);
  const geometry = [g.B, g.H, g.W, g.CI, g.OH, g.OW, g.CO, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl] as const;
  const ft = malloc(backend, k.f32_conv2d_backprop_input_scratch_floats(...geometry) * 4);
  k.f32_conv2d_backprop_input_pack(offsetOf(backend, filter), ft, g.KH, g.KW, g.CI, g.CO);
  k.f32_conv2d_backprop_input(offsetOf(backend, dyt), offsetOf(backend, filter), ft, offsetOf(backend, dx), ...geometry);
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

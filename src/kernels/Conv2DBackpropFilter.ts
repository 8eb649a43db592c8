// Conv2DBackpropFilter for 'wasm': dF = Σ x ⊗ dy over every output position
// (assembly/training/conv2d_backprop_filter.ts). NCHW inputs are transposed to NHWC first.
// Accepts a `dilations` attribute beyond tfjs's, which the dilated Conv2D gradient uses.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { filterGradientArgs, toNHWC } from './conv_util';
import { offsetOf, trainingKernels } from './training_module';

const NAME = 'Conv2DBackpropFilter';

function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { backend, x, dy, filterShape, g } = filterGradientArgs(NAME, args, false);

  const out = backend.makeOutput(filterShape, 'float32');
  const xt = g.channelsFirst ? toNHWC(backend, x) : x;
  const dyt = g.channelsFirst ? toNHWC(backend, dy) : dy;
  const k = trainingKernels(backend);
  k.f32_conv2d_backprop_filter(offsetOf(backend, xt), offsetOf(backend, dyt), offsetOf(backend, out),
    g.B, g.H, g.W, g.CI, g.OH, g.OW, g.CO, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl);
  if (g.channelsFirst) { backend.disposeData(xt.dataId); backend.disposeData(dyt.dataId); }
  return out;
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};

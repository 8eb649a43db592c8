// Conv2DBackpropFilter for 'wasm': dF = Σ x ⊗ dy over every output position
// (assembly/training/conv2d_backprop_filter.ts). NCHW inputs are transposed to NHWC first.
// Accepts a `dilations` attribute beyond tfjs's, which the dilated Conv2D gradient uses.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { filterGradientArgs, toNHWC } from './conv_util';
import { offsetOf } from './training_module';
import { partsFor, ranges, runParts } from './split';

const NAME = 'Conv2DBackpropFilter';

function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { backend, x, dy, filterShape, g } = filterGradientArgs(NAME, args, false);

  const out = backend.makeOutput(filterShape, 'float32');
  const xt = g.channelsFirst ? toNHWC(backend, x) : x;
  const dyt = g.channelsFirst ? toNHWC(backend, dy) : dy;
  // Over the threads by output channels (blocks of 8, or 4, for whole SIMD tiles): each
  // dF element is summed by one thread, over every image and position in order.
  const X = offsetOf(backend, xt), DY = offsetOf(backend, dyt), DF = offsetOf(backend, out);
  const align = g.CO >= 16 ? 8 : 4;
  const parts = partsFor(backend, g.B * g.OH * g.OW * g.CO * g.KH * g.KW * g.CI, Math.ceil(g.CO / align));
  runParts(backend, 'f32_conv2d_backprop_filter', ranges(g.CO, parts, align).map(([co0, co1]) => [X, DY, DF,
    g.B, g.H, g.W, g.CI, g.OH, g.OW, g.CO, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, co0, co1]));
  if (g.channelsFirst) { backend.disposeData(xt.dataId); backend.disposeData(dyt.dataId); }
  return out;
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};

// Conv2DBackpropFilter for 'wasm': dF = Σ x ⊗ dy over every output position
// (assembly/training/conv2d_backprop_filter.ts). NCHW inputs are transposed to NHWC first.
// Accepts a `dilations` attribute beyond tfjs's, which the dilated Conv2D gradient uses.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { filterGradientArgs, toNHWC } from './conv_util';
import { offsetOf } from './training_module';
import { partsFor, ranges, runParts } from './split';

const NAME = 'Conv2DBackpropFilter';
/** Floats in a cache line (64 bytes): the parts' scratch rows start on lines of their own. */
const LINE_FLOATS = 16;
const alignUp = (n: number, to: number) => Math.ceil(n / to) * to;

function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { backend, x, dy, filterShape, g } = filterGradientArgs(NAME, args, false);

  const out = backend.makeOutput(filterShape, 'float32');
  const xt = g.channelsFirst ? toNHWC(backend, x) : x;
  const dyt = g.channelsFirst ? toNHWC(backend, dy) : dy;
  // Over the threads by rows of dF (a row: one tap and one input channel, CO floats): each
  // dF element is summed by one thread, over every image and position in order. Every
  // part streams all of x and dy, so there is one part per thread, cut at multiples of 4
  // rows (the SIMD tile's 4 input channels) where there are 4 channels or more: the study
  // CNN's second layer (9 taps × 8 channels) splits 36 + 36 rows, where a split by taps
  // gave 5 + 4 taps and 8 parts streamed x and dy 8 times. One input channel (the kernel
  // takes a filter row's taps as channels then): cut anywhere, inside a filter row too —
  // the first layer's 9 taps split 5 + 4, 1.48× at 2 threads against 1.25× for 3 parts of
  // whole filter rows, which streamed dy 3 times and left one thread 2 of the 3 (issue 17,
  // `node bench/threads_kernels.mjs --against` a checkout of the build before). Split, each part sums in scratch rows of its own, a
  // cache line apart from the others', then copies them into dF.
  const X = offsetOf(backend, xt), DY = offsetOf(backend, dyt), DF = offsetOf(backend, out);
  const rows = g.KH * g.KW * g.CI;
  const align = g.CI >= 4 ? 4 : 1;
  const parts = ranges(rows, partsFor(backend, g.B * g.OH * g.OW * rows * g.CO, Math.ceil(rows / align), 1), align);
  const scratch = parts.length > 1 ? backend.makeOutput([rows * g.CO + LINE_FLOATS * (parts.length + 1)], 'float32') : undefined;
  let at = scratch ? alignUp(offsetOf(backend, scratch), LINE_FLOATS * 4) : 0;
  runParts(backend, 'f32_conv2d_backprop_filter', parts.map(([r0, r1]) => {
    const own = at;
    at += alignUp((r1 - r0) * g.CO * 4, LINE_FLOATS * 4);
    return [X, DY, DF, g.B, g.H, g.W, g.CI, g.OH, g.OW, g.CO, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, r0, r1, own];
  }));
  if (scratch) backend.disposeData(scratch.dataId);
  if (g.channelsFirst) { backend.disposeData(xt.dataId); backend.disposeData(dyt.dataId); }
  return out;
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};

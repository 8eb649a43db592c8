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
  // Over the threads by taps (kh, kw), whole filter rows for one input channel (the
  // kernel takes a row's taps as channels then): each dF element is summed by one thread,
  // over every image and position in order. Split, each part accumulates in scratch rows
  // of its own, a cache line apart from the others', and copies them into dF at its end.
  const X = offsetOf(backend, xt), DY = offsetOf(backend, dyt), DF = offsetOf(backend, out);
  const taps = g.KH * g.KW, tapFloats = g.CI * g.CO, align = g.CI === 1 ? g.KW : 1;
  const parts = ranges(taps, partsFor(backend, g.B * g.OH * g.OW * taps * tapFloats, Math.ceil(taps / align)), align);
  const scratch = parts.length > 1 ? backend.makeOutput([taps * tapFloats + LINE_FLOATS * (parts.length + 1)], 'float32') : undefined;
  let at = scratch ? alignUp(offsetOf(backend, scratch), LINE_FLOATS * 4) : 0;
  runParts(backend, 'f32_conv2d_backprop_filter', parts.map(([t0, t1]) => {
    const own = at;
    at += alignUp((t1 - t0) * tapFloats * 4, LINE_FLOATS * 4);
    return [X, DY, DF, g.B, g.H, g.W, g.CI, g.OH, g.OW, g.CO, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, t0, t1, own];
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

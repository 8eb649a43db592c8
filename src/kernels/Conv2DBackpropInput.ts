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
import { partsFor, ranges, runParts } from './split';

const NAME = 'Conv2DBackpropInput';

function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { backend, dy, filter, inputShape, g } = inputGradientArgs(NAME, args, false);

  const dxShape = g.channelsFirst ? nhwcShape(inputShape) : inputShape;
  const dx = backend.makeOutput(dxShape, 'float32');
  const dyt = g.channelsFirst ? toNHWC(backend, dy) : dy;
  const k = trainingKernels(backend);
  // Over the threads by images. The scatter form groups 4 dy pixels per tile, across
  // images, and a dx element's sum order depends on that grouping: so a part starts at
  // an image whose first pixel starts a tile (b·OH·OW a multiple of 4). The gather form
  // (1–3 input channels) writes its own scratch, so each part gets its own; the scatter
  // form only reads the packed filter, which the parts share.
  const pixels = g.OH * g.OW, align = 4 / gcd(4, pixels);
  const parts = ranges(g.B, partsFor(backend, g.B * pixels * g.CO * g.KH * g.KW * g.CI, g.B), align);
  const rest = [g.H, g.W, g.CI, g.OH, g.OW, g.CO, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl] as const;
  const scratchBytes = (b: number) => (k.f32_conv2d_backprop_input_scratch_floats(b, ...rest) * 4 + 15) & ~15;
  const own = g.CI <= 3; // the gather form's scratch
  const sizes = own ? parts.map(([b0, b1]) => scratchBytes(b1 - b0)) : [scratchBytes(g.B)];
  const ft = malloc(backend, sizes.reduce((a, b) => a + b, 0));
  k.f32_conv2d_backprop_input_pack(offsetOf(backend, filter), ft, g.KH, g.KW, g.CI, g.CO);
  const DY = offsetOf(backend, dyt), F = offsetOf(backend, filter), DX = offsetOf(backend, dx);
  const dyImage = pixels * g.CO * 4, dxImage = g.H * g.W * g.CI * 4;
  let at = ft;
  runParts(backend, 'f32_conv2d_backprop_input', parts.map(([b0, b1], p) => {
    const scratch = own ? at : ft;
    if (own) at += sizes[p];
    return [DY + b0 * dyImage, F, scratch, DX + b0 * dxImage, b1 - b0, ...rest];
  }));
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

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

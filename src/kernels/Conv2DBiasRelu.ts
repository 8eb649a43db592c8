// FsamConv2DBiasRelu: Conv2D, then the bias Add, then Relu, as one kernel writing its output
// once (assembly/training/conv2d.ts's epilogue): the bits of the three kernels fsam-edge
// runs for them on 'wasm' (f32_conv2d, f32_add_bias, f32_relu), with one pass over the
// activation instead of three. Not an op: the rewrite of a recorded pass
// (src/replay/fuse_memory_passes.ts) calls it where a recorded Conv2D → Add → Relu chain
// allows. Inputs { x, filter, bias }: float32, NHWC, bias [CO]; attrs as Conv2D's.
// Only where Conv2D itself runs fsam-edge's kernel: a 1-in, 1-out-channel conv runs
// XNNPACK's (other sums), so the rewrite leaves those alone and this kernel refuses them.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { checkTensor, convGeometry, fail } from './conv_util';
import { offsetOf } from './training_module';
import { partsFor, ranges, runParts } from './split';

export const CONV2D_BIAS_RELU = 'FsamConv2DBiasRelu';

function conv2DBiasRelu(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs: { x, filter, bias }, backend, attrs } = args;
  checkTensor(CONV2D_BIAS_RELU, 'x', x, 4, ['float32']);
  checkTensor(CONV2D_BIAS_RELU, 'filter', filter, 4, ['float32']);
  checkTensor(CONV2D_BIAS_RELU, 'bias', bias, null, ['float32']);
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC') fail(CONV2D_BIAS_RELU, `dataFormat must be 'NHWC', got ${JSON.stringify(attrs.dataFormat)}`);
  const g = convGeometry(CONV2D_BIAS_RELU, x.shape, filter.shape, attrs as never, false);
  if (g.CI === 1 && g.CO === 1) fail(CONV2D_BIAS_RELU, 'a conv with 1 input and 1 output channel runs XNNPACK\'s Conv2D, not fused');
  const biasSize = bias.shape.reduce((a, b) => a * b, 1);
  if (biasSize !== g.CO || (bias.shape.length > 0 && bias.shape[bias.shape.length - 1] !== g.CO)) {
    fail(CONV2D_BIAS_RELU, `bias must hold the ${g.CO} output channels along its last axis, got shape ${JSON.stringify(bias.shape)}`);
  }
  const y = backend.makeOutput(g.outShape, 'float32');
  if (g.outShape.some((n) => n === 0)) return y;
  // Over the threads by images, as Conv2D.
  const X = offsetOf(backend, x), F = offsetOf(backend, filter), BIAS = offsetOf(backend, bias), Y = offsetOf(backend, y);
  const xImage = g.H * g.W * g.CI * 4, yImage = g.OH * g.OW * g.CO * 4;
  const parts = partsFor(backend, g.B * g.OH * g.OW * g.CO * g.KH * g.KW * g.CI, g.B);
  runParts(backend, 'f32_conv2d_bias_relu', ranges(g.B, parts).map(([b0, b1]) => [X + b0 * xImage, F, BIAS, Y + b0 * yImage,
    b1 - b0, g.H, g.W, g.CI, g.OH, g.OW, g.CO, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl]));
  return y;
}

export const conv2DBiasReluConfig: tf.KernelConfig = {
  kernelName: CONV2D_BIAS_RELU,
  backendName: 'wasm',
  kernelFunc: conv2DBiasRelu as unknown as tf.KernelFunc,
};

// Conv2D for 'wasm'. float32 convs run fsam-edge's kernel (assembly/training/conv2d.ts),
// which sums in XNNPACK's order, so it gives tfjs-wasm's bits, and reads the filter in
// place: tfjs-wasm re-creates its XNNPACK operator (packing the filter) after every
// in-place weight update. It also computes 'same'-padded strided convs that tfjs-wasm
// 4.22 gets wrong (measured: with stride ≥ 2 and an odd total padding, e.g. x [1,2,8,5],
// filter 3×1, stride 2, its first outputs are 0; relative error 1 against float64, while
// this kernel is within 2e-7). A 1-in, 1-out-channel conv keeps tfjs-wasm's kernel:
// XNNPACK runs it as a depthwise conv, whose sums are ordered otherwise. tfjs-wasm's
// kernel throws on NCHW; here NCHW is transposed to NHWC and back.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { convGeometry, toNCHW, toNHWC } from './conv_util';
import { offsetOf } from './training_module';
import { partsFor, ranges, runParts } from './split';

type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };

/** The NHWC form of an explicit NCHW padding [[0,0],[0,0],[t,b],[l,r]]. */
export function nhwcPad(pad: unknown): unknown {
  return Array.isArray(pad) ? [pad[0], pad[2], pad[3], pad[1]] : pad;
}

export function makeConv2DConfig(original: tf.KernelConfig): tf.KernelConfig {
  const xnnpack = original.kernelFunc as unknown as (args: Args) => tf.TensorInfo;
  const nhwc = (args: Args): tf.TensorInfo => {
    const { inputs: { x, filter }, backend, attrs } = args;
    if (!x || !filter || x.dtype !== 'float32' || filter.dtype !== 'float32' || x.shape.length !== 4 ||
        filter.shape.length !== 4 || (filter.shape[2] === 1 && filter.shape[3] === 1)) return xnnpack(args);
    const g = convGeometry('Conv2D', x.shape, filter.shape, attrs as never, false);
    const y = backend.makeOutput(g.outShape, 'float32');
    if (g.outShape.some((n) => n === 0)) return y;
    // Over the threads by images: each image's outputs are summed alone.
    const X = offsetOf(backend, x), F = offsetOf(backend, filter), Y = offsetOf(backend, y);
    const xImage = g.H * g.W * g.CI * 4, yImage = g.OH * g.OW * g.CO * 4;
    const parts = partsFor(backend, g.B * g.OH * g.OW * g.CO * g.KH * g.KW * g.CI, g.B);
    runParts(backend, 'f32_conv2d', ranges(g.B, parts).map(([b0, b1]) => [X + b0 * xImage, F, Y + b0 * yImage,
      b1 - b0, g.H, g.W, g.CI, g.OH, g.OW, g.CO, g.KH, g.KW, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl]));
    return y;
  };
  const conv2D = (args: Args): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    if (attrs.dataFormat !== 'NCHW') return nhwc(args);
    const x = toNHWC(backend, inputs.x!);
    const y = nhwc({ inputs: { x, filter: inputs.filter! }, backend,
      attrs: { ...attrs, dataFormat: 'NHWC', pad: nhwcPad(attrs.pad) as tf.NamedAttrMap[string] } });
    backend.disposeData(x.dataId);
    const out = toNCHW(backend, y);
    backend.disposeData(y.dataId);
    return out;
  };
  return { ...original, kernelFunc: conv2D as unknown as tf.KernelFunc };
}

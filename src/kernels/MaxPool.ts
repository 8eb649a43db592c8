// MaxPool for 'wasm', float32 NHWC: assembly/training/max_pool.ts instead of tfjs-wasm's
// XNNPACK pool, so that it splits over threads by images (src/kernels/split.ts) and
// follows the same maximum rule as MaxPoolGrad (tfjs-backend-cpu's). On inputs without NaN
// it gives XNNPACK's bits (a test compares them); other dtypes go to the original.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { convGeometry, pair } from './conv_util';
import { offsetOf } from './training_module';
import { partsFor, ranges, runParts } from './split';

const NAME = 'MaxPool';
type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };

export function makeMaxPoolConfig(original: tf.KernelConfig): tf.KernelConfig {
  const xnnpack = original.kernelFunc as unknown as (args: Args) => tf.TensorInfo;
  const maxPool = (args: Args): tf.TensorInfo => {
    const { inputs: { x }, backend, attrs } = args;
    if (!x || x.dtype !== 'float32' || x.shape.length !== 4) return xnnpack(args);
    const [fh, fw] = pair(NAME, 'filterSize', attrs.filterSize);
    const g = convGeometry(NAME, x.shape, [fh, fw, x.shape[3], 1],
      { strides: attrs.strides, pad: attrs.pad, dimRoundingMode: attrs.dimRoundingMode }, true);
    const y = backend.makeOutput(g.outShape, 'float32');
    if (g.outShape.some((n) => n === 0)) return y;
    // Over the threads by images.
    const X = offsetOf(backend, x), Y = offsetOf(backend, y);
    const xImage = g.H * g.W * g.CI * 4, yImage = g.OH * g.OW * g.CI * 4;
    const parts = partsFor(backend, g.B * g.OH * g.OW * g.CI * fh * fw, g.B);
    runParts(backend, 'f32_max_pool', ranges(g.B, parts).map(([b0, b1]) => [X + b0 * xImage, Y + b0 * yImage,
      b1 - b0, g.H, g.W, g.CI, g.OH, g.OW, fh, fw, g.sh, g.sw, 1, 1, g.pt, g.pl]));
    return y;
  };
  return { ...original, kernelFunc: maxPool as unknown as tf.KernelFunc };
}

// FsamMaxPoolReluGrad: MaxPoolGrad, then the ReLU gradient masked on the pool's input, and
// optionally the bias gradient's column Sum, as one kernel
// (assembly/training/max_pool_relu_grad.ts), image by image so the pool's gradient is read
// back from cache. Where the pool's input is y = relu(x), step(y) has step(x)'s bits
// (y > 0 ⇔ x > 0, and y keeps x's NaN), so this gives the bits of
//   MaxPoolGrad(dy, y) → FsamReluGrad(·, x) [→ Sum over all axes but the last].
// Not an op: the rewrite of a recorded pass (src/replay/fuse_memory_passes.ts) calls it.
// Inputs { dy, input } (input: the pool's input y; `output` is not read); attrs as
// MaxPoolGrad's, plus `biasGrad: true` for a second output, the column sums [C].
// Over the threads by images; the column sums must add rows in order, so a split call
// leaves them to one pass afterwards (f32_column_sums, as the Sum kernel): same bits.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { poolGradientArgs } from './conv_util';
import { offsetOf, trainingKernels } from './training_module';
import { partsFor, ranges, runParts } from './split';

export const MAX_POOL_RELU_GRAD = 'FsamMaxPoolReluGrad';

function maxPoolReluGrad(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { backend, attrs } = args;
  const { dy, input, g, fh, fw } = poolGradientArgs(MAX_POOL_RELU_GRAD, args);
  const withSums = attrs.biasGrad === true;
  const dx = backend.makeOutput(input.shape, 'float32');
  const db = withSums ? backend.makeOutput([g.CI], 'float32') : null;
  const X = offsetOf(backend, input), DY = offsetOf(backend, dy), DX = offsetOf(backend, dx);
  const xImage = g.H * g.W * g.CI * 4, yImage = g.OH * g.OW * g.CI * 4;
  const parts = ranges(g.B, partsFor(backend, g.B * (2 * g.H * g.W + g.OH * g.OW * fh * fw) * g.CI, g.B));
  const DB = db && parts.length === 1 ? offsetOf(backend, db) : 0;
  if (parts.length > 0) runParts(backend, 'f32_max_pool_relu_grad', parts.map(([b0, b1]) => [X + b0 * xImage, DY + b0 * yImage,
    DX + b0 * xImage, DB, b1 - b0, g.H, g.W, g.CI, g.OH, g.OW, fh, fw, g.sh, g.sw, 1, 1, g.pt, g.pl]));
  if (!db) return [dx];
  // (An empty input: no parts, and the sums are zeros.)
  if (DB === 0) trainingKernels(backend).f32_column_sums(DX, offsetOf(backend, db), g.B * g.H * g.W, g.CI);
  return [dx, db];
}

export const maxPoolReluGradConfig: tf.KernelConfig = {
  kernelName: MAX_POOL_RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: maxPoolReluGrad as unknown as tf.KernelFunc,
};

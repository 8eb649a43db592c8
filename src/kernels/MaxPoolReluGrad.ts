// FsamMaxPoolReluGrad: MaxPoolGrad, then the ReLU gradient masked on the pool's input, and
// optionally the bias gradient's column Sum, as one kernel
// (assembly/training/max_pool_relu_grad.ts), image by image so the pool's gradient is read
// back from cache. Where the pool's input is y = relu(x), step(y) has step(x)'s bits
// (y > 0 ⇔ x > 0, and y keeps x's NaN), so this gives the bits of
//   MaxPoolGrad(dy, y) → FsamReluGrad(·, x) [→ Sum over all axes but the last].
// Not an op: the rewrite of a recorded pass (src/replay/fuse_memory_passes.ts) calls it.
// Inputs { dy, input } (input: the pool's input y; `output` is not read); attrs as
// MaxPoolGrad's, plus `biasGrad: true` for a second output, the column sums [C].
// Over the threads by images. The column sums must add rows in order: the calling
// thread's parts are the first images, in order (./split.ts's runParts), so they sum as
// they go, and one pass afterwards continues the sums over the other threads' images
// (f32_column_sums_onto, as the Sum kernel adds): the same bits.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { poolGradientArgs } from './conv_util';
import { offsetOf, trainingKernels } from './training_module';
import { wasmMemory } from '../backend/wasm_backend';
import { partsFor, ranges, runParts } from './split';

export const MAX_POOL_RELU_GRAD = 'FsamMaxPoolReluGrad';

function maxPoolReluGrad(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo[] {
  const { backend, attrs } = args;
  const { dy, input, g, fh, fw } = poolGradientArgs(MAX_POOL_RELU_GRAD, args);
  const dx = backend.makeOutput(input.shape, 'float32');
  const db = attrs.biasGrad === true ? backend.makeOutput([g.CI], 'float32') : null;
  const X = offsetOf(backend, input), DY = offsetOf(backend, dy), DX = offsetOf(backend, dx);
  const xImage = g.H * g.W * g.CI * 4, yImage = g.OH * g.OW * g.CI * 4;
  const parts = ranges(g.B, partsFor(backend, g.B * (2 * g.H * g.W + g.OH * g.OW * fh * fw) * g.CI, g.B));
  const DB = db ? offsetOf(backend, db) : 0;
  if (db) new Float32Array(wasmMemory(backend).buffer, DB, g.CI).fill(0);
  if (parts.length === 0) return db ? [dx, db] : [dx]; // an empty input: the sums are zeros
  const withSums = (args: number[]) => { const a = args.slice(); a[3] = DB; return a; };
  const here = runParts(backend, 'f32_max_pool_relu_grad', parts.map(([b0, b1]) => [X + b0 * xImage, DY + b0 * yImage,
    DX + b0 * xImage, 0, b1 - b0, g.H, g.W, g.CI, g.OH, g.OW, fh, fw, g.sh, g.sw, 1, 1, g.pt, g.pl]), db ? withSums : undefined);
  if (!db) return [dx];
  const summed = here > 0 ? parts[here - 1][1] : 0;
  if (summed < g.B) trainingKernels(backend).f32_column_sums_onto(DX + summed * xImage, DB, (g.B - summed) * g.H * g.W, g.CI);
  return [dx, db];
}

export const maxPoolReluGradConfig: tf.KernelConfig = {
  kernelName: MAX_POOL_RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: maxPoolReluGrad as unknown as tf.KernelFunc,
};

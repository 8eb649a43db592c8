// UnsortedSegmentSum for 'wasm' (the gradient of Gather, so of Embedding layers), with
// tfjs-cpu's semantics: ids of shape [N, ...S] broadcast over x [N, ...S, ...E]; output
// [numSegments, ...S, ...E]; ids outside [0, numSegments) contribute nothing.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { checkTensor, fail } from './conv_util';
import { offsetOf, trainingKernels } from './training_module';

const NAME = 'UnsortedSegmentSum';

function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend } = args;
  const { x, segmentIds } = inputs;
  const { numSegments } = args.attrs as unknown as { numSegments: number };
  checkTensor(NAME, 'x', x, null, ['float32', 'int32']);
  checkTensor(NAME, 'segmentIds', segmentIds, null, ['int32']);
  if (!(Number.isInteger(numSegments) && numSegments >= 0)) {
    fail(NAME, `numSegments must be a non-negative integer, got ${JSON.stringify(numSegments)}`);
  }
  const r = segmentIds.shape.length;
  if (r < 1 || r > x.shape.length || segmentIds.shape.some((n, i) => n !== x.shape[i])) {
    fail(NAME, `segmentIds' shape ${JSON.stringify(segmentIds.shape)} must be a non-empty prefix of x's shape ` +
      `${JSON.stringify(x.shape)}`);
  }
  const N = x.shape[0];
  const S = tf.util.sizeFromShape(segmentIds.shape.slice(1));
  const E = tf.util.sizeFromShape(x.shape.slice(r));
  const out = backend.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
  const k = trainingKernels(backend);
  const run = x.dtype === 'float32' ? k.f32_unsorted_segment_sum : k.i32_unsorted_segment_sum;
  run(offsetOf(backend, x), offsetOf(backend, segmentIds), offsetOf(backend, out), N, S, E, numSegments);
  return out;
}

export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: NAME,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc,
};

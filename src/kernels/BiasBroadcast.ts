// Add and Sum for 'wasm', fast for the two shapes every biased layer meets: a bias
// added along the last axis ([..., C] + [C], or [1, …, 1, C]), and a sum over every
// axis but the last (the bias's gradient). tfjs-wasm's own kernels broadcast and reduce
// about 10× slower than a plain pass (measured: a [128, 26, 26, 8] + [8] add, 1.2 ms
// against 0.11 ms for the same-shape add; its column sum, 1.3 ms). For those shapes
// assembly/training/broadcast.ts gives the same bits as the originals (a test checks);
// every other call goes to the original kernel, which keeps its setup (cwrap binding).
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { offsetOf, trainingKernels } from './training_module';
import { partsFor, ranges, runParts } from './split';

type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };
type Info = tf.TensorInfo;
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Whether `bias` broadcasts along the last axis of `full` only. */
function isBias(full: Info, bias: Info): boolean {
  const C = full.shape[full.shape.length - 1];
  return full.shape.length >= 2 && bias.shape.length >= 1 && bias.shape.length <= full.shape.length &&
    bias.shape[bias.shape.length - 1] === C && size(bias.shape) === C && C > 0;
}

export function makeAddConfig(original: tf.KernelConfig): tf.KernelConfig {
  const plain = original.kernelFunc as unknown as (args: Args) => Info;
  const add = (args: Args): Info => {
    const { inputs, backend } = args;
    const { a, b } = inputs;
    if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return plain(args);
    // a + b and b + a round alike, so the bias may be either operand.
    const [full, bias] = isBias(a, b) && size(a.shape) > size(b.shape) ? [a, b] : isBias(b, a) && size(b.shape) > size(a.shape) ? [b, a] : [];
    if (!full || !bias) return plain(args);
    const out = backend.makeOutput(full.shape, 'float32');
    const C = bias.shape[bias.shape.length - 1];
    // Over the threads by rows.
    const rows = size(full.shape) / C;
    const A = offsetOf(backend, full), BIAS = offsetOf(backend, bias), OUT = offsetOf(backend, out);
    runParts(backend, 'f32_add_bias', ranges(rows, partsFor(backend, rows * C, rows)).map(([r0, r1]) =>
      [A + 4 * r0 * C, BIAS, OUT + 4 * r0 * C, r1 - r0, C]));
    return out;
  };
  return { ...original, kernelFunc: add as unknown as tf.KernelFunc };
}

export function makeSumConfig(original: tf.KernelConfig): tf.KernelConfig {
  const plain = original.kernelFunc as unknown as (args: Args) => Info;
  const sum = (args: Args): Info => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x;
    if (!x || x.dtype !== 'float32' || x.shape.length < 2 || size(x.shape) === 0) return plain(args);
    const r = x.shape.length;
    let axes: number[];
    try { axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape); } catch { return plain(args); }
    const sorted = [...new Set(axes)].sort((p, q) => p - q);
    if (sorted.length !== r - 1 || sorted.some((ax, i) => ax !== i)) return plain(args);
    const C = x.shape[r - 1];
    const out = backend.makeOutput(attrs.keepDims ? [...Array(r - 1).fill(1), C] : [C], 'float32');
    const k = trainingKernels(backend);
    k.f32_column_sums(offsetOf(backend, x), offsetOf(backend, out), size(x.shape) / C, C);
    return out;
  };
  return { ...original, kernelFunc: sum as unknown as tf.KernelFunc };
}

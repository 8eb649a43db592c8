// A batch's loss split into micro-batches, for the optimizers' `accumulate: k` option:
// microBatchLoss(k, x, y, loss) is the function minimize() calls with i = 0…k−1, the
// loss over the i-th of k slices of x and y along their first axis. A batch of n that k
// does not divide is split into slices of ⌈n/k⌉ and ⌊n/k⌋, each loss weighted by
// k·nᵢ/n, so that the mean the optimizer takes is the whole batch's mean again (equal
// slices are not multiplied at all). The slices
// are made inside the call, so each pass holds one micro-batch's copy of the data and
// the activations of one micro-batch. They are gathered, not sliced: tfjs-wasm's Slice
// kernel copies its whole input into JavaScript first (readSync), k times per pass —
// measured +38 MiB of peak RSS for the default CNN at 512 in 8 micro-batches
// (bench/memory_plan.mjs) — while Gather copies only the rows, inside the heap.
import { tf } from '../tf';

type Batch = tf.Tensor | tf.Tensor[];

/** The loss of micro-batch i of (x, y); `loss` returns a mean over the examples it is given. */
export function microBatchLoss<X extends Batch, Y extends Batch>(k: number, x: X, y: Y, loss: (x: X, y: Y) => tf.Scalar): (i: number) => tf.Scalar {
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`microBatchLoss: k must be an integer >= 1, got ${k}`);
  if (typeof loss !== 'function') throw new TypeError(`microBatchLoss: loss must be a function (x, y) => scalar, got ${String(loss)}`);
  const all = [...tensors(x, 'x'), ...tensors(y, 'y')];
  const n = all[0].shape[0];
  for (const t of all) {
    if (t.shape[0] !== n) throw new RangeError(`microBatchLoss: x and y must have the same first dimension, got ${all.map((a) => `[${a.shape}]`).join(', ')}`);
  }
  if (n < k) throw new RangeError(`microBatchLoss: a batch of ${n} cannot be split into ${k} micro-batches`);
  const start = (i: number) => i * Math.floor(n / k) + Math.min(i, n % k); // the first n % k slices take one more
  return (i: number) => {
    if (!(Number.isInteger(i) && i >= 0 && i < k)) throw new RangeError(`micro-batch index must be an integer in [0, ${k}), got ${i}`);
    const from = start(i), size = start(i + 1) - from;
    const rows = tf.range(from, from + size, 1, 'int32');
    const slice = <T extends Batch>(b: T): T => (Array.isArray(b) ? b.map((t) => tf.gather(t, rows)) : tf.gather(b, rows)) as T;
    const l = loss(slice(x), slice(y));
    return size * k === n ? l : tf.mul(l, (size * k) / n) as tf.Scalar;
  };
}

function tensors(b: Batch, name: string): tf.Tensor[] {
  const list = Array.isArray(b) ? b : [b];
  if (list.length === 0 || !list.every((t) => t instanceof tf.Tensor && t.rank >= 1)) {
    throw new TypeError(`microBatchLoss: ${name} must be a tensor (or a list of tensors) with a batch axis, got ${String(b)}`);
  }
  return list;
}

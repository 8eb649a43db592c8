// BatchMatMul for 'wasm' with fast transposes: tfjs-wasm's own kernel multiplies through
// XNNPACK only when neither operand is transposed, and otherwise falls to a plain loop
// about 11× slower (measured: a 128×784 by 784×64 product, 25 GFLOP/s plain, 2.2 with
// either transpose flag). Every dense layer's backward pass asks for a transposed
// product (dx = dy·Wᵀ, dW = xᵀ·dy). This wrapper transposes the flagged operand with
// tfjs-wasm's Transpose kernel (memory-bound, a small fraction of the product) and
// calls the original without flags. It keeps the original's setup (its cwrap binding).
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };

/** t with its last two axes swapped (a new tensor info, to dispose with backend.disposeData). */
function swapLastTwo(backend: BackendWasm, t: tf.TensorInfo): tf.TensorInfo {
  const r = t.shape.length;
  const perm = [...Array(r - 2).keys(), r - 1, r - 2];
  const transpose = tf.getKernel('Transpose', 'wasm')!.kernelFunc;
  return transpose({ inputs: { x: t }, backend, attrs: { perm } }) as tf.TensorInfo;
}

export function makeBatchMatMulConfig(original: tf.KernelConfig): tf.KernelConfig {
  const plain = original.kernelFunc as unknown as (args: Args) => tf.TensorInfo;
  const batchMatMul = (args: Args): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    const ta = attrs.transposeA === true, tb = attrs.transposeB === true;
    const { a, b } = inputs;
    // Rank < 2, or a dtype other than float32: the original's checks and messages.
    if ((!ta && !tb) || !a || !b || a.shape.length < 2 || b.shape.length < 2 || a.dtype !== 'float32' || b.dtype !== 'float32') return plain(args);
    const at = ta ? swapLastTwo(backend, a) : a, bt = tb ? swapLastTwo(backend, b) : b;
    try {
      return plain({ inputs: { a: at, b: bt }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      if (ta) backend.disposeData(at.dataId);
      if (tb) backend.disposeData(bt.dataId);
    }
  };
  return { ...original, kernelFunc: batchMatMul as unknown as tf.KernelFunc };
}

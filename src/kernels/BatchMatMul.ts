// BatchMatMul for 'wasm', float32, one matrix by one matrix (every batch dimension 1),
// either operand transposed: assembly/training/matmul.ts reads a transposed operand in
// place. tfjs-wasm's own kernel multiplies through XNNPACK only without transpose flags
// and otherwise falls to a plain loop about 11× slower (measured: a 128×784 by 784×64
// product, 25 GFLOP/s plain, 2.2 with either flag), while every dense layer's backward
// pass asks for one (dx = dy·Wᵀ, dW = xᵀ·dy). Untransposed products run here too: the
// sum order is XNNPACK's (k ascending from 0, one product at a time), so the bits are
// the same (a test compares with the original), and no XNNPACK operator is created and
// its weights packed again after every in-place update of W. Batched products (a batch
// dimension above 1) keep the original kernel, its setup and its bits.
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free, malloc, offsetOf, trainingKernels } from './training_module';
import { partsFor, ranges, runParts } from './split';

type Args = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };

export function makeBatchMatMulConfig(original: tf.KernelConfig): tf.KernelConfig {
  const plain = original.kernelFunc as unknown as (args: Args) => tf.TensorInfo;
  const batchMatMul = (args: Args): tf.TensorInfo => {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs;
    // Rank < 2, another dtype, a batch: the original's checks, messages and bits.
    if (!a || !b || a.dtype !== 'float32' || b.dtype !== 'float32') return plain(args);
    const ra = a.shape.length, rb = b.shape.length;
    if (ra < 2 || rb < 2 || a.shape.slice(0, -2).some((n) => n !== 1) || b.shape.slice(0, -2).some((n) => n !== 1)) return plain(args);
    const ta = attrs.transposeA === true, tb = attrs.transposeB === true;
    const [M, K] = ta ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
    const [Kb, N] = tb ? [b.shape[rb - 1], b.shape[rb - 2]] : [b.shape[rb - 2], b.shape[rb - 1]];
    if (K !== Kb) return plain(args);
    const out = backend.makeOutput([...Array(Math.max(ra, rb) - 2).fill(1), M, N], 'float32');
    if (M * N === 0) return out;
    // Over the threads by row panels (4 rows per tile) or, when B is transposed, by column
    // panels (8 columns per tile): the kernel gathers each panel of a transposed B before
    // its tiles use it, and split by rows every part gathered all of B again (the dense
    // layer's dx = dy·Wᵀ gained nothing from a second thread; by columns it gains like the
    // other two products).
    const k = trainingKernels(backend);
    const byColumns = tb;
    const n = partsFor(backend, M * K * N, byColumns ? Math.ceil(N / 8) : Math.ceil(M / 4));
    const blocks = byColumns ? ranges(N, n, 8) : ranges(M, n, 4);
    const scratchBytes = ((k.f32_matmul_scratch_floats(K) * 4 + 15) & ~15);
    const scratch = malloc(backend, scratchBytes * blocks.length);
    const A = offsetOf(backend, a), B = offsetOf(backend, b), C = offsetOf(backend, out);
    runParts(backend, 'f32_matmul', blocks.map(([s0, s1], p) => [A, B, C, M, K, N, ta ? 1 : 0, tb ? 1 : 0,
      scratch + p * scratchBytes, ...(byColumns ? [0, M, s0, s1] : [s0, s1, 0, N])]));
    free(backend, scratch);
    return out;
  };
  return { ...original, kernelFunc: batchMatMul as unknown as tf.KernelFunc };
}

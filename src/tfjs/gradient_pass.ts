// One pass of a step: the loss's gradient at the current weights, over the step's
// micro-batches, and where that gradient lives.
// On 'wasm' (arenaGradientPass):
//  - in a slab of the arena ('grad' for the first pass, 'grad2' for the second over
//    micro-batches): each micro-batch's gradient tensors are added into the slab — the
//    first scaled in, G = s·g₀, then G = G + s·gᵢ, s = 1/k, so G is their mean — and
//    disposed at once, so one micro-batch's tensors are alive at a time;
//  - or in the pass's own gradient tensors, nothing copied: the second pass without
//    micro-batches, and a base optimizer's only pass. They are released after the update.
//  The first pass of SAM and F-SAM goes to the arena even without micro-batches: g
//  outlives the second pass (the EMA, the low-memory restore), and tfjs's tensors would
//  sit wherever the allocator placed them, inside the space the second pass's activations
//  then need (measured on the default CNN at batch 512: the heap's high water 22.1 MiB
//  with g in tensors, 19.9 MiB with g in the arena). One copy of g per step is the cost.
// On other backends (tensorGradientPass) the gradient stays tensors: over micro-batches,
// the same mean, G = s·g₀ then G + s·gᵢ, in tfjs ops.
import { tf } from '../tf';
import type { Arena, SlabKind } from '../core/arena';
import type { OptimizerKernels } from '../core/kernels';
import { tensorOffset } from './wasm_bridge';

/** A pass over one micro-batch: its loss and the gradients of the variables (tf.variableGrads, or ./second_pass.ts). */
export type Pass = (loss: () => tf.Scalar, vars: tf.Variable[]) => { value: tf.Scalar; grads: tf.NamedTensorMap };

export interface Gradient<G> {
  /** Each variable's gradient, in layout order: byte pointers on 'wasm', tensors elsewhere. */
  readonly gradients: G;
  /** The loss: the mean of the micro-batches' losses. */
  readonly loss: tf.Scalar;
  /** Releases the gradient tensors the pass still holds (not the loss, nor a slab). */
  release(): void;
}

export interface Slab { arena: Arena; kind: SlabKind; kernels: OptimizerKernels }

/** 'wasm': the gradient over `losses` (one per micro-batch), into `slab` or, for one micro-batch without one, in tfjs's tensors. */
export function arenaGradientPass(pass: Pass, losses: (() => tf.Scalar)[], vars: tf.Variable[], slab?: Slab): Gradient<number[]> {
  if (!slab) {
    if (losses.length !== 1) throw new Error('a gradient over micro-batches needs a slab to sum into');
    const { value, grads } = pass(losses[0], vars);
    let gradients: number[];
    try {
      gradients = gradientsOf(vars, grads).map((g) => tensorOffset(g));
    } catch (err) {
      tf.dispose([value, ...Object.values(grads)]);
      throw err;
    }
    return { gradients, loss: value, release: () => tf.dispose(Object.values(grads)) };
  }
  const { arena, kind, kernels } = slab, k = losses.length, s = 1 / k;
  const loss = overMicroBatches(pass, losses, vars, (grads, i) => {
    const g = grads.map((t) => tensorOffset(t));
    vars.forEach((v, j) => {
      const into = arena.pointer(kind, j);
      if (i > 0) kernels.f32_accumulate(into, g[j], v.size, s);
      else if (k === 1) kernels.f32_copy(into, g[j], v.size);
      else kernels.f32_scaled_copy(into, g[j], v.size, s);
    });
  });
  return { gradients: vars.map((_, j) => arena.pointer(kind, j)), loss, release: () => {} };
}

/** Other backends: the gradient over `losses` as tensors (over micro-batches, their mean, in tfjs ops). */
export function tensorGradientPass(pass: Pass, losses: (() => tf.Scalar)[], vars: tf.Variable[]): Gradient<tf.Tensor[]> {
  if (losses.length === 1) {
    const { value, grads } = pass(losses[0], vars);
    let gradients: tf.Tensor[];
    try {
      gradients = gradientsOf(vars, grads);
    } catch (err) {
      tf.dispose([value, ...Object.values(grads)]);
      throw err;
    }
    return { gradients, loss: value, release: () => tf.dispose(Object.values(grads)) };
  }
  const s = 1 / losses.length;
  let sum: tf.Tensor[] | undefined;
  try {
    const loss = overMicroBatches(pass, losses, vars, (grads) => {
      const next = tf.tidy(() => grads.map((g, j) => (sum ? tf.add(sum[j], tf.mul(g, s)) : tf.mul(g, s))));
      if (sum) tf.dispose(sum);
      sum = next;
    });
    const gradients = sum!;
    return { gradients, loss, release: () => tf.dispose(gradients) };
  } catch (err) {
    if (sum) tf.dispose(sum);
    throw err;
  }
}

/** Runs the pass over each micro-batch, hands each one's gradients to `add` and disposes them; returns the mean loss. */
function overMicroBatches(pass: Pass, losses: (() => tf.Scalar)[], vars: tf.Variable[], add: (grads: tf.Tensor[], i: number) => void): tf.Scalar {
  const values: tf.Scalar[] = [];
  try {
    losses.forEach((loss, i) => {
      const { value, grads } = pass(loss, vars);
      values.push(value);
      try {
        add(gradientsOf(vars, grads), i);
      } finally {
        tf.dispose(Object.values(grads));
      }
    });
  } catch (err) {
    tf.dispose(values);
    throw err;
  }
  if (values.length === 1) return values[0];
  const mean = tf.tidy(() => tf.div(tf.addN(values), values.length) as tf.Scalar);
  tf.dispose(values);
  return mean;
}

/** Each variable's gradient tensor. */
function gradientsOf(vars: tf.Variable[], grads: tf.NamedTensorMap): tf.Tensor[] {
  return vars.map((v) => {
    const g = grads[v.name];
    if (!g) throw new Error(`the loss does not depend on variable '${v.name}'`);
    return g;
  });
}

// How much memory a training run takes, known before it allocates anything. This file:
// the optimizer's own check of maxBytes at its first step (and when its variables
// change), over what it knows then — the tensors in use, its state, the gradients a step
// holds — the same on every backend. planMemory() (./plan.ts) adds the model's
// activations and tfjs-wasm's own memory.
import { tf } from '../tf';
import { ArenaLayout } from '../core/arena';
import type { Hyperparams } from '../core/hyperparams';
import { stateKinds } from '../core/state';
import { MemoryBudgetError } from '../core/errors';

/**
 * tfjs-wasm's heap before any tensor: its static data, stack and the allocator's start
 * (measured: the heap's break 92,384 bytes after ready(), tfjs-backend-wasm 4.22).
 */
export const RUNTIME_BYTES = 96 * 1024;
/** What malloc adds to each block (dlmalloc: a size word and alignment to 8 bytes), and the arena's own 16-byte alignment. */
export const BLOCK_OVERHEAD = 16;

/**
 * Gradient sets a step holds at once: g kept through the second pass (SAM, F-SAM), the
 * sum over micro-batches of each pass, and one pass's tensors.
 */
export function gradientSets(hyper: Hyperparams, accumulate: number): number {
  const sharpness = hyper.sharpness !== 'none';
  return 1 + (sharpness ? 1 : 0) + (accumulate > 1 ? 1 : 0);
}

/**
 * maxBytes against the tensors in use now, the state, and what meets it at the step's
 * peak: its gradients, or the old state while it is carried over to a new layout.
 * Throws MemoryBudgetError, having allocated nothing.
 */
export function checkStepBudget(vars: readonly { name: string; size: number }[], hyper: Hyperparams, accumulate: number, previousStateBytes: number, maxBytes: number): void {
  if (!Number.isFinite(maxBytes)) return;
  const state = new ArenaLayout(vars, stateKinds(hyper)).totalBytes;
  const gradients = gradientSets(hyper, accumulate) * vars.reduce((s, v) => s + v.size * 4, 0);
  const parts = {
    tensors: tf.memory().numBytes,
    'optimizer state': state,
    [previousStateBytes > gradients ? 'previous state' : 'gradients']: Math.max(previousStateBytes, gradients),
  };
  const needed = Object.values(parts).reduce((a, b) => a + b, 0);
  if (needed > maxBytes) {
    const what = hyper.sharpness === 'none' ? 'the' : hyper.sharpness === 'fsam' ? 'the F-SAM' : 'the SAM';
    throw new MemoryBudgetError(needed, maxBytes, parts, `${what} step (activations not counted; planMemory() counts them)`);
  }
}

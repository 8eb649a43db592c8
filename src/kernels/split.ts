// Splitting a kernel call over the backend's threads (src/backend/kernel_pool.ts). A
// kernel wrapper says how much work a call is and along which axis its outputs fall
// apart into disjoint chunks (images, output channels, rows, elements); each chunk is the
// same export called on a sub-range, so every output element is computed by one thread
// exactly as one thread computes it, and the bits do not depend on the number of threads.
// Threads take chunks until none is left, so there are a few per thread (a late thread
// then costs little); a call splits only where each chunk gets at least `threshold` units
// of work (one unit: about one multiply-add or one element of an elementwise pass), since
// publishing a call costs microseconds, and waking a sleeping worker more.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelPoolOf, MAX_CHUNKS } from '../backend/threads';
import { wasmMemory } from '../backend/wasm_backend';
import { TRAINING_EXPORTS } from '../wasm/training_exports';
import { trainingKernels, trainingKernelVariant, type VariantKernels } from './training_module';

/** Work units per chunk below which a call is not split (measured: see docs/threads.md). */
const DEFAULT_THRESHOLD = 50_000;
/** Chunks per thread, at most. */
const CHUNKS_PER_THREAD = 4;
let threshold = DEFAULT_THRESHOLD;

/** Sets the least work per part for a kernel call to be split (0: split every call that can be); returns the previous value. */
export function setKernelSplitThreshold(units: number): number {
  if (!(units >= 0)) throw new RangeError(`kernel split threshold must be a number ≥ 0, got ${String(units)}`);
  const previous = threshold;
  threshold = units;
  return previous;
}

/**
 * How many chunks a call of `work` units, divisible into at most `most` chunks, is split
 * into here: at most `perThread` per thread (1 where every chunk streams all of a large
 * operand again).
 */
export function partsFor(backend: BackendWasm, work: number, most: number, perThread = CHUNKS_PER_THREAD): number {
  const pool = kernelPoolOf(wasmMemory(backend));
  if (!pool) return 1;
  const byWork = threshold === 0 ? Infinity : Math.floor(work / threshold);
  return Math.max(1, Math.min(pool.size * perThread, MAX_CHUNKS, most, byWork));
}

/** [0, n) in `parts` contiguous ranges as equal as `align` allows (every bound a multiple of it, but n); empty ones dropped. */
export function ranges(n: number, parts: number, align = 1): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  for (let p = 0; p < parts && start < n; p++) {
    const end = p === parts - 1 ? n : Math.min(n, Math.round(((p + 1) * n) / parts / align) * align);
    if (end > start) out.push([start, end]);
    start = Math.max(start, end);
  }
  if (start < n) out[out.length - 1][1] = n;
  return out;
}

type Family = { [K in keyof VariantKernels]: VariantKernels[K] extends (...args: number[]) => void ? K : never }[keyof VariantKernels];

/**
 * Runs `family` once per argument list, on this thread and on the kernel workers; returns
 * how many of the parts ran on this thread: always the first ones, in order (all of them
 * when the call did not split). `onThisThread` may change the arguments of those parts
 * (e.g. hand them an accumulator that must see the parts in order).
 */
export function runParts(backend: BackendWasm, family: Family, parts: number[][],
                         onThisThread: (args: number[]) => number[] = (args) => args): number {
  const kernel = trainingKernels(backend)[family] as (...args: number[]) => void;
  const here = (...args: number[]) => kernel(...onThisThread(args));
  if (parts.length === 1) { here(...parts[0]); return 1; }
  const name = `${family}_${trainingKernelVariant()}`;
  return kernelPoolOf(wasmMemory(backend))!.run(name in TRAINING_EXPORTS ? name : family, parts, here);
}

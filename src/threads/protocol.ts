// How the main thread and fsam-edge's kernel workers share a kernel call, on both sides:
// a control block of int32 words in tfjs-wasm's shared memory (allocated from its heap)
// and the messages that start a worker.
// A call is split into chunks (disjoint parts of its output); every thread, the calling
// one included, claims chunks one at a time until none is left, so a worker that is late
// (asleep, or descheduled on a busy machine) only means the others take more chunks; the
// caller never waits for a chunk nobody has claimed. The caller claims from the front
// (chunk 0, 1, …), the workers from the back (the last chunk, the one before, …): kernels
// split the same way one after another (by images, say) then mostly give a thread the
// same part of the data it wrote in the call before, still in its core's cache.
// The calling thread writes the chunks' arguments (every training kernel takes only i32
// and pointer parameters), then publishes the call in CLAIM: its epoch in the high 20
// bits, then how many chunks were taken from the front (6 bits) and from the back (6
// bits). A thread claims a chunk of epoch e by a compare-exchange that counts it taken
// on its side, and reads the call only after that, so a thread that wakes late can never
// run a chunk of a call that is not the one it claimed. Before the caller writes the next
// call it closes the last one (its front count set to CLOSED, beyond any chunk), so a
// claim that a late thread read before may not succeed against the new call's
// half-written arguments; and it writes them only once DONE has reached the last call's
// number of chunks.

/** Word indices in the control block. */
export const CLAIM = 0;
export const DONE = 1;
export const FAILED = 2;
export const KERNEL = 3;
export const COUNT = 4;
export const ARGC = 5;
/** Chunk c's arguments start at word CHUNKS + c · MAX_ARGS. */
export const CHUNKS = 8;
export const MAX_ARGS = 24;
export const MAX_CHUNKS = 32;
/** Bytes of the control block. */
export const CONTROL_BYTES = (CHUNKS + MAX_CHUNKS * MAX_ARGS) * 4;
/** The epoch in CLAIM's high bits; below it, the chunks taken from the front, then from the back. */
export const CHUNK_BITS = 12;
// Each side's count fits 6 bits: MAX_CHUNKS (32) chunks at most, and CLOSED (63) above any.
// The epoch has 20 bits: it wraps after about a million split calls, and a thread's stale
// compare-exchange could only succeed against a word equal to the one it read, epoch and
// both counts alike, a whole wrap later.
const SIDE_BITS = 6;
const SIDE_MASK = (1 << SIDE_BITS) - 1;
if (MAX_CHUNKS >= SIDE_MASK) throw new Error('fsam-edge: MAX_CHUNKS must stay below the closed count');
/** A closed call's front count (beyond any chunk), shifted into place. */
export const CLOSED = SIDE_MASK << SIDE_BITS;
export const EPOCH_MASK = 0xfffff;

/** At most this many threads in all (tfjs-wasm's thread pool takes at most 8 too). */
export const MAX_THREADS = 8;

/** The name a worker of fsam-edge-threads.js is started with: only such a worker runs a thread loop. */
export const WORKER_NAME = 'fsam-edge-thread';

/** The first message to a kernel worker. */
export interface KernelWorkerInit {
  cmd: 'fsam-edge-kernels';
  /** tfjs-wasm's shared memory. */
  memory: WebAssembly.Memory;
  /** build/training.shared.wasm, compiled. */
  module: WebAssembly.Module;
  /** The export names, in the order KERNEL indexes them. */
  names: string[];
  /** Byte offset of the control block. */
  control: number;
  /** How many times a worker polls CLAIM for the next call before it sleeps on it. */
  spins: number;
}

/** A kernel worker's answer once it is bound, or its failure to bind. */
export type KernelWorkerReady = { cmd: 'fsam-edge-kernels-ready' } | { cmd: 'fsam-edge-kernels-failed'; message: string };

/**
 * Claims and runs chunks of the call published as `epoch` until none is left: from the
 * front (the calling thread) or from the back (the workers).
 */
export function runChunks(words: Int32Array, epoch: number, run: (kernel: number, args: number[]) => void, args: number[],
                          fromBack: boolean): void {
  for (;;) {
    const claim = Atomics.load(words, CLAIM);
    if (claim >>> CHUNK_BITS !== epoch) return;
    const front = (claim >>> SIDE_BITS) & SIDE_MASK, back = claim & SIDE_MASK;
    const count = words[COUNT];
    if (front + back >= count) return;
    if (Atomics.compareExchange(words, CLAIM, claim, claim + (fromBack ? 1 : 1 << SIDE_BITS)) !== claim) continue;
    const chunk = fromBack ? count - 1 - back : front;
    const argc = words[ARGC], at = CHUNKS + chunk * MAX_ARGS;
    args.length = argc;
    for (let i = 0; i < argc; i++) args[i] = words[at + i];
    try {
      run(words[KERNEL], args);
    } catch {
      Atomics.add(words, FAILED, 1);
    }
    if (Atomics.add(words, DONE, 1) + 1 === count) Atomics.notify(words, DONE);
  }
}

/** What fsam-edge-threads.js exports to the main thread. */
export interface ThreadsModule {
  /** The tfjs-backend-wasm version whose threaded build it carries. */
  tfjsWasmVersion: string;
  /** The patched Emscripten glue: the threaded module's factory. */
  createThreadedModule(config: Record<string, unknown>): Promise<unknown>;
  tfjsThreadedBinary: Uint8Array;
  sharedTrainingWasm: Uint8Array;
  sharedOptimizerWasm: Uint8Array;
}

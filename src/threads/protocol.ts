// How the main thread and fsam-edge's kernel workers talk, shared by both sides: a small
// control block of int32 words in tfjs-wasm's shared memory (allocated from its heap),
// and the messages that start a worker. A dispatch writes one slot per worker (which
// kernel, and its arguments: every training kernel takes only i32 and pointer
// parameters), sets REMAINING to the number of workers and bumps EPOCH; each worker runs
// its slot (or nothing, for a slot whose kernel is -1), decrements REMAINING and the last
// one wakes the main thread. The main thread never dispatches again before REMAINING is
// 0, so a worker sees every epoch.

/** Word indices in the control block. */
export const EPOCH = 0;
export const REMAINING = 1;
export const FAILED = 2;
/** The first slot's word index, each slot's size in words, and the arguments a slot holds. */
export const SLOTS = 4;
export const SLOT_WORDS = 32;
export const MAX_ARGS = SLOT_WORDS - 2;
/** A slot's words: the kernel's index in the name list (or -1), the number of arguments, the arguments. */
export const SLOT_KERNEL = 0;
export const SLOT_ARGC = 1;
export const SLOT_ARGS = 2;

/** At most this many threads in all (tfjs-wasm's thread pool takes at most 8 too). */
export const MAX_THREADS = 8;
/** Bytes of the control block for MAX_THREADS − 1 workers. */
export const CONTROL_BYTES = (SLOTS + (MAX_THREADS - 1) * SLOT_WORDS) * 4;

/** The name a worker of fsam-edge-threads.js is started with: only such a worker runs a thread loop. */
export const WORKER_NAME = 'fsam-edge-thread';

/** The first message to a kernel worker. */
export interface KernelWorkerInit {
  cmd: 'fsam-edge-kernels';
  /** tfjs-wasm's shared memory. */
  memory: WebAssembly.Memory;
  /** build/training.shared.wasm, compiled. */
  module: WebAssembly.Module;
  /** The export names, in the order kernels are indexed by. */
  names: string[];
  /** Byte offset of the control block, and this worker's slot. */
  control: number;
  index: number;
  /** How many times a worker polls EPOCH before it sleeps on it. */
  spins: number;
}

/** A kernel worker's answer once it is bound, or its failure to bind. */
export type KernelWorkerReady = { cmd: 'fsam-edge-kernels-ready' } | { cmd: 'fsam-edge-kernels-failed'; message: string };

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

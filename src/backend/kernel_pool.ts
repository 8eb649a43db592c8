// fsam-edge's own kernel workers, main-thread side: threads − 1 workers, each with the
// training kernels instantiated on tfjs-wasm's shared memory, and a control block in that
// memory (src/threads/protocol.ts). run() publishes a kernel call split into chunks, takes
// chunks itself like every worker until none is left, then waits for the chunks others
// took, so a kernel call stays a synchronous call, and a worker that is late (asleep, or
// descheduled on a busy machine) only leaves more chunks to the others. Where the thread
// may block (Node, Deno, workers) it sleeps in Atomics.wait for the last chunk; a
// browser page's main thread may not, so there it polls.
// Chunks write disjoint outputs, and each output element is computed by one thread
// exactly as on one thread: the results are the same bits at any number of threads.
import {
  ARGC, CHUNK_BITS, CHUNKS, CLAIM, CLOSED, CONTROL_BYTES, COUNT, DONE, EPOCH_MASK, FAILED, KERNEL, MAX_ARGS, MAX_CHUNKS,
  runChunks, type KernelWorkerInit, type KernelWorkerReady,
} from '../threads/protocol';

/** A worker fsam-edge started (a Web Worker or Node's worker_threads Worker). */
export interface ThreadWorker {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

/**
 * How many times the caller polls for the chunks other threads took before it sleeps on
 * them: up to about 1.7 ms here, like the workers' polls for the next call (the last
 * chunk usually ends within a chunk's time, tens to hundreds of µs; sleeping instead cost
 * a futex wake on most split calls, where 1,000 polls were too few).
 */
const CALLER_SPINS = 100_000;
/** How long a call may wait for chunks other threads took before it is declared stuck. */
const STUCK_MS = 60_000;

export class KernelPool {
  private readonly words: Int32Array;
  private readonly index = new Map<string, number>();
  private readonly canBlock: boolean;
  private readonly args: number[] = [];
  private epoch = 0;
  private terminated = false;
  /** Since the pool started: kernel calls split over the threads, and their chunks run on this thread and on the workers. */
  readonly counts = { split: 0, chunksHere: 0, chunksElsewhere: 0 };

  constructor(memory: WebAssembly.Memory, control: number, names: string[], private readonly workers: ThreadWorker[]) {
    this.words = new Int32Array(memory.buffer, control, CONTROL_BYTES / 4);
    names.forEach((name, i) => this.index.set(name, i));
    this.canBlock = blockingAllowed();
  }

  /** Threads in all, the calling one included. */
  get size(): number {
    return this.workers.length + 1;
  }

  /**
   * Runs `kernel` once per chunk (each an argument list), on this thread (through `here`,
   * the same export bound on this thread) and on the workers, and returns when all are done:
   * how many chunks ran here. They are the first ones, 0 to that count − 1, run in order.
   */
  run(kernel: string, chunks: number[][], here: (...args: number[]) => void): number {
    if (this.terminated) throw new Error('fsam-edge: the kernel threads were stopped (the wasm backend was disposed)');
    const id = this.index.get(kernel);
    if (id === undefined) throw new Error(`fsam-edge: no kernel ${kernel} on the kernel threads`);
    if (chunks.length < 1 || chunks.length > MAX_CHUNKS) throw new RangeError(`${kernel}: ${chunks.length} chunks (1 to ${MAX_CHUNKS})`);
    const argc = chunks[0].length;
    if (argc > MAX_ARGS) throw new RangeError(`${kernel}: ${argc} arguments, a chunk holds ${MAX_ARGS}`);
    const w = this.words;
    // The last call, finished, is closed first: no late claim of it can succeed from here on.
    Atomics.store(w, CLAIM, (this.epoch << CHUNK_BITS) | CLOSED);
    w[KERNEL] = id;
    w[COUNT] = chunks.length;
    w[ARGC] = argc;
    chunks.forEach((args, c) => { for (let a = 0; a < argc; a++) w[CHUNKS + c * MAX_ARGS + a] = args[a]; });
    Atomics.store(w, DONE, 0);
    Atomics.store(w, FAILED, 0);
    this.epoch = (this.epoch + 1) & EPOCH_MASK;
    Atomics.store(w, CLAIM, this.epoch << CHUNK_BITS);
    Atomics.notify(w, CLAIM);
    let failure: unknown, hereCount = 0;
    runChunks(w, this.epoch, (_, args) => {
      hereCount++;
      try {
        here(...args);
      } catch (err) {
        failure ??= err;
        throw err;
      }
    }, this.args, false);
    this.wait(kernel, chunks.length);
    this.counts.split++;
    this.counts.chunksHere += hereCount;
    this.counts.chunksElsewhere += chunks.length - hereCount;
    if (failure) throw failure;
    if (Atomics.load(w, FAILED) !== 0) throw new Error(`fsam-edge: ${kernel} failed on a kernel thread`);
    return hereCount;
  }

  /** Waits until every chunk is done (the ones other threads claimed are still running). */
  private wait(kernel: string, count: number): void {
    const w = this.words;
    let started = 0;
    for (let polls = 0; ; polls++) {
      const done = Atomics.load(w, DONE);
      if (done === count) return;
      if (polls < CALLER_SPINS) continue; // the last chunk is usually about to end
      if (this.canBlock) Atomics.wait(w, DONE, done, 1000);
      if (this.canBlock || (polls & 0xffff) === 0) {
        started ||= performance.now();
        if (performance.now() - started > STUCK_MS) {
          throw new Error(`fsam-edge: ${kernel} did not finish on the kernel threads within ${STUCK_MS / 1000} s`);
        }
      }
    }
  }

  terminate(): void {
    this.terminated = true;
    for (const worker of this.workers) worker.terminate();
  }
}

/** Whether this thread may block in Atomics.wait (not a browser page's main thread). */
function blockingAllowed(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends a started worker its kernel-worker init and resolves once it has bound the kernels. */
export function initKernelWorker(worker: ThreadWorker, init: KernelWorkerInit,
                                 onMessage: (handler: (data: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    onMessage((data) => {
      const answer = data as KernelWorkerReady;
      if (answer.cmd === 'fsam-edge-kernels-ready') resolve();
      else if (answer.cmd === 'fsam-edge-kernels-failed') reject(new Error(`a kernel thread could not bind the kernels: ${answer.message}`));
    });
    worker.postMessage(init);
  });
}

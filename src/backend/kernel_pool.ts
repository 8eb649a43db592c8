// fsam-edge's own kernel workers, main-thread side: threads − 1 workers, each with the
// training kernels instantiated on tfjs-wasm's shared memory, and a control block in that
// memory (src/threads/protocol.ts). run() gives each worker one part of a kernel call and
// runs the first part itself, then waits for the others, so a kernel call stays a
// synchronous call. Where the thread may block (Node, Deno, workers) it sleeps in
// Atomics.wait; a browser page's main thread may not, so there it polls.
// Parts write disjoint outputs, and each output element is computed by one thread exactly
// as on one thread: the results are the same bits at any number of threads.
import {
  EPOCH, FAILED, REMAINING, SLOTS, SLOT_WORDS, SLOT_KERNEL, SLOT_ARGC, SLOT_ARGS, MAX_ARGS,
  type KernelWorkerInit, type KernelWorkerReady,
} from '../threads/protocol';

/** A worker of either kind that fsam-edge started (a Web Worker or Node's worker_threads Worker). */
export interface ThreadWorker {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

/** How long a dispatch may wait for its workers before it is declared stuck. */
const STUCK_MS = 60_000;

export class KernelPool {
  private readonly words: Int32Array;
  private readonly index = new Map<string, number>();
  private readonly canBlock: boolean;
  private terminated = false;
  /** Calls split over the threads, and calls run whole, since the pool started (for tests and benchmarks). */
  readonly counts = { split: 0, whole: 0 };

  constructor(memory: WebAssembly.Memory, control: number, names: string[], private readonly workers: ThreadWorker[]) {
    this.words = new Int32Array(memory.buffer, control, SLOTS + workers.length * SLOT_WORDS);
    names.forEach((name, i) => this.index.set(name, i));
    this.canBlock = blockingAllowed();
  }

  /** Threads in all, the calling one included. */
  get size(): number {
    return this.workers.length + 1;
  }

  /**
   * Runs `kernel` once per part, part 0 on this thread (through `here`, the same export
   * bound on this thread), the others on the workers, and returns when all are done.
   */
  run(kernel: string, parts: number[][], here: (...args: number[]) => void): void {
    if (parts.length > this.size) throw new RangeError(`${kernel}: ${parts.length} parts for ${this.size} threads`);
    if (this.terminated) throw new Error('fsam-edge: the kernel threads were stopped (the wasm backend was disposed)');
    const id = this.index.get(kernel);
    if (id === undefined) throw new Error(`fsam-edge: no kernel ${kernel} on the kernel threads`);
    const w = this.words;
    for (let i = 0; i < this.workers.length; i++) {
      const slot = SLOTS + i * SLOT_WORDS, args = parts[i + 1];
      if (!args) { w[slot + SLOT_KERNEL] = -1; continue; }
      if (args.length > MAX_ARGS) throw new RangeError(`${kernel}: ${args.length} arguments, a slot holds ${MAX_ARGS}`);
      w[slot + SLOT_KERNEL] = id;
      w[slot + SLOT_ARGC] = args.length;
      for (let a = 0; a < args.length; a++) w[slot + SLOT_ARGS + a] = args[a];
    }
    Atomics.store(w, REMAINING, this.workers.length);
    Atomics.add(w, EPOCH, 1);
    Atomics.notify(w, EPOCH);
    let failure: unknown;
    try {
      here(...parts[0]);
    } catch (err) {
      failure = err;
    }
    this.wait(kernel);
    this.counts.split++;
    if (failure) throw failure;
    if (Atomics.load(w, FAILED) !== 0) {
      Atomics.store(w, FAILED, 0);
      throw new Error(`fsam-edge: ${kernel} failed on a kernel thread`);
    }
  }

  private wait(kernel: string): void {
    const w = this.words, started = performance.now();
    for (let polls = 0; ; polls++) {
      const remaining = Atomics.load(w, REMAINING);
      if (remaining === 0) return;
      if (this.canBlock) Atomics.wait(w, REMAINING, remaining, 1000);
      if ((this.canBlock || (polls & 0xffff) === 0) && performance.now() - started > STUCK_MS) {
        throw new Error(`fsam-edge: ${kernel} did not finish on ${remaining} kernel thread(s) within ${STUCK_MS / 1000} s`);
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
export function initKernelWorker(worker: ThreadWorker & { addEventListener?: unknown; on?: unknown },
                                 init: KernelWorkerInit, onMessage: (handler: (data: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    onMessage((data) => {
      const answer = data as KernelWorkerReady;
      if (answer.cmd === 'fsam-edge-kernels-ready') resolve();
      else if (answer.cmd === 'fsam-edge-kernels-failed') reject(new Error(`a kernel thread could not bind the kernels: ${answer.message}`));
    });
    worker.postMessage(init);
  });
}

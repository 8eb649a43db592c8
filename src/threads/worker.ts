// What a worker started from fsam-edge-threads.js does. It is one of two kinds, told by
// its first message:
//  - a pthread of tfjs-backend-wasm's threaded build ('load'): it runs the Emscripten
//    glue on the wasm module and the shared memory it was sent, then the thread the main
//    thread starts in it ('run'). This is the part of Emscripten's worker.js that tfjs
//    needs, written for an ES-module worker: the glue is imported with this module, so
//    nothing is evaluated from text (no eval, no importScripts, no blob: URL);
//  - a kernel worker of fsam-edge ('fsam-edge-kernels'): it instantiates the training
//    kernels on the same memory and takes chunks of every kernel call the main thread
//    publishes (./protocol.ts), forever, sleeping in Atomics.wait between calls.
// In browsers and Deno it is a module Web Worker (self); in Node a worker_threads
// Worker (parentPort). Either way it only ever talks to the thread that started it.
import { CHUNK_BITS, CLAIM, CONTROL_BYTES, runChunks, type KernelWorkerInit, type KernelWorkerReady } from './protocol';

/** The worker's end of its channel to the thread that started it. */
export interface Channel {
  post(message: unknown, transfer?: Transferable[]): void;
  listen(handler: (data: unknown) => void): void;
  /** Node's require, for the glue's Node path (undefined in browsers and Deno). */
  nodeRequire?: (name: string) => unknown;
}

type Glue = (module: Record<string, unknown>) => Promise<unknown>;

/** Serves this worker's first message and everything after it. */
export function serveWorker(channel: Channel, glue: Glue): void {
  let pthread: PthreadRole | undefined;
  channel.listen((data) => {
    const message = data as { cmd?: string };
    if (pthread) { pthread.handle(message); return; }
    if (message.cmd === 'fsam-edge-kernels') { runKernels(channel, message as KernelWorkerInit); return; }
    if (message.cmd === 'load') { pthread = new PthreadRole(channel, glue); pthread.handle(message); return; }
    throw new Error(`fsam-edge-threads.js: a worker's first message must be 'load' or 'fsam-edge-kernels', got ${String(message.cmd)}`);
  });
}

/** A pthread of tfjs-backend-wasm's threaded build. */
class PthreadRole {
  private module: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
  private started = false;
  private pendingQueues: number[] = [];

  constructor(private readonly channel: Channel, private readonly glue: Glue) {}

  handle(data: Record<string, any>): void { // eslint-disable-line @typescript-eslint/no-explicit-any
    const m = this.module;
    try {
      switch (data.cmd) {
        case 'load': return this.load(data);
        case 'run': {
          m.__emscripten_thread_init(data.pthread_ptr, 0, 0, 1);
          m.establishStackSpace();
          m.PThread.receiveObjectTransfer(data);
          m.PThread.threadInitTLS();
          if (!this.started) {
            // Queues the main thread notified this thread of before it ran.
            for (const queue of this.pendingQueues) m.executeNotifiedProxyingQueue(queue);
            this.pendingQueues = [];
            this.started = true;
          }
          try {
            m.invokeEntryPoint(data.start_routine, data.arg);
          } catch (err) {
            // 'unwind' is how a thread that keeps running returns to the event loop.
            if (err === 'unwind') return;
            if (!(err instanceof m.ExitStatus)) throw err;
            if (!m.keepRuntimeAlive()) m.__emscripten_thread_exit((err as { status: number }).status);
          }
          return;
        }
        case 'cancel':
          if (m._pthread_self()) m.__emscripten_thread_exit(-1);
          return;
        case 'processProxyingQueue':
          if (this.started) m.executeNotifiedProxyingQueue(data.queue);
          else this.pendingQueues.push(data.queue);
          return;
        default:
          if (data.target === 'setimmediate') return; // the main thread's setImmediate emulation: nothing to do here
          throw new Error(`fsam-edge-threads.js: unknown pthread command ${String(data.cmd)}`);
      }
    } catch (err) {
      if (typeof m.__emscripten_thread_crashed === 'function') m.__emscripten_thread_crashed();
      throw err;
    }
  }

  private load(data: Record<string, any>): void { // eslint-disable-line @typescript-eslint/no-explicit-any
    const m = this.module;
    const post = (message: unknown, transfer?: Transferable[]) => this.channel.post(message, transfer);
    // Handlers the main thread set on its module (print, printErr, …) run there.
    for (const handler of data.handlers as string[]) m[handler] = (...args: unknown[]) => post({ cmd: 'callHandler', handler, args });
    Object.assign(m, {
      ENVIRONMENT_IS_PTHREAD: true,
      wasmModule: data.wasmModule,
      wasmMemory: data.wasmMemory,
      buffer: (data.wasmMemory as WebAssembly.Memory).buffer,
      // The glue's hooks (patched in by scripts/build.mjs): its environment, its messages
      // to the main thread, and the end of its start-up.
      fsamNode: this.channel.nodeRequire !== undefined,
      fsamRequire: this.channel.nodeRequire,
      fsamPostMessage: post,
      fsamStartWorker: () => post({ cmd: 'loaded' }),
      instantiateWasm: (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void) => {
        const instance = new WebAssembly.Instance(data.wasmModule as WebAssembly.Module, imports);
        receive(instance);
        return instance.exports;
      },
    });
    void this.glue(m);
  }
}

/** A kernel worker: binds the training kernels to the shared memory, then takes chunks of every call, forever. */
function runKernels(channel: Channel, init: KernelWorkerInit): void {
  let kernels: ((...args: number[]) => void)[];
  try {
    const exports = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports;
    kernels = init.names.map((name) => {
      const f = exports[name];
      if (typeof f !== 'function') throw new Error(`the training module has no function ${name}`);
      return f as (...args: number[]) => void;
    });
  } catch (err) {
    channel.post({ cmd: 'fsam-edge-kernels-failed', message: (err as Error).message } satisfies KernelWorkerReady);
    return;
  }
  channel.post({ cmd: 'fsam-edge-kernels-ready' } satisfies KernelWorkerReady);
  // The control block never moves, so a view made now stays valid when the memory grows.
  const words = new Int32Array(init.memory.buffer, init.control, CONTROL_BYTES / 4);
  const run = (kernel: number, args: number[]) => kernels[kernel](...args);
  const args: number[] = [];
  let last = Atomics.load(words, CLAIM) >>> CHUNK_BITS;
  for (;;) {
    let claim = Atomics.load(words, CLAIM);
    for (let spin = 0; claim >>> CHUNK_BITS === last && spin < init.spins; spin++) claim = Atomics.load(words, CLAIM);
    if (claim >>> CHUNK_BITS === last) {
      Atomics.wait(words, CLAIM, claim);
      continue;
    }
    last = claim >>> CHUNK_BITS;
    runChunks(words, last, run, args, true);
  }
}

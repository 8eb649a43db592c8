// Several threads for the 'wasm' backend: tfjs-backend-wasm's threaded SIMD build (its
// XNNPACK operators on a pthread pool) and fsam-edge's kernel workers (./kernel_pool.ts)
// on the same shared memory. Everything threaded comes from one more ES module beside the
// library, fsam-edge-threads.js (src/threads/): the threaded binary, its glue patched at
// build time, the shared-memory builds of fsam-edge's kernels, and the worker code, so
// every worker is an ES-module worker of that same-origin file: no eval, no new Function,
// no blob: URL (a `script-src 'self' 'wasm-unsafe-eval'` page allows it), and in Node a
// worker_threads Worker of the same file.
// Where threads cannot run, why is said (threadsUnavailable), and the wasm loader
// (./wasm_loader.ts) falls back to the single-threaded SIMD build, which it also does when
// a start fails or does not finish within the start timeout.
import type * as TfjsWasm from '@tensorflow/tfjs-backend-wasm';
import { CONTROL_BYTES, MAX_CHUNKS, MAX_THREADS, WORKER_NAME, type ThreadsModule } from '../threads/protocol';
import { KernelPool, initKernelWorker, type ThreadWorker } from './kernel_pool';

export { MAX_CHUNKS, MAX_THREADS };

type NodeWorkerThreads = typeof import('node:worker_threads');
type NodeModule = typeof import('node:module');
type NodeOs = typeof import('node:os');

/** What ready({ threads }) asked for, resolved: how many, where the threads module is, how long a start may take. */
export interface ThreadsRequest {
  threads: number;
  /** Threads of tfjs-wasm's own pool (XNNPACK's operators): see TFJS_POOL_THREADS. */
  tfjsThreads: number;
  url: string;
  timeoutMs: number;
}

interface Runtime {
  node: boolean;
  deno: boolean;
}

const g = globalThis as unknown as {
  Deno?: { permissions?: { querySync?(d: { name: string; path?: string | URL }): { state: string } } };
  process?: { versions?: { node?: string } };
  crossOriginIsolated?: boolean;
  navigator?: { hardwareConcurrency?: number };
  Worker?: new (url: string | URL, options?: { type?: string; name?: string }) => ThreadWorker & EventTarget;
};

function runtime(): Runtime {
  const deno = g.Deno !== undefined;
  return { deno, node: !deno && typeof g.process?.versions?.node === 'string' };
}

const builtin = (name: string) => `node:${name}`;
const importBuiltin = <T>(name: string) => import(/* webpackIgnore: true */ /* @vite-ignore */ builtin(name)) as Promise<T>;

/** The number of logical processors here: what threads: 'auto' asks for (at most 8). */
export async function logicalProcessors(): Promise<number> {
  let n = g.navigator?.hardwareConcurrency;
  if (!n && runtime().node) {
    const os = await importBuiltin<NodeOs>('os');
    n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  return Math.max(1, Math.min(MAX_THREADS, n || 1));
}

/** Why threads cannot run here, or undefined when they may (whether they start is another matter). */
export function threadsUnavailable(url: string): string | undefined {
  if (typeof SharedArrayBuffer !== 'function') {
    return g.crossOriginIsolated === false
      ? 'the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), so it has no SharedArrayBuffer'
      : 'this runtime has no SharedArrayBuffer';
  }
  if (g.crossOriginIsolated === false) return 'the page is not cross-origin isolated, so WebAssembly memory cannot be shared';
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return 'this runtime cannot make a shared WebAssembly.Memory (WebAssembly threads)';
  }
  const { node, deno } = runtime();
  if (!node && typeof g.Worker !== 'function') return 'this runtime has no Web Workers';
  if (deno && url.startsWith('file:')) {
    const state = g.Deno?.permissions?.querySync?.({ name: 'read', path: new URL(url) }).state;
    if (state !== 'granted') return `Deno may not read ${new URL(url).pathname}, the threads' worker module (run with --allow-read)`;
  }
  return undefined;
}

/** What a threaded start gives: tfjs-wasm's module, ready for BackendWasm, and the kernel workers. */
export interface ThreadedModule {
  module: Record<string, unknown>;
  pool: KernelPool;
  /** The shared-memory builds of fsam-edge's kernels, compiled. */
  training: WebAssembly.Module;
  optimizer: WebAssembly.Module;
  stop(): void;
}

let sharedModules: { training: WebAssembly.Module; optimizer: WebAssembly.Module } | undefined;
const pools = new WeakMap<WebAssembly.Memory, KernelPool>();

/** The kernel workers on this memory, if it is a threaded backend's. */
export function kernelPoolOf(memory: WebAssembly.Memory): KernelPool | undefined {
  return pools.get(memory);
}

/** fsam-edge's kernel modules built for a shared memory, once a threaded backend has loaded them. */
export function sharedKernelModules(): { training: WebAssembly.Module; optimizer: WebAssembly.Module } {
  if (!sharedModules) throw new Error("fsam-edge: tfjs-wasm's memory is shared but no threaded start loaded the shared kernels");
  return sharedModules;
}

/** Rejects after `ms` with `message`; the timer never keeps a process alive. */
function timeout(ms: number, message: string): { promise: Promise<never>; clear(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    (timer as { unref?: () => void }).unref?.();
  });
  return { promise, clear: () => clearTimeout(timer) };
}

/**
 * Starts tfjs-wasm's threaded build on `request.threads` threads with fsam-edge's kernel
 * workers, or rejects saying why (and stops every worker it started).
 */
export async function startThreaded(wasm: typeof TfjsWasm, request: ThreadsRequest): Promise<ThreadedModule> {
  const workers: ThreadWorker[] = [];
  const stopAll = () => { for (const w of workers) w.terminate(); workers.length = 0; };
  const limit = timeout(request.timeoutMs, `the threads did not start within ${request.timeoutMs / 1000} s`);
  let failed: (err: Error) => void = () => {};
  const failure = new Promise<never>((_, reject) => { failed = reject; });
  try {
    return await Promise.race([limit.promise, failure, start()]);
  } catch (err) {
    stopAll();
    throw err;
  } finally {
    limit.clear();
  }

  async function start(): Promise<ThreadedModule> {
    const threads = await import(/* webpackIgnore: true */ /* @vite-ignore */ request.url).catch((err: Error) => {
      throw new Error(`fsam-edge-threads.js could not be loaded from ${request.url}: ${err.message}`);
    }) as ThreadsModule;
    if (threads.tfjsWasmVersion !== wasm.version_wasm) {
      throw new Error(`fsam-edge-threads.js carries tfjs-backend-wasm ${threads.tfjsWasmVersion}'s threaded build, ` +
        `but tfjs-backend-wasm ${wasm.version_wasm} is loaded (its kernels must match the binary)`);
    }
    const { node, deno } = runtime();
    // Node's worker_threads in Node, and in Deno too for fsam-edge's kernel workers: a Web
    // Worker keeps a Deno process alive for as long as it lives, an unreferenced
    // worker_threads Worker does not. tfjs's own pthreads (none while its pool is one
    // thread, see tfjsPoolThreads) take the glue's path: worker_threads in Node, Web
    // Workers elsewhere.
    const nodeThreads = node || deno ? await importBuiltin<NodeWorkerThreads>('worker_threads') : undefined;
    const nodeRequire = node ? (await importBuiltin<NodeModule>('module')).createRequire(request.url) : undefined;
    const newWorker = (kind: 'pthread' | 'kernels'): ThreadWorker & { on?: NodeWorkerThreads['Worker']['prototype']['on'] } => {
      let worker: ThreadWorker & { on?: NodeWorkerThreads['Worker']['prototype']['on'] };
      if (nodeThreads && (node || kind === 'kernels')) {
        const w = new nodeThreads.Worker(new URL(request.url), { workerData: { [WORKER_NAME]: true } });
        w.on('error', (err) => failed(new Error(`a thread failed: ${err.message}`)));
        worker = w as never;
      } else {
        const w = new g.Worker!(request.url, { type: 'module', name: WORKER_NAME });
        w.addEventListener('error', (e) => {
          (e as Event).preventDefault?.();
          failed(new Error(`a thread could not start from ${request.url}: ${(e as ErrorEvent).message ||
            "the worker script did not load (is it served there, and does the page's Content-Security-Policy allow it as a worker?)"}`));
        });
        worker = w;
      }
      workers.push(worker);
      return worker;
    };
    const [tfjsBinary, training, optimizer] = await Promise.all([
      WebAssembly.compile(threads.tfjsThreadedBinary as Uint8Array<ArrayBuffer>),
      WebAssembly.compile(threads.sharedTrainingWasm as Uint8Array<ArrayBuffer>),
      WebAssembly.compile(threads.sharedOptimizerWasm as Uint8Array<ArrayBuffer>),
    ]);
    const config: Record<string, unknown> = {
      fsamNode: node,
      fsamRequire: nodeRequire,
      // tfjs-wasm sizes its pool at min(threads, 8, logical cores / 2): report twice the request.
      fsamLogicalCores: 2 * request.tfjsThreads,
      fsamPoolSize: request.tfjsThreads - 1,
      fsamNewWorker: () => newWorker('pthread'),
      fsamWorkerError: (e: { message?: string }) => failed(new Error(`a tfjs-wasm thread failed: ${e?.message ?? String(e)}`)),
      instantiateWasm: (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => {
        WebAssembly.instantiate(tfjsBinary, imports).then((instance) => receive(instance, tfjsBinary),
          (err: Error) => failed(new Error(`tfjs-backend-wasm's threaded binary did not instantiate: ${err.message}`)));
        return {};
      },
      onAbort: (what: unknown) => failed(new Error(`tfjs-backend-wasm's threaded build aborted: ${String(what)}`)),
    };
    const module = await threads.createThreadedModule(config) as Record<string, unknown>;
    const memory = module.wasmMemory as WebAssembly.Memory;

    // fsam-edge's kernel workers on the same memory.
    const malloc = module._malloc as (bytes: number) => number;
    const control = malloc(CONTROL_BYTES) >>> 0;
    new Uint8Array(memory.buffer, control, CONTROL_BYTES).fill(0);
    const names = WebAssembly.Module.exports(training).filter((e) => e.kind === 'function').map((e) => e.name);
    const kernelWorkers: ThreadWorker[] = [];
    await Promise.all(Array.from({ length: request.threads - 1 }, () => {
      const worker = newWorker('kernels');
      kernelWorkers.push(worker);
      const onMessage = (handler: (data: unknown) => void) => {
        if (worker.on) worker.on('message', handler);
        else (worker as unknown as EventTarget).addEventListener('message', (e) => handler((e as MessageEvent).data));
      };
      return initKernelWorker(worker, { cmd: 'fsam-edge-kernels', memory, module: training, names, control, spins: KERNEL_SPINS },
        onMessage);
    }));
    // A process exits when its own work is done, whatever its threads do (in Node, a
    // 'message' listener refs a worker again: so unref them once every listener is on).
    for (const w of workers) (w as { unref?: () => void }).unref?.();
    const pool = new KernelPool(memory, control, names, kernelWorkers);
    pools.set(memory, pool);
    sharedModules = { training, optimizer };
    return { module, pool, training, optimizer, stop: stopAll };
  }
}

/**
 * How many times a kernel worker polls for the next call before it sleeps: about 1.7 ms
 * here (17 ns a poll). With a step's passes replayed (optimizer.compile()) the gaps
 * between split calls are short, and a worker that is still polling takes the next call
 * without a futex wake: the study CNN's compiled F-SAM step at 2 threads against 1 in
 * Node (`node bench/threads.mjs --runtimes node --rounds 5`, p10; load 0.9, 2026-11-30)
 * was 1.31–1.37× at 2,000 and 20,000 polls, 1.48–1.53× at 100,000 (three runs), 1.29×
 * at 1,000,000 (the spinning took the core from other work). Under minimize() (tfjs's
 * dispatch between calls) longer polls had measured no faster.
 */
const KERNEL_SPINS = 100_000;

/**
 * Threads of tfjs-wasm's own pool (pthreadpool, which runs XNNPACK's operators) when
 * `threads` are asked for. Its workers spin for a while after every operator before they
 * sleep (about a million polls), so with a pool of its own on the same cores as
 * fsam-edge's kernel workers the machine is oversubscribed after each XNNPACK operator
 * (measured, study CNN F-SAM step on 2 cores: 55–64 ms of CPU per step at 2 + 2 threads
 * against 27–42 at 1 + 2, and 23–32 on one thread). fsam-edge's own kernels are what
 * the step's time is (docs/threads.md); XNNPACK keeps the calling thread.
 */
export function tfjsPoolThreads(_threads: number): number {
  return 1;
}

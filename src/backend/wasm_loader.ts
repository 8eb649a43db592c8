// How tfjs-backend-wasm loads once ready() has configured it. Three things its own
// loader does not do:
//  - take the binary as bytes: its loader always fetches. Given bytes (the bundle's
//    embedded binary, or ready's wasmBinary), it is pointed at a URL only fsam-edge
//    answers, through tfjs's platform fetch while the backend initializes, so no
//    request leaves the page and a `default-src 'self'` CSP has nothing to refuse;
//  - leave the process alone: its Emscripten glue installs process-level error
//    listeners that rethrow (../platform/process_listeners.ts), and when the backend is
//    disposed it removes every such listener present at its start, the app's included;
//  - choose the binary: the single-threaded SIMD build, or, with ready({ threads }) above
//    1 where the runtime allows it, the threaded SIMD build started by fsam-edge itself
//    (./threads.ts: ES-module workers of fsam-edge-threads.js, and fsam-edge's own kernel
//    workers), falling back to the SIMD build, and saying why, when it cannot or its start
//    fails or times out. tfjs's own threaded start (WASM_HAS_MULTITHREAD_SUPPORT) stays off:
//    it needs blob: workers and eval, and it never runs in Node.
// All of it lives in the 'wasm' backend factory, which this module wraps and
// re-registers with tfjs-backend-wasm's own priority, so it also holds when the app
// switches to 'wasm' later (ready({ keepBackend: true })) or tfjs re-creates the backend.
// Checked against tfjs-core and tfjs-backend-wasm 4.22.
import { tf } from '../tf';
import type * as TfjsWasm from '@tensorflow/tfjs-backend-wasm';
import { withoutAddedProcessListeners } from '../platform/process_listeners';
import { kernelPoolOf, startThreaded, threadsUnavailable, type ThreadsRequest } from './threads';
import { wasmMemory } from './wasm_backend';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type WasmBinaryName = 'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';
/** setWasmPaths()'s argument: a folder URL (ending in '/'), or the URL of each binary. */
export type WasmPaths = string | { [name in WasmBinaryName]?: string };

export interface WasmLoader {
  /** tfjs-backend-wasm's SIMD binary, handed to the loader as bytes. */
  binary?: Uint8Array;
  /** Where tfjs-backend-wasm fetches its binary itself. */
  paths?: WasmPaths;
  /** Threads asked for (above 1: the threaded build is tried). */
  threads?: ThreadsRequest;
}

/** What the 'wasm' backend runs on: how many threads, which binary, and why not more threads. */
export interface WasmThreads {
  /** Threads the backend's kernels run on (1: the calling thread only). */
  threads: number;
  /** The threads asked for. */
  requested: number;
  /** tfjs-backend-wasm's binary in use. */
  binary: 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';
  /** Why it runs on fewer threads than asked for (absent when it got them). */
  reason?: string;
  /** fsam-edge kernel calls split over the threads so far (0 on one thread). */
  splitKernelCalls: number;
  /** Their chunks run on the calling thread and on the other threads so far: how much the other threads took. */
  chunks: { here: number; elsewhere: number };
}

/** The binary could not be compiled or tfjs-backend-wasm could not initialize. */
export class WasmLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WasmLoadError';
  }
}

const BINARY_NAMES: WasmBinaryName[] = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
/** The URL the loader fetches when it was handed bytes: answered below, never requested. */
const HANDED_BINARY_URL = 'fsam-edge-handed:tfjs-backend-wasm-simd.wasm';

type Factory = () => tf.KernelBackend | Promise<tf.KernelBackend>;
let lastFailure: unknown;
let lastThreads: Omit<WasmThreads, 'splitKernelCalls' | 'chunks'> | undefined;

/** What the 'wasm' backend runs on, once it was initialized. */
export function wasmThreads(): WasmThreads | undefined {
  const backend = initializedBackend('wasm') as BackendWasm | undefined;
  if (!lastThreads || !backend) return undefined;
  const pool = backend.wasm ? kernelPoolOf(wasmMemory(backend)) : undefined;
  return { ...lastThreads, splitKernelCalls: pool?.counts.split ?? 0,
    chunks: { here: pool?.counts.chunksHere ?? 0, elsewhere: pool?.counts.chunksElsewhere ?? 0 } };
}
let loadedVersion: string | undefined;

/** The version of the tfjs-backend-wasm ready() imported, once it has. */
export function loadedTfjsWasmVersion(): string | undefined {
  return loadedVersion;
}

/** The backend `name` if tfjs has initialized it (tf.findBackend would initialize it). */
export function initializedBackend(name: string): tf.KernelBackend | undefined {
  return (tf.engine() as unknown as { registry: Record<string, tf.KernelBackend | undefined> }).registry[name];
}

/** Why the last initialization of the 'wasm' backend failed (tfjs logs it and returns false). */
export function lastWasmInitFailure(): unknown {
  return lastFailure;
}

/** Imports tfjs-backend-wasm, which registers the 'wasm' backend and its kernels: only ready() calls this. */
export async function importTfjsWasm(): Promise<typeof TfjsWasm> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  loadedVersion = wasm.version_wasm;
  return wasm;
}

/** Configures the loader and wraps the 'wasm' factory; tfjs-backend-wasm must be imported and not yet initialized. */
export function configureWasmLoader(wasm: typeof TfjsWasm, loader: WasmLoader): void {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
  if (loader.binary) {
    wasm.setWasmPaths(Object.fromEntries(BINARY_NAMES.map((name) => [name, HANDED_BINARY_URL])), true);
  } else if (typeof loader.paths === 'string') {
    wasm.setWasmPaths(loader.paths);
  } else if (loader.paths) {
    // tfjs wants all three names; only the SIMD one is ever loaded.
    const simd = loader.paths['tfjs-backend-wasm-simd.wasm'];
    wasm.setWasmPaths(Object.fromEntries(BINARY_NAMES.map((name) => [name, loader.paths && (loader.paths as Record<string, string>)[name] || simd])));
  }
  const original = tf.findBackendFactory('wasm') as Factory;
  const priority = (tf.engine() as unknown as { registryFactory: Record<string, { priority: number }> }).registryFactory.wasm.priority;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => initialize(wasm, original, loader), priority);
}

async function initialize(wasm: typeof TfjsWasm, original: Factory, loader: WasmLoader): Promise<tf.KernelBackend> {
  lastFailure = undefined;
  try {
    return await withoutAddedProcessListeners(async () => {
      const requested = loader.threads?.threads ?? 1;
      let reason: string | undefined;
      if (loader.threads && requested > 1) {
        reason = threadsUnavailable(loader.threads.url);
        if (!reason) {
          try {
            const backend = await threadedBackend(wasm, loader.threads);
            lastThreads = { threads: requested, requested, binary: 'tfjs-backend-wasm-threaded-simd.wasm' };
            return backend;
          } catch (err) {
            reason = (err as Error).message;
          }
        }
      }
      const release = loader.binary ? answerFetch(HANDED_BINARY_URL, loader.binary) : undefined;
      try {
        const backend = await original();
        keepProcessListenersOnDispose(backend);
        lastThreads = { threads: 1, requested, binary: 'tfjs-backend-wasm-simd.wasm', ...(reason ? { reason } : {}) };
        return backend;
      } finally {
        release?.();
      }
    });
  } catch (err) {
    // tfjs-backend-wasm rejects with a plain { message } object when its glue aborts.
    lastFailure = err instanceof Error ? err : new Error(String((err as { message?: unknown })?.message ?? err));
    throw lastFailure;
  }
}

/** tfjs-wasm's BackendWasm over the threaded build that fsam-edge started (./threads.ts). */
async function threadedBackend(wasm: typeof TfjsWasm, request: ThreadsRequest): Promise<tf.KernelBackend> {
  const started = await startThreaded(wasm, request);
  const module = started.module as Record<string, unknown> & { cwrap: (...args: unknown[]) => unknown };
  // What tfjs-wasm's own init() gives its module before BackendWasm takes it.
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  let backend: tf.KernelBackend;
  try {
    wasm.setThreadsCount(request.tfjsThreads);
    backend = new wasm.BackendWasm(module as never);
  } catch (err) {
    started.stop();
    throw err;
  } finally {
    wasm.setThreadsCount(-1); // tfjs's default again, for a later single-threaded start
  }
  const got = wasm.getThreadsCount();
  if (got !== request.tfjsThreads) {
    backend.dispose();
    started.stop();
    throw new Error(`tfjs-backend-wasm started ${got} threads instead of ${request.tfjsThreads}`);
  }
  keepProcessListenersOnDispose(backend);
  const dispose = backend.dispose.bind(backend);
  backend.dispose = () => { started.pool.terminate(); dispose(); started.stop(); };
  return backend;
}

/** Answers tfjs's platform fetch of `url` with `bytes`, until the returned function is called. */
function answerFetch(url: string, bytes: Uint8Array): () => void {
  const platform = tf.env().platform as unknown as { fetch(path: string, init?: unknown): Promise<unknown> } | undefined;
  if (!platform) throw new WasmLoadError('tfjs-core has no platform to load tfjs-backend-wasm through');
  const own = Object.prototype.hasOwnProperty.call(platform, 'fetch');
  const previous = platform.fetch;
  platform.fetch = function answer(path: string, init?: unknown) {
    if (path !== url) return previous.call(this, path, init);
    return Promise.resolve({ ok: true, arrayBuffer: () => Promise.resolve(bytes.slice().buffer) });
  };
  return () => {
    if (own) platform.fetch = previous;
    else delete (platform as { fetch?: unknown }).fetch;
  };
}

/** The glue's dispose also removes every process listener present when it started, the
 *  app's included: tfjs then disposes through the module's own export instead. */
function keepProcessListenersOnDispose(backend: tf.KernelBackend): void {
  const module = (backend as unknown as { wasm?: { tfjs?: { dispose?: () => void }; asm?: { dispose?: () => void } } }).wasm;
  const dispose = module?.asm?.dispose;
  if (module?.tfjs && typeof dispose === 'function') module.tfjs.dispose = () => dispose();
}

// How tfjs-backend-wasm loads once ready() has configured it. Three things its own
// loader does not do:
//  - take the binary as bytes: its loader always fetches. Given bytes (the bundle's
//    embedded binary, or ready's wasmBinary), it is pointed at a URL only fsam-edge
//    answers, through tfjs's platform fetch while the backend initializes, so no
//    request leaves the page and a `default-src 'self'` CSP has nothing to refuse;
//  - leave the process alone: its Emscripten glue installs process-level error
//    listeners that rethrow (../platform/process_listeners.ts), and when the backend is
//    disposed it removes every such listener present at its start, the app's included;
//  - choose the binary: only the single-threaded SIMD build is loaded (the threaded
//    one needs cross-origin isolation and a worker script; a `threads` option would
//    set WASM_HAS_MULTITHREAD_SUPPORT here instead of clearing it).
// All of it lives in the 'wasm' backend factory, which this module wraps and
// re-registers with tfjs-backend-wasm's own priority, so it also holds when the app
// switches to 'wasm' later (ready({ keepBackend: true })) or tfjs re-creates the backend.
// Checked against tfjs-core and tfjs-backend-wasm 4.22.
import { tf } from '../tf';
import type * as TfjsWasm from '@tensorflow/tfjs-backend-wasm';
import { withoutAddedProcessListeners } from '../platform/process_listeners';

export type WasmBinaryName = 'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';
/** setWasmPaths()'s argument: a folder URL (ending in '/'), or the URL of each binary. */
export type WasmPaths = string | { [name in WasmBinaryName]?: string };

export interface WasmLoader {
  /** tfjs-backend-wasm's SIMD binary, handed to the loader as bytes. */
  binary?: Uint8Array;
  /** Where tfjs-backend-wasm fetches its binary itself. */
  paths?: WasmPaths;
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

/** Configures the loader and wraps the 'wasm' factory; tfjs-backend-wasm must be imported and not yet initialized. */
/** Imports tfjs-backend-wasm, which registers the 'wasm' backend and its kernels: only ready() calls this. */
export async function importTfjsWasm(): Promise<typeof TfjsWasm> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  loadedVersion = wasm.version_wasm;
  return wasm;
}

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
  tf.registerBackend('wasm', () => initialize(original, loader.binary), priority);
}

async function initialize(original: Factory, binary: Uint8Array | undefined): Promise<tf.KernelBackend> {
  lastFailure = undefined;
  try {
    return await withoutAddedProcessListeners(async () => {
      const release = binary ? answerFetch(HANDED_BINARY_URL, binary) : undefined;
      try {
        const backend = await original();
        keepProcessListenersOnDispose(backend);
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

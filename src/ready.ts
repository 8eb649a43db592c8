// ready(): the one call before training with fsam-edge. Importing fsam-edge changes
// nothing in the app's tfjs (no backend, no kernel, no global, no process listener);
// ready() then, once:
//  1. compiles fsam-edge's own kernels (first, so a page that forbids WebAssembly gets a
//     clear rejection at once, never a hang);
//  2. imports tfjs-backend-wasm, which registers the 'wasm' backend and its kernels, and
//     configures its loader (./backend/wasm_loader.ts): the bytes handed to it (the
//     bundle's embedded binary, or `wasmBinary`), or `wasmPaths`, or, with neither, the
//     app's own tfjs-backend-wasm setup (in Node it reads its binary from its package);
//  3. registers fsam-edge's training kernels for 'wasm' and its dilated-conv gradients;
//  4. in Node and Deno, registers the file:// model IO handler (./io/file_system.ts);
// and then, unless `keepBackend` is set, activates 'wasm' as the app's backend, on as many
// threads as `threads` asks for where the runtime allows it (./backend/threads.ts), and
// resolves to what it got.
import { tf } from './tf';
import { hasWasmSimd, WasmSimdUnsupportedError } from './backend/simd';
import {
  configureWasmLoader, importTfjsWasm, initializedBackend, lastWasmInitFailure, wasmThreads, WasmLoadError,
  type WasmPaths, type WasmThreads,
} from './backend/wasm_loader';
import { logicalProcessors, MAX_THREADS, tfjsPoolThreads } from './backend/threads';
import { notTfjsWasmBinary } from './backend/wasm_binary_check';
import { embeddedTfjsWasmBinary } from './platform/bundled_tfjs';
import { registerTrainingKernels } from './kernels/index';
import { compileOptimizerKernels } from './core/kernels';
import { registerFileSystemRouter } from './io/file_system';

export interface ReadyOptions {
  /**
   * Leave the app's backend as it is (default false: activate 'wasm'). fsam-edge's
   * kernels are registered for 'wasm' and tfjs-backend-wasm's loader configured, for
   * when the app switches to it; the optimizers run on whichever backend is active.
   */
  keepBackend?: boolean;
  /**
   * tfjs-backend-wasm's SIMD binary (the installed version's tfjs-backend-wasm-simd.wasm) as
   * bytes, handed to its loader: nothing is fetched. It must be valid WebAssembly (checked);
   * a binary of another tfjs-backend-wasm version fails to link inside tfjs's loader, which
   * then never settles.
   */
  wasmBinary?: ArrayBuffer | ArrayBufferView;
  /** Where tfjs-backend-wasm fetches its binary: a folder URL ending in '/', or a URL per binary (as tfjs's setWasmPaths). */
  wasmPaths?: WasmPaths;
  /**
   * Threads for the 'wasm' backend, the calling one included (default 1): a number up to 8,
   * or 'auto' (the logical processors here, at most 8). Above 1, tfjs-backend-wasm's
   * threaded SIMD build runs with fsam-edge's kernels split over the same threads, where
   * the runtime allows it: Node (worker_threads), Deno (with --allow-read of
   * fsam-edge-threads.js), and browsers on cross-origin isolated pages. Elsewhere, or if the
   * threads do not start, it runs on one thread and the resolved report says why. Results
   * are the same bits at any number of threads.
   */
  threads?: number | 'auto';
  /** Where fsam-edge-threads.js is (default: beside this module); served from the page's origin in browsers. */
  threadsUrl?: string | URL;
  /** How long the threads may take to start before ready() falls back to one thread (default 10,000 ms). */
  threadsTimeoutMs?: number;
}

/** What ready() got. */
export interface ReadyReport {
  /** The active backend. */
  backend: string;
  /** What the 'wasm' backend runs on; absent until it is initialized (with keepBackend, when the app switches to it). */
  wasm?: WasmThreads;
}

const OPTION_NAMES: readonly string[] = ['keepBackend', 'wasmBinary', 'wasmPaths', 'threads', 'threadsUrl', 'threadsTimeoutMs'] satisfies (keyof ReadyOptions)[];
const THREADS_MODULE = 'fsam-edge-threads.js';

let prepared: Promise<void> | undefined;
let preparedThreads: ThreadsAsked | undefined;
let activating: Promise<void> | undefined;

interface ThreadsAsked { threads: number | 'auto'; url: string; timeoutMs: number }

export async function ready(options: ReadyOptions = {}): Promise<ReadyReport> {
  const { keepBackend, binary, paths, threads } = checkOptions(options);
  if (!hasWasmSimd()) throw new WasmSimdUnsupportedError();
  if (prepared && (binary || paths !== undefined)) {
    throw new Error("ready(): wasmBinary and wasmPaths apply to the first call, which already configured tfjs-backend-wasm's loader");
  }
  if (prepared && threads && preparedThreads && (threads.threads !== preparedThreads.threads || threads.url !== preparedThreads.url)) {
    throw new Error(`ready(): threads apply to the first call, which already asked for ${String(preparedThreads.threads)}`);
  }
  if (!prepared) preparedThreads = threads;
  prepared ??= prepare(keepBackend, binary ?? (paths === undefined ? embeddedTfjsWasmBinary : undefined), paths, threads)
    .catch((err) => { prepared = undefined; throw err; });
  await prepared;
  if (!keepBackend) {
    // Also when 'wasm' is active already: setBackend runs the setup of every kernel registered
    // for it (tfjs-wasm's bind their exports there), those registered since included.
    activating ??= activateWasm().finally(() => { activating = undefined; });
    await activating;
  }
  const wasm = wasmThreads();
  return { backend: tf.getBackend(), ...(wasm ? { wasm } : {}) };
}

async function prepare(keepBackend: boolean, binary: Uint8Array | undefined, paths: WasmPaths | undefined,
                       threads: ThreadsAsked | undefined): Promise<void> {
  try {
    await compileOptimizerKernels();
  } catch (err) {
    throw new WasmLoadError(`fsam-edge cannot compile WebAssembly here: ${(err as Error).message}` +
      " (a page's Content-Security-Policy must allow it: script-src 'wasm-unsafe-eval')", { cause: err });
  }
  if (keepBackend && tf.engine().backendName == null && tf.engine().backendNames().length > 0) {
    await tf.ready(); // the app's own choice of backend, made before 'wasm' is registered
  }
  const wasm = await importTfjsWasm();
  if (initializedBackend('wasm')) {
    // The app initialized 'wasm' itself: its loader is settled, only the kernels are added.
    if (binary !== embeddedTfjsWasmBinary || paths !== undefined) {
      throw new Error("ready(): tfjs's wasm backend is already initialized, so wasmBinary and wasmPaths cannot apply");
    }
  } else {
    const count = threads?.threads === 'auto' ? await logicalProcessors() : threads?.threads ?? 1;
    configureWasmLoader(wasm, { binary, paths, threads: threads && { threads: count, tfjsThreads: tfjsPoolThreads(count), url: threads.url, timeoutMs: threads.timeoutMs } });
  }
  registerTrainingKernels();
  await registerFileSystemRouter();
}

async function activateWasm(): Promise<void> {
  if (await tf.setBackend('wasm')) return;
  const cause = lastWasmInitFailure();
  const message = cause instanceof Error ? cause.message : 'see the warning tfjs logged';
  throw new WasmLoadError(`tfjs-backend-wasm could not initialize: ${message}`, { cause });
}

function checkOptions(options: ReadyOptions) {
  if (options === null || typeof options !== 'object') throw new TypeError(`ready() takes an options object, got ${String(options)}`);
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.includes(name)) throw new TypeError(`ready() has no option '${name}' (it takes ${OPTION_NAMES.join(', ')})`);
  }
  const { keepBackend = false, wasmBinary, wasmPaths, threads, threadsUrl, threadsTimeoutMs = 10_000 } = options;
  if (typeof keepBackend !== 'boolean') throw new TypeError(`ready(): keepBackend must be true or false, got ${String(keepBackend)}`);
  if (wasmBinary !== undefined && wasmPaths !== undefined) throw new TypeError('ready(): give wasmBinary or wasmPaths, not both');
  let binary: Uint8Array | undefined;
  if (wasmBinary !== undefined) {
    if (wasmBinary instanceof ArrayBuffer) binary = new Uint8Array(wasmBinary);
    else if (ArrayBuffer.isView(wasmBinary)) binary = new Uint8Array(wasmBinary.buffer, wasmBinary.byteOffset, wasmBinary.byteLength);
    else throw new TypeError(`ready(): wasmBinary must be an ArrayBuffer or a typed array, got ${String(wasmBinary)}`);
    if (!WebAssembly.validate(binary as Uint8Array<ArrayBuffer>)) throw new TypeError(`ready(): wasmBinary (${binary.byteLength} bytes) is not a WebAssembly module`);
    const why = notTfjsWasmBinary(binary);
    if (why) throw new TypeError(`ready(): wasmBinary (${binary.byteLength} bytes) is not tfjs-backend-wasm's single-threaded build: ${why}`);
  }
  if (wasmPaths !== undefined && typeof wasmPaths !== 'string' && (wasmPaths === null || typeof wasmPaths !== 'object' ||
      typeof (wasmPaths as Record<string, unknown>)['tfjs-backend-wasm-simd.wasm'] !== 'string')) {
    throw new TypeError(`ready(): wasmPaths must be a folder URL or an object with a 'tfjs-backend-wasm-simd.wasm' URL, got ${JSON.stringify(wasmPaths)}`);
  }
  if (threads !== undefined && threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    throw new TypeError(`ready(): threads must be an integer from 1 to ${MAX_THREADS} or 'auto', got ${JSON.stringify(threads)}`);
  }
  if (threadsUrl !== undefined && typeof threadsUrl !== 'string' && !(threadsUrl instanceof URL)) {
    throw new TypeError(`ready(): threadsUrl must be a URL or a string, got ${String(threadsUrl)}`);
  }
  if (!(typeof threadsTimeoutMs === 'number' && threadsTimeoutMs > 0 && threadsTimeoutMs <= 600_000)) {
    throw new TypeError(`ready(): threadsTimeoutMs must be a number of milliseconds above 0 (at most 600,000), got ${String(threadsTimeoutMs)}`);
  }
  const asked: ThreadsAsked | undefined = threads === undefined || threads === 1 ? undefined : {
    threads, timeoutMs: threadsTimeoutMs,
    url: threadsUrl !== undefined ? new URL(String(threadsUrl), defaultBase()).href : new URL(THREADS_MODULE, moduleUrl()).href,
  };
  return { keepBackend, binary, paths: wasmPaths, threads: asked };
}

/** This module's URL: fsam-edge-threads.js is its sibling in every build (the CommonJS builds define it). */
function moduleUrl(): string {
  return import.meta.url;
}

/** What a relative threadsUrl is relative to: the page or worker in browsers, this module elsewhere. */
function defaultBase(): string {
  const location = (globalThis as { location?: { href?: string } }).location;
  return location?.href ?? moduleUrl();
}

// dist/fsam-edge-threads.js: what fsam-edge needs to run on several threads, in one ES
// module beside the library (one more file to serve; single-thread users never load it):
//  - tfjs-backend-wasm's threaded SIMD binary and its Emscripten glue, the glue patched by
//    scripts/build.mjs (its workers made by fsam-edge as ES-module workers of this file,
//    its logical-core count, its Node detection, its messages), so that no eval, no
//    new Function and no blob: URL is needed and it runs in Node, Deno and browsers;
//  - fsam-edge's kernel modules built for a shared memory (build/*.shared.wasm);
//  - the worker side (./worker.ts): a worker started from this file with the name
//    WORKER_NAME (browsers, Deno) or that name in its workerData (Node) serves its
//    messages; imported anywhere else, this module does nothing.
// The main thread imports it (src/backend/threads.ts) and starts its workers from it.
import createThreadedModule from 'fsam-edge:tfjs-threaded-glue';
import tfjsThreadedBinary from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm';
import sharedTrainingWasm from '../../build/training.shared.wasm';
import sharedOptimizerWasm from '../../build/optimizer.shared.wasm';
import { serveWorker, type Channel } from './worker';

import { version as tfjsWasmVersion } from '@tensorflow/tfjs-backend-wasm/dist/version';
import { WORKER_NAME, type ThreadsModule } from './protocol';

export { tfjsWasmVersion, createThreadedModule, tfjsThreadedBinary, sharedTrainingWasm, sharedOptimizerWasm };
// What the main thread reads from this module (checked here, declared in ./protocol.ts).
({ tfjsWasmVersion, createThreadedModule, tfjsThreadedBinary, sharedTrainingWasm, sharedOptimizerWasm }) satisfies ThreadsModule;

type NodeWorkerThreads = typeof import('node:worker_threads');
type NodeModule = typeof import('node:module');

const g = globalThis as unknown as {
  Deno?: unknown; process?: { versions?: { node?: string } };
  WorkerGlobalScope?: unknown; name?: string; onmessage: unknown; postMessage(message: unknown, transfer?: Transferable[]): void;
};

// A worker of this file started with worker_threads (Node; Deno's kernel workers), or as a
// Web Worker (browsers; Deno's pthreads): only there does the module serve messages.
let served = false;
if (typeof g.process?.versions?.node === 'string') {
  const builtin = (name: string) => `node:${name}`;
  const threads = await import(/* webpackIgnore: true */ /* @vite-ignore */ builtin('worker_threads')) as NodeWorkerThreads;
  if (!threads.isMainThread && (threads.workerData as Record<string, unknown> | undefined)?.[WORKER_NAME] === true) {
    const port = threads.parentPort!;
    const channel: Channel = {
      post: (message, transfer) => port.postMessage(message, transfer as never),
      listen: (handler) => port.on('message', handler),
    };
    if (g.Deno === undefined) {
      const { createRequire } = await import(/* webpackIgnore: true */ /* @vite-ignore */ builtin('module')) as NodeModule;
      channel.nodeRequire = createRequire(import.meta.url); // the glue's Node path, in a Node pthread
    }
    serveWorker(channel, createThreadedModule);
    served = true;
  }
}
if (!served && g.WorkerGlobalScope !== undefined && g.name === WORKER_NAME) {
  serveWorker({
    post: (message, transfer) => g.postMessage(message, transfer ?? []),
    listen: (handler) => { g.onmessage = (e: MessageEvent) => handler(e.data); },
  }, createThreadedModule);
}

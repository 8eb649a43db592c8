// The Emscripten glue of tfjs-backend-wasm, run where `process` exists (Node, Deno),
// installs process.on('uncaughtException' | 'unhandledRejection', e => { throw e })
// while the wasm backend initializes. Left installed, they turn every error the app
// means to handle into a crash (exit code 7) after its own handler ran. The app's
// handlers decide: whatever the glue added during an initialization is removed after it.
const EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

type Listener = (...args: unknown[]) => void;
interface ProcessLike {
  listeners(event: string): Listener[];
  removeListener(event: string, listener: Listener): unknown;
}

function processLike(): ProcessLike | undefined {
  const p = (globalThis as { process?: Partial<ProcessLike> }).process;
  return p && typeof p.listeners === 'function' && typeof p.removeListener === 'function' ? p as ProcessLike : undefined;
}

/** Runs `f`, then removes the process-level error listeners it added. */
export async function withoutAddedProcessListeners<T>(f: () => Promise<T>): Promise<T> {
  const p = processLike();
  const before = p && new Map(EVENTS.map((e) => [e, new Set(p.listeners(e))]));
  try {
    return await f();
  } finally {
    if (p && before) {
      for (const e of EVENTS) {
        for (const listener of p.listeners(e)) if (!before.get(e)!.has(listener)) p.removeListener(e, listener);
      }
    }
  }
}

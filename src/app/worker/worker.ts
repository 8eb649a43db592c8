// The app's Web Worker: tfjs on its wasm backend (the self-contained bundle beside it,
// fsam-edge.js, with the binary embedded: nothing fetched, one tfjs; fsam-edge-threads.js
// beside it for threads), and the Session that trains. The page stays free: a step never
// runs on its thread.
import { ready } from '../../index';
import type { FromWorker, NamedBytes, ThreadsInfo, ToWorker } from '../common/protocol';
import { openStorage, memoryStorage, type Storage } from '../common/storage';
import { Session, type Events } from './session';

declare const FSAM_EDGE_VERSION: string;

const scope = self as unknown as { postMessage(m: FromWorker, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null; location: Location };
const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);
const here = (path: string) => new URL(path, scope.location.href).href;
const buffers = (files: NamedBytes[]) => files.map((f) => f.bytes.buffer as ArrayBuffer);

const events: Events = {
  started: (run) => post({ type: 'started', run }),
  batch: (epoch, batch, batches, loss) => post({ type: 'batch', epoch, batch, batches, loss }),
  epoch: (run, memory) => post({ type: 'epoch', run, memory }),
  paused: (run, epoch, batch) => post({ type: 'paused', run, epoch, batch }),
  continued: (run) => post({ type: 'continued', run }),
  finished: (run, memory) => post({ type: 'finished', run, memory }),
  stopped: (run) => post({ type: 'stopped', run }),
  failed: (name, message) => post({ type: 'error', request: 'run', name, message }),
};

// Every core the device has where it can share memory between threads (the app is served
// cross-origin isolated: COOP and COEP); the results are the same bits on any number.
async function open(): Promise<{ session: Session; storageProblem: string | null; threads: ThreadsInfo }> {
  const { wasm } = await ready({ threads: 'auto' });
  const threads = { threads: wasm?.threads ?? 1, reason: wasm?.reason ?? null };
  let storage: Storage, storageProblem: string | null = null;
  try {
    storage = await openStorage();
  } catch (err) {
    storage = memoryStorage();
    storageProblem = (err as Error).message;
  }
  const session = new Session(storage, {
    modelUrl: here('model/model.json'), baseInfoUrl: here('model/base.json'),
    digitsUrl: here('data/mnist-digits.bin.gz'), appVersion: FSAM_EDGE_VERSION, userAgent: navigator.userAgent,
  }, events);
  return { session, storageProblem, threads };
}

let opened: ReturnType<typeof open> | undefined;

async function handle(m: ToWorker): Promise<void> {
  if (m.type === 'init') {
    opened ??= open();
    const { session, storageProblem, threads } = await opened;
    const { model, run } = await session.open();
    post({ type: 'ready', model, run, storage: storageProblem, threads });
    return;
  }
  if (!opened) throw new Error(`'${m.type}' before 'init'`);
  const { session } = await opened;
  switch (m.type) {
    case 'builtinSet': {
      const set = await session.builtinSet(m.noiseRate);
      post({ type: 'builtinSet', ...set });
      return;
    }
    case 'plan': post({ type: 'plan', memory: session.plan(m.choice) }); return;
    case 'start': await session.start(m.choice, m.data); return;
    case 'resume': await session.resume(); return;
    case 'pause': session.pause(); return;
    case 'continue': session.continue(); return;
    case 'cancel': session.cancel(); return;
    case 'predict': post({ type: 'prediction', top: session.predict(m.features) }); return;
    case 'parseData': {
      const set = session.parseData(m.file);
      post({ type: 'data', name: m.file.name, ...set }, [set.features.buffer, set.labels.buffer]);
      return;
    }
    case 'importModel': {
      const model = await session.importModel(m.files, m.exampleFeatures);
      post({ type: 'model', model, run: null });
      return;
    }
    case 'resetModel': post({ type: 'model', model: await session.resetModel(), run: null }); return;
    case 'importCheckpoint': post({ type: 'run', run: await session.importCheckpoint(m.file, m.examples) }); return;
    case 'export': {
      // Copies: the stored bytes stay where they are.
      const files = (await session.export(m.what, m.data)).map((f) => ({ name: f.name, bytes: f.bytes.slice() }));
      post({ type: 'files', files }, buffers(files));
      return;
    }
  }
}

scope.onmessage = (e) => {
  handle(e.data).catch((err: unknown) => {
    const error = err instanceof Error ? err : new Error(String(err));
    post({ type: 'error', request: e.data.type, name: error.name, message: error.message.split('\n')[0] });
  });
};

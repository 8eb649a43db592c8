// What the app keeps between visits, in IndexedDB (the page and its worker both open it):
// one object store of records by key. A write of several records is one transaction, so it
// happens whole or not at all: a full disk (QuotaExceededError) or a crash mid-write
// leaves every record as it was, and the checkpoint after the last epoch stays.
//   'examples'   the person's examples (see ./examples.ts)
//   'settings'   the run controls as last set
//   'model'      an imported model (model.json and its weight files); absent: the built-in one
//   'run'        the last run: its state, config and progress (StoredRun)
//   'run-data'   the CSV bytes it trains on (a person's examples; absent for the built-in task)
//   'checkpoint' its checkpoint after the last finished epoch, in the CLI's file format
import type { RunConfig } from '../../personalize/run';
import type { RunMemory } from '../../personalize/memory';
import type { Summary } from '../../personalize/summary';
import type { NamedBytes, RunChoice, RunState } from './protocol';

export const DB_NAME = 'fsam-edge-app';
const STORE = 'records';
const VERSION = 1;

export interface StoredRun {
  state: RunState;
  choice: RunChoice;
  config: RunConfig;
  /** The CSV's name for a person's examples, as the checkpoint's config names it. */
  dataName: string | null;
  command: string;
  epochsDone: number;
  /** The run's memory plan, made before it trained (summary.json records it). */
  memory: RunMemory | null;
  summary: Summary | null;
  weightsSha256: string | null;
  message: string | null;
}

/** An imported model: the files a person chose (model.json and its weight files). */
export interface StoredModel { name: string; files: NamedBytes[] }

export type RecordKey = 'examples' | 'settings' | 'model' | 'run' | 'run-data' | 'checkpoint';

/** Storage that is full, or not allowed here: the message says which and what was kept. */
export class StorageError extends Error {
  constructor(message: string) { super(message); this.name = 'StorageError'; }
}

function describe(err: unknown): string {
  const e = err as DOMException | null;
  if (e?.name === 'QuotaExceededError') return 'the browser\'s storage for this page is full';
  if (e?.name === 'SecurityError' || e?.name === 'InvalidStateError' || /denied/i.test(e?.message ?? '')) return 'the browser does not allow this page to store data';
  return `the browser's storage failed (${e?.name ?? 'error'}: ${e?.message ?? String(err)})`;
}

export interface Storage {
  get<T>(key: RecordKey): Promise<T | undefined>;
  /** Writes and deletes (value undefined) records in one transaction. */
  put(records: Partial<Record<RecordKey, unknown>>): Promise<void>;
  /** Every record, for tests and export. */
  all(): Promise<Record<string, unknown>>;
}

const request = <T>(r: IDBRequest<T>) => new Promise<T>((resolve, reject) => {
  r.onsuccess = () => resolve(r.result);
  r.onerror = () => reject(r.error);
});

/** Opens the app's database; a StorageError if the browser refuses. */
export async function openStorage(): Promise<Storage> {
  let db: IDBDatabase;
  try {
    const open = indexedDB.open(DB_NAME, VERSION);
    open.onupgradeneeded = () => { open.result.createObjectStore(STORE); };
    db = await request(open);
  } catch (err) {
    throw new StorageError(`${describe(err)}: examples and checkpoints last only until this page closes; export them to keep them`);
  }
  return {
    async get<T>(key: RecordKey) {
      const tx = db.transaction(STORE, 'readonly');
      return (await request(tx.objectStore(STORE).get(key))) as T | undefined;
    },
    put(records) {
      return new Promise<void>((resolve, reject) => {
        let tx: IDBTransaction;
        try {
          tx = db.transaction(STORE, 'readwrite');
          const store = tx.objectStore(STORE);
          for (const [key, value] of Object.entries(records)) {
            if (value === undefined) store.delete(key); else store.put(value, key);
          }
        } catch (err) {
          reject(new StorageError(`${describe(err)}; nothing stored before was changed`));
          return;
        }
        tx.oncomplete = () => resolve();
        tx.onabort = () => reject(new StorageError(`${describe(tx.error)}; nothing stored before was changed`));
      });
    },
    async all() {
      const tx = db.transaction(STORE, 'readonly');
      const store = tx.objectStore(STORE);
      const [keys, values] = await Promise.all([request(store.getAllKeys()), request(store.getAll())]);
      return Object.fromEntries(keys.map((k, i) => [String(k), values[i]]));
    },
  };
}

/** Storage that keeps records in memory only, where IndexedDB is refused. */
export function memoryStorage(): Storage {
  const records = new Map<string, unknown>();
  return {
    async get<T>(key: RecordKey) { return records.get(key) as T | undefined; },
    async put(r) { for (const [k, v] of Object.entries(r)) { if (v === undefined) records.delete(k); else records.set(k, v); } },
    async all() { return Object.fromEntries(records); },
  };
}

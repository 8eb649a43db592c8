// Atomic file replacement for the CLI, through node:fs: the order of the system calls
// (write, fsync the file, close, rename, fsync the folder) lives in
// src/io/atomic_write.ts, shared with the file:// model handler's asynchronous writes.
// `fs` is there for a test to replace with a recording twin.
import * as nodeFs from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { writeFileAtomicSync, type AtomicFs as AtomicCalls } from '../io/atomic_write';

/** The file-system calls an atomic write makes (node:fs by default). */
export interface AtomicFs extends AtomicCalls {
  mkdirSync(path: string, options: { recursive: true }): unknown;
}

const defaultFs: AtomicFs = {
  openSync: (p, f, m) => nodeFs.openSync(p, f, m),
  writeSync: (fd, b, o, l) => nodeFs.writeSync(fd, b, o, l),
  fsyncSync: (fd) => nodeFs.fsyncSync(fd),
  closeSync: (fd) => nodeFs.closeSync(fd),
  renameSync: (a, b) => nodeFs.renameSync(a, b),
  unlinkSync: (p) => nodeFs.unlinkSync(p),
  readdirSync: (p) => nodeFs.readdirSync(p),
  mkdirSync: (p) => makeDirectories(p),
};

/**
 * mkdir -p, returning the directories it created (outermost first). Not Node's
 * recursive mkdir, which loops forever, deaf to signals, where mkdir fails with ENOENT
 * under a parent that exists (mkdirSync('/proc/xyz', { recursive: true })).
 */
export function makeDirectories(dir: string): string[] {
  const missing: string[] = [];
  for (let d = resolve(dir); !nodeFs.existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  const created: string[] = [];
  for (const d of missing) {
    try {
      nodeFs.mkdirSync(d);
      created.push(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return created;
}

export function writeFileAtomic(path: string, bytes: Uint8Array, fs: AtomicFs = defaultFs): void {
  fs.mkdirSync(dirname(path), { recursive: true });
  writeFileAtomicSync(path, bytes, fs, { dirname, basename, join });
}

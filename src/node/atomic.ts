// Atomic file replacement: the bytes go to a temporary file in the same directory,
// are flushed to the disk, and the temporary file is renamed over the target; then the
// directory entry is flushed. A reader sees the old file or the new one, never a mix,
// whenever the writer dies (kill -9, power loss after the directory fsync).
//
// The order of the system calls is the guarantee, and kill -9 cannot show it (written
// data survives in the page cache), so the calls go through an `fs` that a test can
// replace with a recording twin: write, fsync the file, close, rename, fsync the directory.
import * as nodeFs from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';

const TMP = '.tmp-';

/** The file-system calls an atomic write makes (node:fs by default). */
export interface AtomicFs {
  openSync(path: string, flags: string, mode?: number): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  readdirSync(path: string): string[];
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
  const dir = dirname(path);
  fs.mkdirSync(dir, { recursive: true });
  removeStaleTemporaries(path, fs);
  const tmp = join(dir, `${basename(path)}${TMP}${process.pid}-${Date.now().toString(36)}`);
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    let written = 0;
    while (written < bytes.byteLength) written += fs.writeSync(fd, bytes, written, bytes.byteLength - written);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    try { fs.unlinkSync(tmp); } catch { /* already gone */ }
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, path);
  syncDirectory(dir, fs);
}

/** Temporaries left by a writer that died before its rename. */
export function removeStaleTemporaries(path: string, fs: AtomicFs = defaultFs): void {
  const prefix = `${basename(path)}${TMP}`;
  let names: string[];
  try { names = fs.readdirSync(dirname(path)); } catch { return; }
  for (const n of names) if (n.startsWith(prefix)) { try { fs.unlinkSync(join(dirname(path), n)); } catch { /* raced */ } }
}

function syncDirectory(dir: string, fs: AtomicFs): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename stands.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

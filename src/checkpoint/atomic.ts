// Atomic file replacement: the bytes go to a temporary file in the same directory,
// are flushed to the disk, and the temporary file is renamed over the target; then the
// directory entry is flushed. A reader sees the old file or the new one, never a mix,
// whenever the writer dies (kill -9, power loss after the directory fsync).
import { openSync, writeSync, fsyncSync, closeSync, renameSync, unlinkSync, readdirSync, mkdirSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

const TMP = '.tmp-';

export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  removeStaleTemporaries(path);
  const tmp = join(dir, `${basename(path)}${TMP}${process.pid}-${Date.now().toString(36)}`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    let written = 0;
    while (written < bytes.byteLength) written += writeSync(fd, bytes, written, bytes.byteLength - written);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  syncDirectory(dir);
}

/** Temporaries left by a writer that died before its rename. */
export function removeStaleTemporaries(path: string): void {
  const prefix = `${basename(path)}${TMP}`;
  let names: string[];
  try { names = readdirSync(dirname(path)); } catch { return; }
  for (const n of names) if (n.startsWith(prefix)) { try { unlinkSync(join(dirname(path), n)); } catch { /* raced */ } }
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename stands.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

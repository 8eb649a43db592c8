// Atomic file replacement, one order of system calls for every writer: the bytes go to a
// new temporary file beside the target, are flushed to the disk (fsync), the file is
// closed and renamed over the target, then the folder's entry is flushed. A reader sees
// the old file or the new one, never a mix, whenever the writer dies (kill -9; power loss
// after the folder's fsync). A failed write or fsync closes and removes the temporary
// file and leaves the target as it was; temporaries of a writer that died are removed by
// the next write of the same file.
//
// The order is written once, below, as a sequence of calls; a synchronous face (the CLI,
// through node:fs) and an asynchronous one (the file:// model handler, through
// node:fs/promises) run it. kill -9 cannot test the order (written data survives in the
// page cache), so both take the file system as an argument a test can replace with a
// recording twin. Nothing here imports a module: it runs wherever its caller's fs does.

const TMP = '.tmp-';

/** The synchronous calls an atomic write makes (node:fs has them). */
export interface AtomicFs {
  openSync(path: string, flags: string, mode?: number): number;
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  readdirSync(path: string): string[];
}

/** An open file of AsyncAtomicFs (node:fs/promises' FileHandle has these). */
export interface AsyncAtomicFile {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The asynchronous calls an atomic write makes (node:fs/promises has them). */
export interface AsyncAtomicFs {
  open(path: string, flags: string, mode?: number): Promise<AsyncAtomicFile>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
}

/** Path helpers for the target's folder and name (node:path's, or POSIX ones). */
export interface AtomicPaths {
  dirname(p: string): string;
  basename(p: string): string;
  join(...parts: string[]): string;
}

/** One system call of an atomic write; `H` is an open file (an fd, or a file handle). */
type Call<H> =
  | { call: 'readdir'; path: string }
  | { call: 'open'; path: string; flags: 'wx' | 'r'; mode?: number }
  | { call: 'write'; file: H; bytes: Uint8Array; offset: number; length: number }
  | { call: 'fsync'; file: H }
  | { call: 'close'; file: H }
  | { call: 'rename'; from: string; to: string }
  | { call: 'unlink'; path: string };

/**
 * The order: a generator of calls, each call's result sent back in (open → the file,
 * write → bytes written, readdir → names); a call that fails is thrown back in at its
 * yield, so the cleanup below runs in the same order under either face.
 */
function* atomicWrite<H>(target: string, bytes: Uint8Array, paths: AtomicPaths): Generator<Call<H>, void, any> {
  const dir = paths.dirname(target), prefix = `${paths.basename(target)}${TMP}`;
  yield* removeStaleTemporaries<H>(dir, prefix, paths);
  const tmp = paths.join(dir, `${prefix}${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`);
  const file: H = yield { call: 'open', path: tmp, flags: 'wx', mode: 0o644 };
  try {
    let written = 0;
    while (written < bytes.byteLength) written += yield { call: 'write', file, bytes, offset: written, length: bytes.byteLength - written };
    yield { call: 'fsync', file };
  } catch (err) {
    try { yield { call: 'close', file }; } catch { /* the write's error is the one to report */ }
    yield* removeQuietly<H>(tmp);
    throw err;
  }
  try {
    yield { call: 'close', file };
    yield { call: 'rename', from: tmp, to: target };
  } catch (err) {
    yield* removeQuietly<H>(tmp);
    throw err;
  }
  yield* syncFolder<H>(dir);
}

function* removeStaleTemporaries<H>(dir: string, prefix: string, paths: AtomicPaths): Generator<Call<H>, void, any> {
  let names: string[];
  try { names = yield { call: 'readdir', path: dir }; } catch { return; }
  for (const n of names) if (n.startsWith(prefix)) yield* removeQuietly<H>(paths.join(dir, n));
}

function* removeQuietly<H>(path: string): Generator<Call<H>, void, any> {
  try { yield { call: 'unlink', path }; } catch { /* already gone, or raced */ }
}

function* syncFolder<H>(dir: string): Generator<Call<H>, void, any> {
  let folder: H;
  try {
    folder = yield { call: 'open', path: dir, flags: 'r' };
  } catch {
    return; // Some platforms (Windows) cannot open or fsync a folder; the rename stands.
  }
  try { yield { call: 'fsync', file: folder }; } catch { /* as above */ }
  try { yield { call: 'close', file: folder }; } catch { /* a read-only handle; nothing was written through it */ }
}

/** Replaces `target` with `bytes` atomically, through synchronous calls. */
export function writeFileAtomicSync(target: string, bytes: Uint8Array, fs: AtomicFs, paths: AtomicPaths): void {
  const steps = atomicWrite<number>(target, bytes, paths);
  for (let next = steps.next(); !next.done;) {
    let result: unknown;
    try {
      const c = next.value;
      switch (c.call) {
        case 'readdir': result = fs.readdirSync(c.path); break;
        case 'open': result = fs.openSync(c.path, c.flags, c.mode); break;
        case 'write': result = fs.writeSync(c.file, c.bytes, c.offset, c.length); break;
        case 'fsync': fs.fsyncSync(c.file); break;
        case 'close': fs.closeSync(c.file); break;
        case 'rename': fs.renameSync(c.from, c.to); break;
        case 'unlink': fs.unlinkSync(c.path); break;
      }
    } catch (err) {
      next = steps.throw(err);
      continue;
    }
    next = steps.next(result);
  }
}

/** Replaces `target` with `bytes` atomically, through asynchronous calls. */
export async function writeFileAtomicAsync(target: string, bytes: Uint8Array, fs: AsyncAtomicFs, paths: AtomicPaths): Promise<void> {
  const steps = atomicWrite<AsyncAtomicFile>(target, bytes, paths);
  for (let next = steps.next(); !next.done;) {
    let result: unknown;
    try {
      const c = next.value;
      switch (c.call) {
        case 'readdir': result = await fs.readdir(c.path); break;
        case 'open': result = await fs.open(c.path, c.flags, c.mode); break;
        case 'write': result = (await c.file.write(c.bytes, c.offset, c.length)).bytesWritten; break;
        case 'fsync': await c.file.sync(); break;
        case 'close': await c.file.close(); break;
        case 'rename': await fs.rename(c.from, c.to); break;
        case 'unlink': await fs.unlink(c.path); break;
      }
    } catch (err) {
      next = steps.throw(err);
      continue;
    }
    next = steps.next(result);
  }
}

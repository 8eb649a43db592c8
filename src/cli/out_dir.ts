// The output directory of a run, claimed before anything is trained: created if need be,
// proven writable by writing a lock file into it, and held by that lock until the command
// ends, so two runs never write the same --out. A second run is refused, naming the
// process that holds it; a lock left by a process that is gone (kill -9, a reboot) is
// taken over. Any failure is a UsageError with one line, and nothing is left behind.
//
// A takeover must not remove a lock that another process has just taken over: two
// processes that both find the same stale lock would both unlink "it" and both acquire.
// So the right to remove one stale lock file is itself claimed, with O_EXCL, by a marker
// named after that file's identity (device, inode, modification time in ns): only one
// process gets it. That process moves the lock aside by an atomic rename and checks that
// what it moved is the stale file it claimed (if it is not, it puts it back); then it
// creates its own lock with O_EXCL like any first claim. The others are refused.
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { makeDirectories } from '../node/atomic';
import { UsageError } from './args';

export const LOCK_NAME = '.fsam-edge.lock';

interface LockOwner { pid: number; host: string; boot: string | null; command: string; started: string }

export interface OutDirClaim {
  dir: string;
  /** Removes the lock, and the directories the claim created if they are still empty. */
  release(): void;
}

/** Locks this process holds, so that a second claim from the same process is refused too. */
const held = new Set<string>();

function bootId(): string | null {
  try { return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(); } catch { return null; }
}

function alive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true; // another machine's process: cannot tell, so respect it
  if (owner.boot !== null && owner.boot !== bootId()) return false; // written before the last reboot
  if (owner.pid === process.pid) return false; // this process holds no such lock (checked before)
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, another user's
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8'));
    return o && Number.isInteger(o.pid) && typeof o.host === 'string' ? o : null;
  } catch {
    return null; // unreadable or half-written: treated as stale
  }
}

function why(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'EROFS' ? 'read-only file system'
    : code === 'ENOTDIR' ? 'a part of the path is a file, not a directory'
    : code === 'ENOENT' ? 'the file system has no place for it (ENOENT)'
    : code === 'ENOSPC' ? 'no space left on the device'
    : code ?? (err as Error).message;
}

export function claimOutDir(dir: string, command: string): OutDirClaim {
  let existing;
  try {
    existing = statSync(dir, { throwIfNoEntry: false });
  } catch (err) {
    throw new UsageError(`--out ${dir} cannot be created: ${why(err)}`);
  }
  if (existing && !existing.isDirectory()) throw new UsageError(`--out ${dir} exists and is not a directory`);
  let created: string[];
  try {
    created = makeDirectories(dir);
  } catch (err) {
    throw new UsageError(`--out ${dir} cannot be created: ${why(err)}`);
  }
  const lock = join(dir, LOCK_NAME);
  const markers: string[] = []; // of the stale locks this claim took over
  const removeCreated = () => {
    for (const m of markers.splice(0)) { try { unlinkSync(m); } catch { /* gone */ } }
    for (const d of [...created].reverse()) { try { rmdirSync(d); } catch { break; } }
  };
  const owner: LockOwner = { pid: process.pid, host: hostname(), boot: bootId(), command, started: new Date().toISOString() };
  const inUse = (other: LockOwner) => {
    removeCreated();
    return new UsageError(`--out ${dir} is in use by process ${other.pid}${other.host !== owner.host ? ` on ${other.host}` : ''} ` +
      `(fsam-edge ${other.command}, started ${other.started}); wait for it to end or choose another --out`);
  };
  if (held.has(lock)) throw inUse(readOwner(lock) ?? owner);
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        const seen = statSync(lock, { throwIfNoEntry: false, bigint: true });
        const other = readOwner(lock);
        if (other && alive(other)) throw inUse(other);
        if (!other && Date.now() - Number(seen?.mtimeMs ?? 0) < 10_000) {
          // Empty or partial: another process is writing it this moment.
          removeCreated();
          throw new UsageError(`--out ${dir} is being claimed by another process (its lock file ${lock} is new); choose another --out`);
        }
        if (attempt < 3) {
          const taken = seen ? takeOverStale(lock, seen, markers) : 'gone';
          if (taken === 'claimed by another') {
            removeCreated();
            throw new UsageError(`--out ${dir} is being claimed by another process (it is taking over the stale lock ${lock}); choose another --out`);
          }
          continue; // removed, or already gone: claim it like a first run
        }
      }
      removeCreated();
      throw new UsageError(`--out ${dir} is not writable: ${why(err)}`);
    }
    try {
      const bytes = new TextEncoder().encode(JSON.stringify(owner) + '\n');
      writeSync(fd, bytes, 0, bytes.byteLength);
      fsyncSync(fd);
    } catch (err) {
      closeSync(fd);
      try { unlinkSync(lock); } catch { /* gone */ }
      removeCreated();
      throw new UsageError(`--out ${dir} is not writable: ${why(err)}`);
    }
    closeSync(fd);
    held.add(lock);
    let released = false;
    return {
      dir,
      release() {
        if (released) return;
        released = true;
        held.delete(lock);
        try { unlinkSync(lock); } catch { /* already gone */ }
        removeCreated();
      },
    };
  }
}

type FileId = { dev: bigint; ino: bigint; mtimeNs: bigint };
const sameFile = (a: FileId, b: FileId) => a.dev === b.dev && a.ino === b.ino && a.mtimeNs === b.mtimeNs;

/** Markers of takeovers abandoned by a process that died during one are ignored after this. */
const ABANDONED_MS = 10_000;

/**
 * Removes the stale lock file `seen` (the file at `lock` when it was found stale), unless
 * another process is removing it ('claimed by another'). Never removes another file.
 */
function takeOverStale(lock: string, seen: FileId, markers: string[]): 'removed' | 'gone' | 'claimed by another' {
  const marker = `${lock}.takeover-${seen.dev}-${seen.ino}-${seen.mtimeNs}`;
  let fd: number;
  try {
    fd = openSync(marker, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const at = statSync(marker, { throwIfNoEntry: false });
    if (!at) return 'gone'; // that takeover just finished: look again
    if (Date.now() - at.mtimeMs < ABANDONED_MS) return 'claimed by another';
    // Its taker died; the next one renames the marker away (only one rename succeeds).
    try { renameSync(marker, `${marker}.abandoned-${process.pid}`); unlinkSync(`${marker}.abandoned-${process.pid}`); } catch { /* raced */ }
    return 'gone';
  }
  closeSync(fd);
  // The marker stays until the claim ends (release() removes it), so that a process that
  // found the same stale file a moment later cannot claim its removal again.
  markers.push(marker);
  const moved = `${marker}.moved`;
  try {
    renameSync(lock, moved);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  if (sameFile(statSync(moved, { bigint: true }), seen)) {
    unlinkSync(moved);
    return 'removed';
  }
  // Not the stale file (only after a takeover was abandoned): put it back, unless a newer
  // lock stands there already (link fails rather than replace it).
  try { linkSync(moved, lock); } catch { /* a newer lock is there */ }
  unlinkSync(moved);
  return 'claimed by another';
}

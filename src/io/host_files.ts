// The file system of the runtime, where there is one: Node's and Deno's (Deno runs
// node:fs too), reached through `node:` built-ins imported at run time. The specifiers
// are computed so that bundlers leave them alone and the same build still runs in a
// browser, where this returns undefined and nothing is imported.
// Writes are atomic (./atomic_write.ts: a temporary file in the target's folder, written,
// fsynced, closed, renamed over the target, then the folder fsynced; a reader sees the old
// bytes or the new). hostFilesOver() builds the same over a given fs, for a test's
// recording twin or an app's own file system.
import { writeFileAtomicAsync, type AsyncAtomicFs } from './atomic_write';

export interface HostFiles {
  /** Canonical absolute path (symlinks resolved), or undefined when nothing is there. */
  realPath(path: string): Promise<string | undefined>;
  /** What is at `path` (symlinks followed), or undefined. */
  stat(path: string): Promise<{ kind: 'file' | 'directory' | 'other'; size: number } | undefined>;
  readFile(path: string): Promise<Uint8Array>;
  writeFileAtomic(path: string, bytes: Uint8Array): Promise<void>;
  makeDirectory(path: string): Promise<void>;
  /** The names in a folder. */
  listFolder(path: string): Promise<string[]>;
  /** Removes a file. */
  removeFile(path: string): Promise<void>;
  path: {
    resolve(...parts: string[]): string; join(...parts: string[]): string; dirname(p: string): string;
    basename(p: string): string; relative(from: string, to: string): string; isAbsolute(p: string): boolean; sep: string;
  };
}

/** The calls of node:fs/promises that HostFiles makes (node:fs/promises itself, or a twin). */
export interface HostFs extends AsyncAtomicFs {
  realpath(path: string): Promise<string>;
  stat(path: string): Promise<{ isFile(): boolean; isDirectory(): boolean; size: number }>;
  readFile(path: string): Promise<Uint8Array>;
  mkdir(path: string): Promise<unknown>;
}
type NodePath = typeof import('node:path');

let host: Promise<HostFiles | undefined> | undefined;

/** The runtime's file system (Node, Deno), or undefined (browsers, workers). */
export function hostFiles(): Promise<HostFiles | undefined> {
  host ??= open();
  return host;
}

function isNodeOrDeno(): boolean {
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: unknown } } };
  return g.Deno !== undefined || typeof g.process?.versions?.node === 'string';
}

async function open(): Promise<HostFiles | undefined> {
  if (!isNodeOrDeno()) return undefined;
  const builtin = (name: string) => `node:${name}`;
  const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ builtin('fs/promises')) as HostFs;
  const path = await import(/* webpackIgnore: true */ /* @vite-ignore */ builtin('path')) as NodePath;
  return hostFilesOver(fs, path);
}

/** HostFiles over the given node:fs/promises-shaped calls and node:path. */
export function hostFilesOver(fs: HostFs, path: HostFiles['path']): HostFiles {
  const missing = (err: unknown) => (err as { code?: string }).code === 'ENOENT' || (err as { code?: string }).code === 'ENOTDIR';
  const exists = async (p: string) => { try { await fs.stat(p); return true; } catch (err) { if (missing(err)) return false; throw err; } };
  return {
    async realPath(p) {
      try { return await fs.realpath(p); } catch (err) { if (missing(err)) return undefined; throw err; }
    },
    async stat(p) {
      try {
        const s = await fs.stat(p);
        return { kind: s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other', size: s.size };
      } catch (err) {
        if (missing(err)) return undefined;
        throw err;
      }
    },
    async readFile(p) {
      return new Uint8Array(await fs.readFile(p));
    },
    async makeDirectory(p) {
      // mkdir -p one level at a time: Node's recursive mkdir never settles where mkdir
      // fails with ENOENT under a parent that exists (/proc/xyz/model).
      const missing: string[] = [];
      for (let d = path.resolve(p); !(await exists(d)); d = path.dirname(d)) {
        missing.unshift(d);
        if (path.dirname(d) === d) break;
      }
      for (const d of missing) {
        try { await fs.mkdir(d); } catch (err) { if ((err as { code?: string }).code !== 'EEXIST') throw err; }
      }
    },
    async listFolder(p) {
      return fs.readdir(p);
    },
    async removeFile(p) {
      await fs.unlink(p);
    },
    async writeFileAtomic(target, bytes) {
      await writeFileAtomicAsync(target, bytes, fs, path);
    },
    path,
  };
}

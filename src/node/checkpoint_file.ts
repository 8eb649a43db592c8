// A training checkpoint as a file, in Node: the bytes of ../checkpoint/checkpoint.ts,
// written atomically (./atomic.ts) and read back, with node:crypto's SHA-256 (the same
// digest as the platform-neutral one, about ten times faster).
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { encodeTrainingCheckpoint, decodeTrainingCheckpoint, type CheckpointContent, type LoadedCheckpoint } from '../checkpoint/checkpoint';
import { CheckpointError, type DigestFunction } from '../checkpoint/format';
import { writeFileAtomic } from './atomic';

export const nodeSha256: DigestFunction = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

/** Writes the checkpoint to `path` atomically; returns its size in bytes. */
export async function saveCheckpoint<C, P>(path: string, content: CheckpointContent<C, P>): Promise<number> {
  const bytes = await encodeTrainingCheckpoint(content, nodeSha256);
  writeFileAtomic(path, bytes);
  return bytes.byteLength;
}

/** Reads and verifies a checkpoint file; any defect is a CheckpointError with one clear line. */
export async function loadCheckpoint<C, P>(path: string): Promise<LoadedCheckpoint<C, P>> {
  let bytes: Uint8Array;
  try {
    if (statSync(path).isDirectory()) throw new CheckpointError(`${path} is a directory, not a checkpoint file`);
    bytes = readFileSync(path);
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(`cannot read checkpoint ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return decodeTrainingCheckpoint<C, P>(bytes, path, nodeSha256);
}

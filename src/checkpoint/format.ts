// The checkpoint file format, version 1. One file, so one rename publishes it whole:
//
//   bytes  0–7    magic "FSAMCKPT"
//          8–11   format version, u32 little-endian
//         12–15   header length H in bytes, u32 LE
//         16–23   body length B in bytes (header + blobs), u64 LE
//         24–55   SHA-256 of the body
//         56–     body: H bytes of UTF-8 JSON header, then the binary blobs it names
//
// The header says where each blob sits inside the blob area ({ offset, length }).
// Reading checks, in order: magic (foreign file), version, lengths (truncated), digest
// (corrupt), JSON, blob bounds. Any failure is a CheckpointError naming the file.
//
// Platform-neutral: the digest is ./sha256.ts unless a faster one is handed in (the
// Node adapter hands in node:crypto's, ../node/checkpoint_file.ts); both are SHA-256,
// so the bytes are the same whichever wrote them.
import { sha256 as jsSha256, toHex } from './sha256';

export const MAGIC = 'FSAMCKPT';
export const FORMAT_VERSION = 1;
const PREFIX = 56;

export interface BlobRef { offset: number; length: number }

export class CheckpointError extends Error {
  constructor(message: string) { super(message); this.name = 'CheckpointError'; }
}

/** SHA-256 of the parts one after another, as 32 bytes. */
export type DigestFunction = (...parts: Uint8Array[]) => Uint8Array;

/** Lays out `header` (which must refer to the blobs by their keys) and the blobs. */
export function encodeCheckpoint(header: Record<string, unknown>, blobs: Record<string, Uint8Array>, sha256: DigestFunction = jsSha256): Uint8Array {
  const refs: Record<string, BlobRef> = {};
  let offset = 0;
  for (const [key, blob] of Object.entries(blobs)) {
    refs[key] = { offset, length: blob.byteLength };
    offset += blob.byteLength;
  }
  const headerBytes = new TextEncoder().encode(JSON.stringify({ ...header, blobs: refs }));
  const bodyLength = headerBytes.byteLength + offset;
  const out = new Uint8Array(PREFIX + bodyLength);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, FORMAT_VERSION, true);
  view.setUint32(12, headerBytes.byteLength, true);
  view.setBigUint64(16, BigInt(bodyLength), true);
  out.set(headerBytes, PREFIX);
  let at = PREFIX + headerBytes.byteLength;
  for (const blob of Object.values(blobs)) { out.set(blob, at); at += blob.byteLength; }
  out.set(sha256(out.subarray(PREFIX)), 24);
  return out;
}

export interface DecodedCheckpoint {
  header: Record<string, unknown>;
  blob(key: string): Uint8Array;
}

/** Verifies and parses a checkpoint; `name` is used in error messages. */
export function decodeCheckpoint(bytes: Uint8Array, name: string, sha256: DigestFunction = jsSha256): DecodedCheckpoint {
  const fail = (why: string): never => { throw new CheckpointError(`${name}: ${why}`); };
  if (bytes.byteLength < PREFIX) {
    if (bytes.byteLength >= 8 && new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) fail('not an fsam-edge checkpoint (wrong magic bytes)');
    fail(`truncated checkpoint (${bytes.byteLength} bytes, shorter than its ${PREFIX}-byte prefix)`);
  }
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) fail('not an fsam-edge checkpoint (wrong magic bytes)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== FORMAT_VERSION) fail(`checkpoint format version ${version} is not supported (this fsam-edge reads version ${FORMAT_VERSION})`);
  const headerLength = view.getUint32(12, true);
  const bodyLength = Number(view.getBigUint64(16, true));
  if (bytes.byteLength < PREFIX + bodyLength) fail(`truncated checkpoint (${bytes.byteLength} bytes, expected ${PREFIX + bodyLength})`);
  if (bytes.byteLength > PREFIX + bodyLength) fail(`checkpoint has ${bytes.byteLength - PREFIX - bodyLength} unexpected trailing bytes`);
  if (headerLength > bodyLength) fail('corrupt checkpoint (header longer than body)');
  const body = bytes.subarray(PREFIX);
  if (toHex(sha256(body)) !== toHex(bytes.subarray(24, PREFIX))) fail('corrupt checkpoint (SHA-256 mismatch)');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(body.subarray(0, headerLength)));
  } catch {
    return fail('corrupt checkpoint (header is not JSON)');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('corrupt checkpoint (header is not a JSON object)');
  const blobs = (typeof header.blobs === 'object' && header.blobs !== null ? header.blobs : {}) as Record<string, BlobRef>;
  const area = body.subarray(headerLength);
  return {
    header,
    blob(key: string) {
      const ref = Object.hasOwn(blobs, key) ? blobs[key] : undefined;
      if (!ref || !Number.isSafeInteger(ref.offset) || !Number.isSafeInteger(ref.length) ||
        !(ref.offset >= 0 && ref.length >= 0 && ref.offset + ref.length <= area.byteLength)) fail(`corrupt checkpoint (blob '${key}' missing or out of bounds)`);
      return area.subarray(ref!.offset, ref!.offset + ref!.length);
    },
  };
}

// The checkpoint format's SHA-256 in TypeScript (src/checkpoint/sha256.ts), which the
// browser app uses, against node:crypto's: every length around the 64-byte block and its
// padding boundary, chunked updates, and a checkpoint encoded with each digest is the same bytes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';

const { checkpoint } = await import('../dist/cli.js');
const { Sha256, sha256Hex, toHex, encodeCheckpoint, decodeCheckpoint, nodeSha256 } = checkpoint;

const node = (b) => createHash('sha256').update(b).digest('hex');
const bytes = (n, seed) => Uint8Array.from({ length: n }, (_, i) => (Math.imul(i + seed, 2654435761) >>> 24) & 255);

const s = suite('sha256');

s('equals node:crypto for every length 0..300 and for the empty input', () => {
  assert.is(sha256Hex(new Uint8Array(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.is(sha256Hex(new TextEncoder().encode('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  for (let n = 0; n <= 300; n++) {
    const b = bytes(n, n);
    assert.is(sha256Hex(b), node(b), `length ${n}`);
  }
});

s('chunked updates of any size give the digest of the whole', () => {
  const b = bytes(100_003, 7);
  for (const chunk of [1, 3, 63, 64, 65, 977, 4096, 100_003]) {
    const h = new Sha256();
    for (let i = 0; i < b.length; i += chunk) h.update(b.subarray(i, i + chunk));
    assert.is(toHex(h.digest()), node(b), `chunks of ${chunk}`);
  }
  const parts = [bytes(10, 1), bytes(70, 2), bytes(0, 3), bytes(129, 4)];
  assert.is(sha256Hex(...parts), node(Buffer.concat(parts)));
});

s('a finished hash refuses more input', () => {
  const h = new Sha256();
  h.digest();
  assert.throws(() => h.update(new Uint8Array(1)), /after digest/);
  assert.throws(() => h.digest(), /twice/);
});

s('a checkpoint encoded with either digest is the same bytes, and each decodes the other', () => {
  const blobs = { a: bytes(5000, 9), b: bytes(33, 1) };
  const js = encodeCheckpoint({ kind: 't', n: 1 }, blobs);
  const nd = encodeCheckpoint({ kind: 't', n: 1 }, blobs, nodeSha256);
  assert.equal(js, nd);
  assert.is(toHex(js.subarray(24, 56)), node(js.subarray(56)));
  assert.is(decodeCheckpoint(nd, 'x').header.n, 1);
  assert.is(decodeCheckpoint(js, 'x', nodeSha256).header.n, 1);
});

s.run();

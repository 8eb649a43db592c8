// Seeded mutations of the three untrusted formats: bytes of a CSV, the JSON of a
// model.json or a checkpoint header, and binary weights. The same seed and case number
// always give the same input, so a failing case is reproduced by its numbers alone.

/** A seeded generator of uniform floats in [0, 1) (xorshift128+ folded to 32 bits). */
export function rng(seed, stream) {
  let a = (seed * 0x9e3779b1 + stream * 0x85ebca6b + 1) >>> 0 || 1, b = (stream * 0xc2b2ae35 + 0x27d4eb2f) >>> 0 || 2;
  const next = () => {
    let t = a; const s = b;
    a = s; t ^= t << 11; t ^= t >>> 8; b = (t ^ s ^ (s >>> 19)) >>> 0;
    return b / 2 ** 32;
  };
  for (let i = 0; i < 8; i++) next();
  const r = next;
  r.int = (n) => Math.floor(next() * n);
  r.pick = (xs) => xs[Math.floor(next() * xs.length)];
  return r;
}

const enc = (s) => new TextEncoder().encode(s);
const TOKENS = ['NaN', 'Infinity', '-inf', '1e999', '1e-999', '-0', '', ',', ',,', '\n', '\r\n', '\r', '\ufeff', 'label', '3', '-1', '2.5',
  '0x10', '1_000', ' ', '\u00a0', '\t', '"1"', '9'.repeat(400), '.', 'e5', '+', '1e38', '3.5e38', '\0', '\u2028'];
const BYTES = [0x2c, 0x0a, 0x0d, 0x2d, 0x2e, 0x65, 0x2b, 0x20, 0x09, 0x30, 0x39, 0x61, 0x22, 0x00, 0xff, 0xef, 0xbb, 0xbf, 0xc3];

function splice(bytes, at, remove, insert) {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

/** One to four byte-level edits of a text file (a CSV). */
export function mutateText(bytes, r) {
  let b = bytes;
  const edits = 1 + r.int(4);
  for (let e = 0; e < edits; e++) {
    const at = r.int(b.length + 1), len = Math.min(b.length - at, 1 + r.int(64));
    switch (r.int(9)) {
      case 0: if (at < b.length) { b = Uint8Array.from(b); b[at] ^= 1 << r.int(8); } break;
      case 1: if (at < b.length) { b = Uint8Array.from(b); b[at] = r.pick(BYTES); } break;
      case 2: b = splice(b, at, 0, enc(r.pick(TOKENS))); break;
      case 3: b = splice(b, at, len, new Uint8Array(0)); break;
      case 4: b = splice(b, at, 0, b.slice(at, at + len)); break;
      case 5: b = b.slice(0, at); break;
      case 6: { // a cell replaced by a token
        const text = new TextDecoder().decode(b);
        const cells = text.split(',');
        cells[r.int(cells.length)] = r.pick(TOKENS);
        b = enc(cells.join(','));
        break;
      }
      case 7: { // a line repeated many times, or lines swapped
        const lines = new TextDecoder().decode(b).split('\n');
        const i = r.int(lines.length), j = r.int(lines.length);
        if (r() < 0.5) [lines[i], lines[j]] = [lines[j], lines[i]];
        else lines.splice(i, 0, ...Array(1 + r.int(200)).fill(lines[j]));
        b = enc(lines.join('\n'));
        break;
      }
      default: { // a label out of range or not an integer
        const lines = new TextDecoder().decode(b).split('\n');
        const i = 1 + r.int(Math.max(1, lines.length - 1));
        if (lines[i]) lines[i] = lines[i].replace(/[^,]*$/, r.pick(['3', '-1', '2.5', '1e9', '', 'x', '0 ', ' 2']));
        b = enc(lines.join('\n'));
      }
    }
  }
  return b;
}

/** One to four edits of binary data (weights): bits flipped, bytes dropped or added, a NaN written. */
export function mutateBinary(bytes, r) {
  let b = Uint8Array.from(bytes);
  const edits = 1 + r.int(4);
  for (let e = 0; e < edits; e++) {
    const at = r.int(b.length + 1);
    switch (r.int(5)) {
      case 0: if (at < b.length) b[at] ^= 1 << r.int(8); break;
      case 1: b = b.slice(0, at); break;
      case 2: b = splice(b, at, 0, Uint8Array.from({ length: 1 + r.int(16) }, () => r.int(256))); break;
      case 3: if (b.length >= 4) new DataView(b.buffer).setFloat32(4 * r.int(b.length >> 2), r.pick([NaN, Infinity, -Infinity, 3.4e38, 1e-45]), true); break;
      default: b = splice(b, at, Math.min(b.length - at, 1 + r.int(8)), new Uint8Array(0));
    }
  }
  return b;
}

const VALUES = [null, -1, 0, 1, 2, 7, 2 ** 31, 2 ** 53, -(2 ** 31), 1e308, -1e-308, 0.5, '', 'x', '/dev/zero', '../../secret.bin', 'weights.bin',
  '/etc/passwd', 'float16', 'int32', 'bool', 'string', 'complex64', 'uint8', [], {}, [null], [7], [[]], [-1, 2], [2 ** 31, 2 ** 31], true, false,
  { dtype: 'uint8', scale: 1, min: 0 }, { dtype: 'float16' }, 'Dense', 'Conv2D', 'relu', 'softmax', 'channels_first'];

/** Every [parent, key] of a JSON value, in document order. */
function slots(doc) {
  const out = [];
  const walk = (v) => {
    if (v === null || typeof v !== 'object') return;
    for (const k of Object.keys(v)) { out.push([v, k]); walk(v[k]); }
  };
  walk(doc);
  return out;
}

/** One to three structural edits of a parsed JSON document (mutated in place; returned). */
export function mutateJson(doc, r) {
  const edits = 1 + r.int(3);
  let root = doc;
  for (let e = 0; e < edits; e++) {
    const all = slots(root);
    if (all.length === 0 || r() < 0.02) { root = r.pick(VALUES); continue; }
    const [parent, key] = r.pick(all);
    const v = parent[key];
    switch (r.int(6)) {
      case 0: parent[key] = structuredClone(r.pick(VALUES)); break;
      case 1: if (Array.isArray(parent)) parent.splice(Number(key), 1); else delete parent[key]; break;
      case 2: if (typeof v === 'number') parent[key] = r.pick([v + 1, v - 1, -v, v * 10, v * 1000, 0, v + 0.5]); else parent[key] = structuredClone(r.pick(VALUES)); break;
      case 3: if (Array.isArray(parent)) parent.splice(Number(key), 0, structuredClone(v)); else parent[`${key}_`] = structuredClone(v); break;
      case 4: if (typeof v === 'string') parent[key] = r.pick([`${v}x`, v.toUpperCase(), v.slice(0, -1), `../${v}`, `${v}/../../x`]); else parent[key] = structuredClone(r.pick(VALUES)); break;
      default: { const [p2, k2] = r.pick(all); parent[key] = structuredClone(p2[k2]); }
    }
  }
  return root;
}

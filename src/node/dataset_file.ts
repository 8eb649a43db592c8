// User datasets read from files, in Node: the grammar of ../data/dataset_text.ts (JSON,
// or CSV of features then a label), every defect a DataError of one line.
//
// Memory: a CSV is streamed twice in 1 MiB chunks (count the lines, then parse them into
// arrays of exactly that size), so loading it takes the float32 features and the int32
// labels plus a few MiB, whatever the file's size. JSON is parsed whole (several times its
// size in memory), so a JSON file above JSON_MAX_BYTES is refused: use CSV for large data.
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { type LabelledSet, sizeOf } from '../data/digits';
import { DataError, csvRows, parseJsonDataset, type DataExpectation } from '../data/dataset_text';

export { DataError, type DataExpectation } from '../data/dataset_text';

export const JSON_MAX_BYTES = 256 * 2 ** 20;
const CHUNK = 2 ** 20;

function fileSize(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(`cannot read data file ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'ENOTDIR' ? 'no such file (a part of the path is a file)' : code ?? (err as Error).message}`);
  }
  if (st.isDirectory()) throw new DataError(`cannot read data file ${path}: is a directory`);
  if (!st.isFile()) throw new DataError(`cannot read data file ${path}: not a regular file`);
  return st.size;
}

/** Reads a dataset; `sha256` is the digest of exactly the bytes that were parsed. */
export function readDataset(path: string, expect: DataExpectation): { set: LabelledSet; sha256: string } {
  const size = fileSize(path);
  const ext = extname(path).toLowerCase();
  const format = ext === '.json' ? 'json' : ext === '.csv' ? 'csv' : sniff(path) === 'json' ? 'json' : 'csv';
  if (format === 'csv') return readCsvDataset(path, expect);
  if (size > JSON_MAX_BYTES) throw new DataError(`${path}: ${size} bytes is too large for a JSON dataset (at most ${JSON_MAX_BYTES}); give the data as CSV`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DataError(`cannot read data file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { set: parseJsonDataset(new TextDecoder().decode(bytes), path, expect), sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** 'json' when the first byte that is not whitespace (or a BOM) opens an array or object. */
function sniff(path: string): 'json' | 'csv' {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    const text = new TextDecoder().decode(head.subarray(0, n));
    return /^\s*[[{]/.test(text) ? 'json' : 'csv';
  } finally {
    closeSync(fd);
  }
}

/**
 * Calls `onLine` with each line's bytes (without its newline; a final \r is kept), reading
 * the file in chunks. Returns the number of bytes read. Lines longer than `maxLine` fail.
 */
function forEachLine(fd: number, path: string, maxLine: number, onLine: (line: Uint8Array, index: number) => void, onChunk?: (bytes: Uint8Array) => void): number {
  const chunk = new Uint8Array(CHUNK);
  let carry: Uint8Array = new Uint8Array(0);
  let index = 0, total = 0;
  for (;;) {
    const n = readSync(fd, chunk, 0, CHUNK, total);
    if (n === 0) break;
    total += n;
    const bytes = chunk.subarray(0, n);
    onChunk?.(bytes);
    let start = 0;
    for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, start)) {
      const piece = bytes.subarray(start, nl);
      const line = carry.length ? concat(carry, piece) : piece;
      carry = new Uint8Array(0);
      if (line.length > maxLine) throw new DataError(`${path}:${index + 1}: the line is longer than ${maxLine} bytes`);
      onLine(line, index++);
      start = nl + 1;
    }
    if (start < n) {
      carry = concat(carry, bytes.subarray(start));
      if (carry.length > maxLine) throw new DataError(`${path}:${index + 1}: the line is longer than ${maxLine} bytes`);
    }
  }
  if (carry.length) onLine(carry, index);
  return total;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A line holds something besides ASCII whitespace. */
function hasContent(line: Uint8Array): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c !== 32 && (c < 9 || c > 13)) return true;
  }
  return false;
}

export function readCsvDataset(path: string, expect: DataExpectation): { set: LabelledSet; sha256: string } {
  const d = sizeOf(expect.shape);
  const maxLine = 2 ** 20 + 64 * (d + 1);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new DataError(`cannot read data file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    // Pass 1: how many lines hold anything, an upper bound of the examples (a header,
    // a line of Unicode spaces are counted too).
    let capacity = 0;
    const size1 = forEachLine(fd, path, maxLine, (line) => { if (hasContent(line)) capacity++; });
    const features = new Float32Array(capacity * d);
    const labels = new Int32Array(capacity);
    // Pass 2: parse, and hash exactly the bytes parsed.
    const hash = createHash('sha256');
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    const parser = csvRows(path, expect, features, labels);
    let first = true;
    const size2 = forEachLine(fd, path, maxLine, (bytes, index) => {
      if (first && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3); // a BOM
      first = false;
      parser.line(decoder.decode(bytes), index);
    }, (chunk) => hash.update(chunk));
    if (size2 !== size1 || size2 !== fstatSync(fd).size) throw new DataError(`${path} changed while it was read`);
    const n = parser.rows();
    if (n === 0) throw new DataError(`${path}: no examples`);
    // Views, not copies: at most the header's row is unused.
    const set = { features: n === capacity ? features : features.subarray(0, n * d), labels: n === capacity ? labels : labels.subarray(0, n), shape: expect.shape, numClasses: expect.numClasses };
    return { set, sha256: hash.digest('hex') };
  } finally {
    closeSync(fd);
  }
}


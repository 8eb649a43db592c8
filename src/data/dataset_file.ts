// User datasets, read strictly: JSON or CSV of features plus an integer label. Every
// defect is a DataError whose message is one line naming the file and the place.
//
// JSON: { "features": [[...], ...], "labels": [...] }  or  [{ "features": [...], "label": 3 }, ...]
//       (a feature list may be nested, e.g. 28 rows of 28; it is read row-major)
// CSV:  one example per line, the features then the label in the last column; an
//       optional header line whose last cell is "label". Comma separated.
//
// Memory: a CSV is streamed twice in 1 MiB chunks (count the lines, then parse them into
// arrays of exactly that size), so loading it takes the float32 features and the int32
// labels plus a few MiB, whatever the file's size. JSON is parsed whole (several times its
// size in memory), so a JSON file above JSON_MAX_BYTES is refused: use CSV for large data.
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname } from 'node:path';
import { type LabelledSet, sizeOf } from './digits';

export class DataError extends Error {
  constructor(message: string) { super(message); this.name = 'DataError'; }
}

export interface DataExpectation {
  /** Shape of one example, as the model's input wants it. */
  shape: readonly number[];
  numClasses: number;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

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

/** The CSV grammar, one line at a time, into preallocated arrays. */
function csvRows(path: string, expect: DataExpectation, features: Float32Array, labels: Int32Array) {
  const d = sizeOf(expect.shape);
  let n = 0, first = true;
  return {
    rows: () => n,
    line(text: string, li: number) {
      if (text.trim() === '') return;
      const cells = text.split(',').map((c) => c.trim());
      const place = `${path}:${li + 1}`;
      if (first) {
        first = false;
        if (cells[cells.length - 1].toLowerCase() === 'label') return; // header
      }
      if (cells.length !== d + 1) throw new DataError(`${place}: ${cells.length} cells; the model's input [${expect.shape.join(', ')}] needs ${d} features plus a label`);
      if (n >= labels.length) throw new DataError(`${path} changed while it was read`);
      const row = features.subarray(n * d, (n + 1) * d);
      for (let c = 0; c < d; c++) {
        const cell = cells[c];
        if (NON_FINITE.test(cell)) throw new DataError(`${place}: column ${c + 1} is ${cell}; features must be finite numbers`);
        if (!NUMBER.test(cell)) throw new DataError(`${place}: column ${c + 1} is ${JSON.stringify(cell)}, not a number`);
        row[c] = Number(cell);
        if (!Number.isFinite(row[c])) throw new DataError(`${place}: column ${c + 1} (${cell}) overflows float32`);
      }
      const labelCell = cells[d];
      if (!NUMBER.test(labelCell)) throw new DataError(`${place}: label ${JSON.stringify(labelCell)} is not a number`);
      labels[n] = checkLabel(Number(labelCell), place, expect);
      n++;
    },
  };
}

function build(rows: Float32Array[], labels: number[], where: string, expect: DataExpectation): LabelledSet {
  if (rows.length === 0) throw new DataError(`${where}: no examples`);
  const d = sizeOf(expect.shape);
  const features = new Float32Array(rows.length * d);
  rows.forEach((r, i) => features.set(r, i * d));
  return { features, labels: Int32Array.from(labels), shape: expect.shape, numClasses: expect.numClasses };
}

function checkLabel(value: unknown, place: string, expect: DataExpectation): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= expect.numClasses) {
    throw new DataError(`${place}: label ${JSON.stringify(value)} is not an integer class in 0..${expect.numClasses - 1}`);
  }
  return value;
}

export function parseJsonDataset(text: string, path: string, expect: DataExpectation): LabelledSet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new DataError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  let examples: { features: unknown; label: unknown }[];
  if (Array.isArray(doc)) {
    examples = doc.map((e, i) => {
      if (!e || typeof e !== 'object' || !('features' in e) || !('label' in e)) throw new DataError(`${path}: example ${i} needs "features" and "label"`);
      return e as { features: unknown; label: unknown };
    });
  } else if (doc && typeof doc === 'object' && Array.isArray((doc as { features?: unknown }).features) && Array.isArray((doc as { labels?: unknown }).labels)) {
    const { features, labels } = doc as { features: unknown[]; labels: unknown[] };
    if (features.length !== labels.length) throw new DataError(`${path}: ${features.length} feature rows but ${labels.length} labels`);
    examples = features.map((f, i) => ({ features: f, label: labels[i] }));
  } else {
    throw new DataError(`${path}: expected {"features": [...], "labels": [...]} or a list of {"features", "label"} objects`);
  }
  const d = sizeOf(expect.shape);
  const rows: Float32Array[] = [];
  const labels: number[] = [];
  examples.forEach((e, i) => {
    const flat: number[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) { for (const x of v) walk(x); return; }
      if (v === null) throw new DataError(`${path}: example ${i}: feature ${flat.length} is null (NaN is not allowed)`);
      if (typeof v !== 'number') throw new DataError(`${path}: example ${i}: feature ${flat.length} is ${JSON.stringify(v)}, not a number`);
      if (!Number.isFinite(v)) throw new DataError(`${path}: example ${i}: feature ${flat.length} is ${v}`);
      flat.push(v);
    };
    walk(e.features);
    if (flat.length !== d) throw new DataError(`${path}: example ${i} has ${flat.length} features; the model's input [${expect.shape.join(', ')}] needs ${d}`);
    const row = Float32Array.from(flat);
    const bad = row.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new DataError(`${path}: example ${i}: feature ${bad} overflows float32 (${flat[bad]})`);
    rows.push(row);
    labels.push(checkLabel(e.label, `${path}: example ${i}`, expect));
  });
  return build(rows, labels, path, expect);
}

/** Parses CSV text already in memory (the same grammar as readDataset's CSV). */
export function parseCsvDataset(text: string, path: string, expect: DataExpectation): LabelledSet {
  const lines = text.split(/\r?\n/);
  const capacity = lines.filter((l) => l.trim() !== '').length;
  const d = sizeOf(expect.shape);
  const features = new Float32Array(capacity * d), labels = new Int32Array(capacity);
  const parser = csvRows(path, expect, features, labels);
  lines.forEach((l, i) => parser.line(l, i));
  const n = parser.rows();
  if (n === 0) throw new DataError(`${path}: no examples`);
  return { features: features.subarray(0, n * d), labels: labels.subarray(0, n), shape: expect.shape, numClasses: expect.numClasses };
}

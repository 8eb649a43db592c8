// User datasets, read strictly: JSON or CSV of features plus an integer label. Every
// defect is a DataError whose message is one line naming the file and the place. The
// grammar, platform-neutral: the CLI streams files through it (../node/dataset_file.ts),
// the browser app parses the bytes a person picked (parseDataset).
//
// JSON: { "features": [[...], ...], "labels": [...] }  or  [{ "features": [...], "label": 3 }, ...]
//       (a feature list may be nested, e.g. 28 rows of 28; it is read row-major)
// CSV:  one example per line, the features then the label in the last column; an
//       optional header line whose last cell is "label". Comma separated.
import { type LabelledSet, sizeOf } from './digits';
import { sha256Hex } from '../checkpoint/sha256';

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

/** The CSV grammar, one line at a time, into preallocated arrays. */
export function csvRows(path: string, expect: DataExpectation, features: Float32Array, labels: Int32Array) {
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

/**
 * A dataset from its bytes, in memory: JSON if `name` ends in .json or the first character
 * that is not whitespace opens an array or object, else CSV. `sha256` is the digest of the
 * bytes, as the CLI's readDataset gives it for the same file.
 */
export function parseDataset(bytes: Uint8Array, name: string, expect: DataExpectation): { set: LabelledSet; sha256: string } {
  const lower = name.toLowerCase();
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes).replace(/^\uFEFF/, '');
  const json = lower.endsWith('.json') || (!lower.endsWith('.csv') && /^\s*[[{]/.test(text.slice(0, 4096)));
  return { set: json ? parseJsonDataset(text, name, expect) : parseCsvDataset(text, name, expect), sha256: sha256Hex(bytes) };
}

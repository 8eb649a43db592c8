// User datasets, read strictly: JSON or CSV of features plus an integer label. Every
// defect is a DataError whose message is one line naming the file and the place.
//
// JSON: { "features": [[...], ...], "labels": [...] }  or  [{ "features": [...], "label": 3 }, ...]
//       (a feature list may be nested, e.g. 28 rows of 28; it is read row-major)
// CSV:  one example per line, the features then the label in the last column; an
//       optional header line whose last cell is "label". Comma separated.
import { readFileSync } from 'node:fs';
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

export function readDataset(path: string, expect: DataExpectation): { set: LabelledSet; bytes: Uint8Array } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(`cannot read data file ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code}`);
  }
  const text = new TextDecoder().decode(bytes);
  const ext = extname(path).toLowerCase();
  const format = ext === '.json' ? 'json' : ext === '.csv' ? 'csv' : /^\s*[[{]/.test(text) ? 'json' : 'csv';
  const set = format === 'json' ? parseJsonDataset(text, path, expect) : parseCsvDataset(text, path, expect);
  return { set, bytes };
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

export function parseCsvDataset(text: string, path: string, expect: DataExpectation): LabelledSet {
  const d = sizeOf(expect.shape);
  const lines = text.split(/\r?\n/);
  const rows: Float32Array[] = [];
  const labels: number[] = [];
  let first = true;
  lines.forEach((line, li) => {
    if (line.trim() === '') return;
    const cells = line.split(',').map((c) => c.trim());
    const place = `${path}:${li + 1}`;
    if (first) {
      first = false;
      if (cells[cells.length - 1].toLowerCase() === 'label') return; // header
    }
    if (cells.length !== d + 1) throw new DataError(`${place}: ${cells.length} cells; the model's input [${expect.shape.join(', ')}] needs ${d} features plus a label`);
    const row = new Float32Array(d);
    for (let c = 0; c < d; c++) {
      const cell = cells[c];
      if (NON_FINITE.test(cell)) throw new DataError(`${place}: column ${c + 1} is ${cell}; features must be finite numbers`);
      if (!NUMBER.test(cell)) throw new DataError(`${place}: column ${c + 1} is ${JSON.stringify(cell)}, not a number`);
      row[c] = Number(cell);
      if (!Number.isFinite(row[c])) throw new DataError(`${place}: column ${c + 1} (${cell}) overflows float32`);
    }
    const labelCell = cells[d];
    if (!NUMBER.test(labelCell)) throw new DataError(`${place}: label ${JSON.stringify(labelCell)} is not a number`);
    rows.push(row);
    labels.push(checkLabel(Number(labelCell), place, expect));
  });
  return build(rows, labels, path, expect);
}

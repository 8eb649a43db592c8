// A person's examples: drawn, imported from a CSV, or the built-in user set. They train
// as a dataset in the CLI's CSV format (examplesCsv), so a run on them moves to the CLI:
// `fsam-edge resume --data examples.csv` reads the very bytes the app trained on. The
// built-in set left as it was trains as the CLI's built-in task instead (its 1,000 clean
// held-out digits, its wrong-label count).

export type Origin = 'drawn' | 'builtin' | 'imported';

export interface Example {
  id: number;
  /** The model's input, flattened (28×28 greys in [0, 1] for digits). */
  features: Float32Array;
  label: number;
  origin: Origin;
}

export interface ExampleSet {
  items: Example[];
  /** The built-in user set as added, untouched and alone: then a run is the built-in task. */
  builtin: { noiseRate: number; intact: boolean } | null;
  nextId: number;
}

export const EMPTY_SET: ExampleSet = { items: [], builtin: null, nextId: 1 };

export const CSV_NAME = 'examples.csv';

/** Whether a run on this set is the CLI's built-in task. */
export const isBuiltinTask = (set: ExampleSet): boolean =>
  set.builtin !== null && set.builtin.intact && set.items.length > 0 && set.items.every((e) => e.origin === 'builtin');

/** Examples per class (classes 0..numClasses−1). */
export function classCounts(set: ExampleSet, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const e of set.items) if (e.label >= 0 && e.label < numClasses) counts[e.label]++;
  return counts;
}

/**
 * Why the set cannot train, in one line, or null: the checks a person can act on before
 * the worker runs the CLI's own (the model's shape, the held-out split).
 */
export function setProblem(set: ExampleSet, numClasses: number): string | null {
  if (set.items.length === 0) return 'There are no examples: draw digits and label them, add the built-in set, or import a CSV.';
  const used = classCounts(set, numClasses).map((n, c) => [c, n]).filter(([, n]) => n > 0);
  if (used.length < 2) {
    return `All ${set.items.length} example${set.items.length === 1 ? ' is' : 's are'} labelled ${used[0]?.[0] ?? '?'}: personalizing needs examples of at least two classes.`;
  }
  if (!isBuiltinTask(set) && set.items.length < 3) return `${set.items.length} examples are too few: a fifth of them is held out to measure accuracy, so give at least 3.`;
  return null;
}

/**
 * The shortest decimal that reads back as exactly this float32 (the CSV grammar parses a
 * cell with Number() and stores it in a Float32Array).
 */
export function float32Text(x: number): string {
  if (Number.isInteger(x)) return String(x);
  for (let p = 1; p < 10; p++) {
    const s = String(Number(x.toPrecision(p)));
    if (Math.fround(Number(s)) === x) return s;
  }
  return String(x);
}

/** The examples as the CLI's CSV: a header, then per line the features and the label. */
export function examplesCsv(features: Float32Array, labels: Int32Array): Uint8Array {
  const n = labels.length, d = n ? features.length / n : 0;
  const lines: string[] = [[...Array.from({ length: d }, (_, i) => `x${i + 1}`), 'label'].join(',')];
  const cells = new Array<string>(d + 1);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) cells[j] = float32Text(features[i * d + j]);
    cells[d] = String(labels[i]);
    lines.push(cells.join(','));
  }
  return new TextEncoder().encode(`${lines.join('\n')}\n`);
}

/** The set's features and labels, one array each, in the set's order. */
export function flatten(set: ExampleSet): { features: Float32Array; labels: Int32Array } {
  const d = set.items[0]?.features.length ?? 0;
  const features = new Float32Array(set.items.length * d);
  const labels = new Int32Array(set.items.length);
  set.items.forEach((e, i) => { features.set(e.features, i * d); labels[i] = e.label; });
  return { features, labels };
}

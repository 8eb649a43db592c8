// The data code the CLI and the study share: seeded and reproducible, splits disjoint
// and stratified, label noise exact and always wrong, the user's style a real change,
// and the dataset readers strict. Also the CLI's byte sizes.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { data } = await import('../dist/cli.js');
const s = suite('cli data');

s('createRng is seeded, in [0, 1), and streams for different purposes differ', () => {
  const a = data.createRng(42), b = data.createRng(42), c = data.createRng(data.deriveSeed(42, 'other'));
  const xs = Array.from({ length: 1000 }, () => a());
  assert.equal(xs, Array.from({ length: 1000 }, () => b()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.not.equal(xs.slice(0, 10), Array.from({ length: 10 }, () => c()));
  const mean = xs.reduce((p, q) => p + q, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
  assert.throws(() => data.createRng(1.5), /seed must be an integer/);
  const p = data.permutation(100, data.createRng(1));
  assert.equal([...p].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
});

s('the mnist digits: about 10,000, ten classes, pixels in [0, 1]', () => {
  const d = data.loadMnist();
  const n = d.labels.length;
  assert.ok(n > 9900 && n < 10100, `${n} digits`);
  assert.is(d.features.length, n * 784);
  assert.equal(d.shape, [28, 28, 1]);
  assert.equal(new Set(d.labels).size, 10);
  let lo = Infinity, hi = -Infinity;
  for (const v of d.features) { if (v < lo) lo = v; if (v > hi) hi = v; }
  assert.ok(lo >= 0 && hi <= 1 && hi > 0.9);
});

s('stratifiedSplit: disjoint, the asked sizes, every class in proportion in every split, seeded', () => {
  const d = data.loadMnist();
  const [a, b, c] = data.stratifiedSplit(d.labels, 10, [8000, 1000, 1000], 3);
  assert.equal([a.length, b.length, c.length], [8000, 1000, 1000]);
  assert.is(new Set([...a, ...b, ...c]).size, 10000);
  const whole = new Array(10).fill(0);
  for (const y of d.labels) whole[y]++;
  for (const part of [a, b, c]) {
    const counts = new Array(10).fill(0);
    for (const i of part) counts[d.labels[i]]++;
    counts.forEach((k, y) => {
      const ideal = (part.length * whole[y]) / d.labels.length;
      assert.ok(Math.abs(k - ideal) < 1, `class ${y}: ${k} in a split of ${part.length}, ideal ${ideal.toFixed(2)}`);
    });
  }
  assert.equal(data.stratifiedSplit(d.labels, 10, [50], 3)[0], data.stratifiedSplit(d.labels, 10, [50], 3)[0]);
  assert.throws(() => data.stratifiedSplit(d.labels, 10, [9000, 2000], 1), /only \d+ exist/);
});

s('symmetricLabelNoise: exactly round(rate·n) labels flipped, each to another class, seeded', () => {
  const labels = Int32Array.from({ length: 400 }, (_, i) => i % 10);
  for (const rate of [0, 0.2, 0.3, 0.4, 1]) {
    const { labels: noisy, flipped } = data.symmetricLabelNoise(labels, 10, rate, 9);
    let changed = 0;
    for (let i = 0; i < labels.length; i++) {
      assert.is(noisy[i] !== labels[i], flipped[i] === 1, `index ${i}`);
      assert.ok(noisy[i] >= 0 && noisy[i] < 10);
      changed += flipped[i];
    }
    assert.is(changed, Math.round(rate * 400));
  }
  assert.equal(data.symmetricLabelNoise(labels, 10, 0.3, 9).labels, data.symmetricLabelNoise(labels, 10, 0.3, 9).labels);
  assert.not.equal(data.symmetricLabelNoise(labels, 10, 0.3, 9).labels, data.symmetricLabelNoise(labels, 10, 0.3, 10).labels);
  // Every wrong class is used about equally.
  const many = Int32Array.from({ length: 20000 }, () => 0);
  const hist = new Array(10).fill(0);
  for (const y of data.symmetricLabelNoise(many, 10, 1, 5).labels) hist[y]++;
  assert.is(hist[0], 0);
  for (const h of hist.slice(1)) assert.ok(Math.abs(h - 20000 / 9) < 200, JSON.stringify(hist));
  assert.throws(() => data.symmetricLabelNoise(labels, 10, 1.5, 1), /noise rate must be in \[0, 1\]/);
});

s('applyStyle: identity is exact, a rotation by 90° moves pixels where it should', () => {
  const img = new Float32Array(28 * 28);
  img[5 * 28 + 20] = 1; // row 5, column 20
  assert.equal(data.applyStyle(img, 28, data.IDENTITY_STYLE), img);
  const turned = data.applyStyle(img, 28, { ...data.IDENTITY_STYLE, rotateDeg: 90 });
  const at = turned.indexOf(Math.max(...turned));
  // Counter-clockwise on screen: (x 20, y 5) about the centre 13.5 goes to (x 5, y 7).
  assert.equal([at % 28, Math.floor(at / 28)], [5, 7]);
  assert.throws(() => data.applyStyle(new Float32Array(10), 28, data.IDENTITY_STYLE), /not whole 28×28 images/);
});

s('the default task: disjoint, the documented sizes and noise, and reproducible', () => {
  const d = data.loadMnist();
  const t = data.makeDefaultTask(d, { seed: 0 });
  assert.is(t.population.labels.length, 6000);
  assert.is(t.userTrain.labels.length, 400);
  assert.is(t.userTest.labels.length, 1000);
  assert.is(t.flipped.reduce((a, b) => a + b, 0), 120);
  for (let i = 0; i < 400; i++) assert.is(t.userTrain.labels[i] !== t.userTrainCleanLabels[i], t.flipped[i] === 1);
  const again = data.makeDefaultTask(d, { seed: 0 });
  assert.equal(again.userTrain.features, t.userTrain.features);
  assert.equal(again.userTrain.labels, t.userTrain.labels);
  const other = data.makeDefaultTask(d, { seed: 1 });
  assert.equal(other.population.labels, t.population.labels, 'the split is fixed: one base model for every seed');
  assert.not.equal(other.userTrain.labels, t.userTrain.labels, 'the noise follows the seed');
});

const dir = mkdtempSync(join(tmpdir(), 'fsam-edge-data-'));
const expect = { shape: [2, 2], numClasses: 3 };
const file = (name, text) => { const p = join(dir, name); writeFileSync(p, text); return p; };

s('readDataset: CSV with or without a header, JSON in both layouts, nested features', () => {
  const a = data.readDataset(file('a.csv', 'a,b,c,d,label\n1,2,3,4,0\n5,6,7,8,2\n'), expect).set;
  const b = data.readDataset(file('b.csv', '1,2,3,4,0\r\n5,6,7,8,2\r\n\r\n'), expect).set;
  const c = data.readDataset(file('c.json', JSON.stringify({ features: [[[1, 2], [3, 4]], [5, 6, 7, 8]], labels: [0, 2] })), expect).set;
  const e = data.readDataset(file('e.json', JSON.stringify([{ features: [1, 2, 3, 4], label: 0 }, { features: [5, 6, 7, 8], label: 2 }])), expect).set;
  for (const set of [a, b, c, e]) {
    assert.equal(Array.from(set.features), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(Array.from(set.labels), [0, 2]);
    assert.equal(set.shape, [2, 2]);
  }
  assert.throws(() => data.readDataset(file('x.json', '{"features": [[1,2,3,4]], "labels": [0, 1]}'), expect), /1 feature rows but 2 labels/);
  assert.throws(() => data.readDataset(file('y.json', '{"rows": []}'), expect), /expected \{"features"/);
  assert.throws(() => data.readDataset(file('z.json', '{"features": [[1,2,3,"4"]], "labels": [0]}'), expect), /feature 3 is "4", not a number/);
  assert.throws(() => data.readDataset(file('w.json', '{"features": [[1,2,3,4]], "labels": [0]'), expect), /not valid JSON/);
  assert.throws(() => data.readDataset(file('v.csv', '1,2,3,4,x\n'), expect), /label "x" is not a number/);
  assert.throws(() => data.readDataset(file('u.csv', '1,2,,4,1\n'), expect), /column 3 is "", not a number/);
  assert.throws(() => data.readDataset(file('t.csv', '1,2,-inf,4,1\n'), expect), /column 3 is -inf; features must be finite/);
  assert.throws(() => data.readDataset(dir, expect), /is a directory/);
});

s('parseBytes: bytes and binary units', async () => {
  // Through the CLI: the budget a flag asks for.
  const { spawnSync } = await import('node:child_process');
  const bin = new URL('../bin/fsam-edge.mjs', import.meta.url).pathname;
  const said = (v) => spawnSync(process.execPath, [bin, 'personalize', '--max-memory', v, '--optimizer', 'x'], { encoding: 'utf8' }).stderr;
  assert.match(said('12'), /--optimizer is one of/, 'a plain byte count parses');
  for (const v of ['512KB', '2MB', '1.5MiB', '1g', '100 kib']) assert.match(said(v), /--optimizer is one of/, v);
  for (const v of ['-1', '1TB', 'MB', '1e6', '']) assert.match(said(v), /--max-memory needs a size in bytes|--max-memory needs a value/, v);
});

s.after(() => rmSync(dir, { recursive: true, force: true }));
s.run();

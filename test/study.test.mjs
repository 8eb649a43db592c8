// The study's --quick mode end to end (the full study never runs here): every run
// finishes, the numbers are accuracies, each optimizer beats chance on clean labels,
// the report and its figures are written, a rerun skips the finished runs, and runs in
// --jobs child processes equal the same runs made inline.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const STUDY = join(root, 'dist/study.js');

function study(args, timeoutMs = 180_000) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [STUDY, ...args], { cwd: root, timeout: timeoutMs, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`study ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const s = suite('study --quick');
const out = mkdtempSync(join(tmpdir(), 'fsam-edge-study-test-'));
s.after(() => rmSync(out, { recursive: true, force: true }));

s('runs every phase, with sane numbers', async () => {
  const started = Date.now();
  await study(['--quick', '--jobs', '2', '--out', out]);
  const secs = (Date.now() - started) / 1000;
  assert.ok(secs < 180, `--quick took ${secs.toFixed(0)} s; it must stay under 3 minutes`);
  const runs = readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const groups = new Set(runs.map((r) => r.group));
  for (const g of ['sweep', 'grid', 'pbatch']) assert.ok(groups.has(g), `no '${g}' run in ${[...groups]}`);
  for (const r of runs) {
    assert.ok(r.epochs.length > 0 && r.wallSeconds > 0, r.key);
    for (const e of r.epochs) {
      for (const k of ['val', 'test']) assert.ok(e[k] >= 0 && e[k] <= 1, `${r.key} epoch ${e.epoch}: ${k} = ${e[k]}`);
      assert.ok(Number.isFinite(e.loss) && e.loss > 0, `${r.key} epoch ${e.epoch}: loss ${e.loss}`);
    }
    const last = r.epochs[r.epochs.length - 1];
    for (const k of ['trainNoisy', 'trainClean']) assert.ok(last[k] >= 0 && last[k] <= 1, `${r.key}: ${k} = ${last[k]}`);
  }
  for (const opt of ['sgd', 'sam', 'fsam0.6']) {
    const clean = runs.find((r) => r.group === 'grid' && r.optimizer === opt && r.noise === 0);
    assert.ok(clean, `no clean-label run of ${opt}`);
    const acc = clean.epochs[clean.epochs.length - 1].test;
    assert.ok(acc > 0.5, `${opt} on clean labels: test accuracy ${acc}, chance is 0.1`);
  }
  const md = readFileSync(join(out, 'results.md'), 'utf8');
  assert.match(md, /Paired differences/);
  for (const f of ['rho_sweep.svg', 'perturbation_batch.svg', 'curves_noise0.svg']) {
    assert.ok(existsSync(join(out, f)), f);
    assert.match(readFileSync(join(out, f), 'utf8'), /^<svg /);
  }
});

s('a rerun skips every finished run', async () => {
  const before = readFileSync(join(out, 'results.jsonl'), 'utf8');
  const log = await study(['--quick', '--out', out]);
  assert.match(log, /A: ρ sweep: \d+ done, 0 to run/);
  assert.match(log, /C: perturbation batch: \d+ done, 0 to run/);
  assert.is(readFileSync(join(out, 'results.jsonl'), 'utf8'), before);
});

s('a run in a --jobs child equals the same run inline, epoch for epoch', async () => {
  const inline = mkdtempSync(join(tmpdir(), 'fsam-edge-study-inline-'));
  try {
    await study(['--quick', '--phases', 'A', '--out', inline]);
    const read = (dir) => readFileSync(join(dir, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const pooled = new Map(read(out).map((r) => [r.key, r]));
    const runs = read(inline);
    assert.ok(runs.length >= 4, `phase A made ${runs.length} runs`);
    for (const r of runs) assert.equal(r.epochs, pooled.get(r.key)?.epochs, r.key);
  } finally {
    rmSync(inline, { recursive: true, force: true });
  }
});

s('bad flags are refused by name', async () => {
  for (const [args, re] of [[['--jobs', '0'], /--jobs .* got '0'/], [['--short', '--long'], /pick one/], [['--nope'], /'--nope'/]]) {
    const err = await study(args).then(() => null, (e) => e);
    assert.ok(err, `${args.join(' ')} was accepted`);
    assert.match(err.message, re);
  }
});

s.run();

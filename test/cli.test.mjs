// The CLI end to end: a tiny dense model and dataset through personalize and resume,
// the built-in digits task through compare, every kind of bad input refused with one
// line on stderr, exit status 2 and the output directory untouched, and resuming
// after epoch k giving bit for bit the weights of a run that never stopped.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { rmSync, mkdtempSync, writeFileSync, readFileSync, readdirSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, runCli, blobs, csvOf, saveTinyModel } from './support/cli_fixture.mjs';
import { shardOf, weightsOf } from './support/model_folder.mjs';

const cli = await import('../dist/cli.js');
await cli.ready();
const { tf } = cli;

const root = mkdtempSync(join(tmpdir(), 'fsam-edge-cli-'));
const cache = join(root, 'cache');

const run = (args, env = {}) => runCli(args, { env: { FSAM_EDGE_CACHE: cache, ...env } });

const modelPath = await saveTinyModel(cli, join(root, 'tiny'));
const data = blobs(150, 7);
const csv = join(root, 'tiny.csv');
writeFileSync(csv, csvOf(data));
const json = join(root, 'tiny.json');
writeFileSync(json, JSON.stringify({ features: data.map((r) => r.x), labels: data.map((r) => r.y) }));
// FSAM on this model: (32 + 8 + 24 + 4) floats per slab (16-byte aligned), 3 slabs (m, w_old, momentum).
const TINY_FSAM_BYTES = (32 + 8 + 24 + 4) * 4 * 3;

const s = suite('cli');

s('personalize: a tiny dense model on a CSV dataset, end to end', () => {
  const out = join(root, 'e2e');
  const r = run(['personalize', '--model', modelPath, '--data', csv, '--epochs', '3', '--batch-size', '16', '--seed', '1', '--lr', '0.05', '--out', out]);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  assert.match(r.stdout, /fsam\s+epoch 3\/3\s+loss \d\.\d{4}/);
  assert.match(r.stdout, /held-out accuracy: [\d.]+% before, [\d.]+% after 3 epochs/);
  assert.match(r.stdout, /optimizer\s+held-out before\s+after\s+best/);
  assert.ok(!/\x1b\[/.test(r.stdout + r.stderr), 'no terminal escapes when piped');
  for (const f of ['report.html', 'summary.json', 'checkpoint.fsam', 'model/model.json']) assert.ok(existsSync(join(out, f)), f);
  assert.ok(existsSync(shardOf(join(out, 'model'))), 'the weights file model.json names');
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  assert.is(html.match(/<svg /g).length, 5, 'four curves and the memory chart');
  assert.not.match(html, /<script/);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  const [runSummary] = summary.runs;
  assert.is(runSummary.history.length, 3);
  assert.is(runSummary.memory.stateBytes, TINY_FSAM_BYTES);
  assert.ok(runSummary.after.accuracy > 0.8, `blobs are easy: ${runSummary.after.accuracy}`);
});

s('personalize: the same data as JSON gives the same run as CSV', () => {
  const out = join(root, 'e2e-json');
  const r = run(['personalize', '--model', modelPath, '--data', json, '--epochs', '3', '--batch-size', '16', '--seed', '1', '--lr', '0.05', '--out', out]);
  assert.is(r.status, 0, r.stderr);
  assert.equal(weightsOf(join(out, 'model')), weightsOf(join(root, 'e2e', 'model')));
});

/** What `fsam-edge plan` says a run needs of wasm memory (--max-memory takes exactly that). */
function requiredBytes(args) {
  const r = run(['plan', '--json', ...args]);
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).memory.requiredBytes;
}

s('a budget of exactly the bytes the plan needs is enough, one byte less is refused; the saved model loads with --model', () => {
  const out = join(root, 'budget-exact');
  const bytes = requiredBytes(['--model', modelPath, '--data', csv]);
  const r = run(['personalize', '--model', modelPath, '--data', csv, '--epochs', '1', '--max-memory', String(bytes), '--out', out]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /memory plan: wasm heap peaks at .*a memory cap must allow .* — budget /);
  const short = run(['personalize', '--model', modelPath, '--data', csv, '--epochs', '1', '--max-memory', String(bytes - 1), '--out', join(root, 'budget-short')]);
  assert.is(short.status, 2);
  assert.match(short.stderr, `--max-memory ${bytes - 1} bytes is too small: the run needs ${bytes} bytes of wasm memory`);
  const again = run(['personalize', '--model', join(out, 'model/model.json'), '--data', csv, '--epochs', '1', '--optimizer', 'sgd', '--out', join(root, 'reload')]);
  assert.is(again.status, 0, again.stderr);
});

s('--low-memory: F-SAM keeps 4 bytes of state per parameter', () => {
  const out = join(root, 'low-memory');
  const r = run(['personalize', '--model', modelPath, '--data', csv, '--epochs', '2', '--low-memory', '--out', out]);
  assert.is(r.status, 0, r.stderr);
  const [x] = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).runs;
  assert.ok(x.memory.stateBytes <= TINY_FSAM_BYTES / 2 && Object.keys(x.memory.stateBytesPerKind).join() === 'ema_bf16,momentum_bf16', JSON.stringify(x.memory));
});

s('compare: the built-in digits task with SGD, SAM and F-SAM (base CNN trained and cached)', () => {
  const out = join(root, 'compare');
  const r = run(['compare', '--epochs', '2', '--out', out]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /training the base CNN on 6000 population digits/);
  assert.match(r.stdout, /400 training digits, 120 of them \(30%\) with wrong labels; 1000 clean held-out digits/);
  for (const name of ['sgd', 'sam', 'fsam']) {
    assert.match(r.stdout, new RegExp(`^${name}\\s+[\\d.]+%\\s+[\\d.]+%`, 'm'));
    assert.ok(existsSync(join(out, 'checkpoints', `${name}.fsam`)));
  }
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  const bytesPerParam = Object.fromEntries(summary.runs.map((x) => [x.optimizer, x.memory.stateBytes / x.memory.parameters]));
  assert.ok(Math.abs(bytesPerParam.fsam - 12) < 0.1 && Math.abs(bytesPerParam.sam - 8) < 0.1 && Math.abs(bytesPerParam.sgd - 4) < 0.1, JSON.stringify(bytesPerParam));
  for (const x of summary.runs) assert.ok(x.before.accuracy > 0.3 && x.before.accuracy < 0.8, `the user's style hurts the base model: ${x.before.accuracy}`);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  for (const name of ['sgd', 'sam', 'fsam']) assert.match(html, `>${name}</text>`);
  // The base model is cached now: a second run does not train it.
  const again = run(['personalize', '--epochs', '1', '--out', join(root, 'cached')]);
  assert.is(again.status, 0, again.stderr);
  assert.not.match(again.stdout, /training the base CNN/);
  // Its entry is keyed by the recipe, the runtime that trained it and the population's
  // digits: another tfjs, another build of the training kernels or other digits train a
  // new base model instead of reusing it.
  const population = cli.data.makeDefaultTask(cli.data.loadMnist()).population;
  const key = cli.baseModelKey(population);
  assert.equal(readdirSync(cache), [key]);
  const { runtime } = cli.BASE_RECIPE;
  assert.equal([runtime.tfjsCore, runtime.tfjsWasm], [tf.version_core, JSON.parse(readFileSync(new URL('../node_modules/@tensorflow/tfjs-backend-wasm/package.json', import.meta.url), 'utf8')).version]);
  assert.match(runtime.trainingKernels, /^[0-9a-f]{8}$/);
  for (const changed of [{ tfjsCore: '4.23.0' }, { tfjsWasm: '4.23.0' }, { trainingKernels: '00000000' }]) {
    assert.is.not(cli.baseModelKey(population, { ...cli.BASE_RECIPE, runtime: { ...runtime, ...changed } }), key, JSON.stringify(changed));
  }
  const onePixel = { ...population, features: population.features.slice() };
  onePixel.features[12345] += 1 / 255;
  const oneLabel = { ...population, labels: population.labels.slice() };
  oneLabel.labels[0] = (oneLabel.labels[0] + 1) % 10;
  assert.is.not(cli.baseModelKey(onePixel), key, 'one pixel changed');
  assert.is.not(cli.baseModelKey(oneLabel), key, 'one label changed');
});

// ---------------------------------------------------------------------------------
// Bad input: one line on stderr, exit 2, the output directory untouched.

const guarded = join(root, 'guarded');
const seedRun = run(['personalize', '--model', modelPath, '--data', csv, '--epochs', '2', '--out', guarded]);
if (seedRun.status !== 0) throw new Error(`setup run failed: ${seedRun.stderr}`);

function snapshot(dir) {
  const out = {};
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p); else out[p] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

function bad(name, file, content) {
  const p = join(root, 'bad', name);
  mkdirSync(join(root, 'bad'), { recursive: true });
  writeFileSync(p, content);
  return p;
}

const header = 'f1,f2,f3,f4,label\n';
const okRow = '0.1,0.2,0.3,0.4,1\n';
const ck = join(guarded, 'checkpoint.fsam');
const ckBytes = readFileSync(ck);
const flipped = Buffer.from(ckBytes); flipped[Math.floor(flipped.length / 2)] ^= 0x40;
const badVersion = Buffer.from(ckBytes); badVersion.writeUInt32LE(99, 8);

const CASES = [
  ['an unknown flag', ['personalize', '--bogus', '1'], /unknown flag --bogus/],
  ['an unknown command', ['personalise'], /unknown command 'personalise'/],
  ['a flag without its value', ['personalize', '--epochs'], /--epochs needs a value/],
  ['a non-integer --epochs', ['personalize', '--epochs', 'ten'], /--epochs needs an integer, got 'ten'/],
  ['--low-memory with a base optimizer', ['personalize', '--optimizer', 'sgd', '--low-memory'], /--low-memory is a mode of F-SAM and SAM, not of sgd/],
  ['an unknown optimizer', ['personalize', '--optimizer', 'adam'], /--optimizer is one of fsam, sam, sgd, adamw; got 'adam'/],
  ['a bad hyperparameter', ['personalize', '--model', modelPath, '--data', csv, '--lambda', '1'], /lambda must be in \[0, 1\), got 1/],
  ['a missing data file', ['personalize', '--model', modelPath, '--data', join(root, 'nope.csv')], /cannot read data file .*nope\.csv: no such file/],
  ['a missing model file', ['personalize', '--model', join(root, 'nope', 'model.json'), '--data', csv], /cannot read model .*model\.json: no such file/],
  ['a CSV row with too few features', ['personalize', '--model', modelPath, '--data', bad('short.csv', 0, header + okRow + '0.1,0.2,0.3,1\n')], /short\.csv:3: 4 cells; the model's input \[4\] needs 4 features plus a label/],
  ['JSON features of the wrong shape', ['personalize', '--model', modelPath, '--data', bad('wide.json', 0, JSON.stringify({ features: [[1, 2, 3, 4], [1, 2, 3, 4, 5]], labels: [0, 1] }))], /wide\.json: example 1 has 5 features; the model's input \[4\] needs 4/],
  ['a label out of range', ['personalize', '--model', modelPath, '--data', bad('label.csv', 0, header + okRow + '0.1,0.2,0.3,0.4,3\n')], /label\.csv:3: label 3 is not an integer class in 0\.\.2/],
  ['a fractional label', ['personalize', '--model', modelPath, '--data', bad('frac.json', 0, JSON.stringify([{ features: [1, 2, 3, 4], label: 1.5 }]))], /frac\.json: example 0: label 1\.5 is not an integer class in 0\.\.2/],
  ['a non-numeric CSV cell', ['personalize', '--model', modelPath, '--data', bad('text.csv', 0, header + okRow + '0.1,abc,0.3,0.4,1\n')], /text\.csv:3: column 2 is "abc", not a number/],
  ['a NaN feature in CSV', ['personalize', '--model', modelPath, '--data', bad('nan.csv', 0, header + okRow + 'NaN,0.2,0.3,0.4,1\n')], /nan\.csv:3: column 1 is NaN; features must be finite numbers/],
  ['a NaN (null) feature in JSON', ['personalize', '--model', modelPath, '--data', bad('nan.json', 0, JSON.stringify({ features: [[1, null, 3, 4]], labels: [0] }))], /nan\.json: example 0: feature 1 is null/],
  ['an infinite feature in CSV', ['personalize', '--model', modelPath, '--data', bad('inf.csv', 0, header + '1e999,0.2,0.3,0.4,1\n')], /inf\.csv:2: column 1 \(1e999\) overflows float32/],
  ['an empty dataset', ['personalize', '--model', modelPath, '--data', bad('empty.csv', 0, header)], /empty\.csv: no examples/],
  ['a budget too small', ['personalize', '--model', modelPath, '--data', csv, '--max-memory', '800'], /--max-memory 800 bytes is too small: the run needs \d+ bytes of wasm memory \(its heap peaks at \d+ bytes in the training step — .*arena .*activations/],
  ['a budget too small for the CNN, in MB', ['personalize', '--max-memory', '0.1MB'], /--max-memory 104857 bytes is too small: the run needs \d+ bytes of wasm memory/],
  ['--batch-size auto without a budget', ['personalize', '--batch-size', 'auto'], /--batch-size auto needs --max-memory/],
  ['a batch size that is neither a number nor auto', ['personalize', '--batch-size', 'most'], /--batch-size needs an integer from 1 to 1048576, or auto; got 'most'/],
  ['more micro-batches than examples in a batch', ['personalize', '--batch-size', '4', '--accumulate', '8'], /--accumulate 8 splits each batch into 8 micro-batches; --batch-size 4 is smaller/],
  ['a malformed budget', ['personalize', '--max-memory', '2 parsecs'], /--max-memory needs a size in bytes/],
  ['a corrupt checkpoint', ['resume', '--checkpoint', bad('corrupt.fsam', 0, flipped)], /corrupt\.fsam: corrupt checkpoint \(SHA-256 mismatch\)/],
  ['a truncated checkpoint', ['resume', '--checkpoint', bad('short.fsam', 0, ckBytes.subarray(0, ckBytes.length - 100))], /short\.fsam: truncated checkpoint/],
  ['a foreign file as checkpoint', ['resume', '--checkpoint', bad('foreign.fsam', 0, '{"hello": "world"}\n'.repeat(10))], /foreign\.fsam: not an fsam-edge checkpoint/],
  ['a checkpoint of a newer format', ['resume', '--checkpoint', bad('v99.fsam', 0, badVersion)], /format version 99 is not supported/],
  ['a missing checkpoint', ['resume', '--checkpoint', join(root, 'none.fsam')], /cannot read checkpoint .*none\.fsam: ENOENT/],
];

for (const [what, args, message] of CASES) {
  s(`bad input: ${what}`, () => {
    const before = snapshot(guarded);
    const r = run([...args, ...(args[0] === 'resume' || args.length === 1 ? [] : ['--out', guarded])]);
    assert.is(r.status, 2, `exit status (stderr: ${r.stderr})`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.is(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
    assert.match(lines[0], message);
    assert.equal(snapshot(guarded), before, 'the output directory is untouched');
  });
}

s('training that diverges ends with one line on stderr and status 1; the last good epoch stays checkpointed', () => {
  const r = run(['personalize', '--model', modelPath, '--data', csv, '--lr', '1e30', '--out', join(root, 'diverged')]);
  assert.is(r.status, 1);
  assert.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /training diverged at epoch 1, batch \d+ \(.*NaN.*\); try a smaller --lr or --rho/);
});

// ---------------------------------------------------------------------------------
// Resume equivalence: stop after epoch k, resume, same final weights and optimizer state.

async function optimizerState(path) {
  const loaded = await cli.checkpoint.loadCheckpoint(path);
  // Names carry the process's variable-name suffixes (a model loaded twice gets '_1'): compare kinds and values.
  const state = loaded.optimizerWeights.map((w) => [w.name.slice(w.name.lastIndexOf('/') + 1), Array.from(w.tensor.dataSync())]);
  tf.dispose(loaded.optimizerWeights.map((w) => w.tensor));
  loaded.model.dispose();
  return state;
}

const RESUMES = [
  ['F-SAM (SGD base), tiny model', ['--model', modelPath, '--data', csv, '--batch-size', '16', '--lr', '0.05'], 6, 2],
  ['SAM (AdamW base, ASAM), tiny model', ['--model', modelPath, '--data', csv, '--batch-size', '16', '--optimizer', 'sam', '--base', 'adamw', '--adaptive', '--lr', '0.01'], 5, 3],
  ['F-SAM low-memory (bf16 state, no w_old), tiny model', ['--model', modelPath, '--data', csv, '--batch-size', '16', '--lr', '0.05', '--low-memory'], 4, 2],
  ['SGD with momentum (tfjs), tiny model', ['--model', modelPath, '--data', csv, '--batch-size', '16', '--optimizer', 'sgd', '--lr', '0.05'], 4, 2],
  ['AdamW (tfjs), tiny model', ['--model', modelPath, '--data', csv, '--batch-size', '16', '--optimizer', 'adamw', '--lr', '0.01'], 4, 3],
  ['F-SAM, the built-in digit CNN', ['--batch-size', '32'], 4, 1],
];

for (const [what, flags, epochs, k] of RESUMES) {
  s(`resume equivalence: ${what}, stopped after epoch ${k} of ${epochs}`, async () => {
    const whole = join(root, `whole-${what.length}-${k}`);
    const split = join(root, `split-${what.length}-${k}`);
    const a = run(['personalize', ...flags, '--epochs', String(epochs), '--seed', '3', '--out', whole]);
    assert.is(a.status, 0, a.stderr);
    const b = run(['personalize', ...flags, '--epochs', String(epochs), '--seed', '3', '--out', split, '--stop-after', String(k)]);
    assert.is(b.status, 0, b.stderr);
    assert.match(b.stdout, new RegExp(`stopped after epoch ${k} of ${epochs}`));
    assert.not.ok(existsSync(join(split, 'model')), 'an interrupted run writes no final model');
    const c = run(['resume', '--checkpoint', join(split, 'checkpoint.fsam')]);
    assert.is(c.status, 0, c.stderr);
    assert.match(c.stdout, new RegExp(`resuming .* after epoch ${k} of ${epochs}`));
    assert.ok(weightsOf(join(whole, 'model')).equals(weightsOf(join(split, 'model'))), 'final weights are bitwise equal');
    assert.equal(await optimizerState(join(split, 'checkpoint.fsam')), await optimizerState(join(whole, 'checkpoint.fsam')));
    const hist = (dir) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).runs[0].history.map(({ seconds, ...e }) => e);
    assert.equal(hist(split), hist(whole), 'the per-epoch losses and accuracies match too');
  });
}

s('Ctrl-C mid-run: status 130, one line naming the checkpoint; resuming it equals the uninterrupted run', async () => {
  const flags = ['personalize', '--model', modelPath, '--data', csv, '--batch-size', '16', '--lr', '0.05', '--epochs', '40', '--seed', '5'];
  const whole = join(root, 'sigint-whole'), cut = join(root, 'sigint-cut');
  assert.is(run([...flags, '--out', whole]).status, 0);
  const child = spawn(process.execPath, [BIN, ...flags, '--out', cut], { env: { ...process.env, FSAM_EDGE_CACHE: cache } });
  let stdout = '', stderr = '', sent = false;
  child.stderr.on('data', (c) => { stderr += c; });
  const status = await new Promise((resolve) => {
    child.stdout.on('data', (c) => {
      stdout += c;
      if (!sent && /epoch +5\/40/.test(stdout)) { sent = true; child.kill('SIGINT'); }
    });
    child.on('exit', (code) => resolve(code));
  });
  assert.is(status, 130, stderr);
  assert.is(stderr.trimEnd().split('\n').length, 1, stderr);
  const m = /interrupted \(SIGINT\) during epoch (\d+); the checkpoint after epoch (\d+) is .*checkpoint\.fsam; continue with: fsam-edge resume/.exec(stderr);
  assert.ok(m && Number(m[1]) === Number(m[2]) + 1 && Number(m[2]) >= 5 && Number(m[2]) < 40, stderr);
  const c = run(['resume', '--checkpoint', join(cut, 'checkpoint.fsam')]);
  assert.is(c.status, 0, c.stderr);
  assert.ok(weightsOf(join(whole, 'model')).equals(weightsOf(join(cut, 'model'))), 'final weights are bitwise equal');
});

s('resume refuses when the built-in task\'s digits are not the ones the checkpoint saw', () => {
  const dir = join(root, 'digest');
  const a = run(['personalize', '--epochs', '2', '--stop-after', '1', '--out', dir]);
  assert.is(a.status, 0, a.stderr);
  const path = join(dir, 'checkpoint.fsam');
  const { header, blob } = cli.checkpoint.decodeCheckpoint(readFileSync(path), path);
  assert.match(header.config.data.digest, /^[0-9a-f]{64}$/);
  const { blobs, ...rest } = header;
  rest.config.data.digest = '0'.repeat(64);
  writeFileSync(path, cli.checkpoint.encodeCheckpoint(rest, Object.fromEntries(Object.keys(blobs).map((k) => [k, blob(k)]))));
  const r = run(['resume', '--checkpoint', path]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /the built-in task's digits differ from those the checkpoint was trained on/);
});

s('resume refuses a data file that changed since the checkpoint', () => {
  const dir = join(root, 'changed');
  const data2 = join(root, 'changing.csv');
  writeFileSync(data2, csvOf(blobs(60, 1)));
  const a = run(['personalize', '--model', modelPath, '--data', data2, '--epochs', '3', '--stop-after', '1', '--out', dir]);
  assert.is(a.status, 0, a.stderr);
  writeFileSync(data2, csvOf(blobs(60, 2)));
  const before = snapshot(dir);
  const r = run(['resume', '--checkpoint', join(dir, 'checkpoint.fsam')]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /changing\.csv changed since the checkpoint was written/);
  assert.equal(snapshot(dir), before);
});

s.after(() => rmSync(root, { recursive: true, force: true }));
s.run();

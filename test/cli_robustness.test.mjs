// The CLI against the cases of issue 15, each a test that failed before its fix: a stop
// right after the last epoch (Ctrl-C, kill -9) loses nothing; resume works from another
// directory and after the data moved; two runs never share an --out; compare leaves no
// stale model and every output records its configuration; model files, their manifest and
// shards, and checkpoint headers are untrusted; --out is checked before training; and the
// minor cases (SIGINT before the first epoch, error texts, the memory of loading a CSV).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, runCli, blobs, csvOf, saveTinyModel, snapshot } from './support/cli_fixture.mjs';
import { shardOf, weightsOf as folderWeights } from './support/model_folder.mjs';

const cli = await import('../dist/cli.js');
await cli.ready();

const root = mkdtempSync(join(tmpdir(), 'fsam-edge-robust-'));
chmodSync(root, 0o755); // readable by the unprivileged user of the read-only --out test
const cache = join(root, 'cache');
const run = (args, opts = {}) => runCli(args, { ...opts, env: { FSAM_EDGE_CACHE: cache, ...opts.env } });
const modelPath = await saveTinyModel(cli, join(root, 'tiny'));
const csv = join(root, 'tiny.csv');
writeFileSync(csv, csvOf(blobs(150, 7)));
const TINY = ['--model', modelPath, '--data', csv, '--batch-size', '16', '--lr', '0.05', '--seed', '3'];
const weightsOf = (dir) => folderWeights(join(dir, 'model'));
const summaryOf = (dir) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
/** The summary without what differs between two runs of the same training (wall times, the command). */
// memory: the run's plan, whose RSS part is the process's own (it differs run to run).
const comparable = (s) => ({ ...s, command: null, memory: null, runs: s.runs.map((r) => ({ ...r, seconds: null, history: r.history.map((e) => ({ ...e, seconds: null })) })) });
const oneLine = (r) => { const lines = r.stderr.trimEnd().split('\n'); assert.is(lines.length, 1, `one line on stderr, got:\n${r.stderr}`); return lines[0]; };

const whole = join(root, 'whole');
const wholeRun = run(['personalize', ...TINY, '--epochs', '4', '--out', whole]);
if (wholeRun.status !== 0) throw new Error(`setup run failed: ${wholeRun.stderr}`);
const split = join(root, 'split');
if (run(['personalize', ...TINY, '--epochs', '4', '--stop-after', '2', '--out', split]).status !== 0) throw new Error('setup split run failed');

/** Starts `fsam-edge args`, calls `onLine(line, child)` per stdout line; resolves to { status, signal, stdout, stderr }. */
function start(args, onLine, opts = {}) {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, FSAM_EDGE_CACHE: cache, ...opts.env } });
  let stdout = '', stderr = '', pending = '';
  child.stderr.on('data', (c) => { stderr += c; });
  child.stdout.on('data', (c) => {
    stdout += c;
    pending += c;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) { onLine(pending.slice(0, nl), child); pending = pending.slice(nl + 1); }
  });
  const done = new Promise((resolve) => child.on('exit', (status, signal) => setTimeout(() => resolve({ status, signal, stdout, stderr }), 50)));
  return { child, done };
}

const s = suite('cli robustness (issue 15)');

// ---------------------------------------------------------------------------------
// 1. Finishing is idempotent.

s('1: resume of a finished checkpoint writes the outputs, the same as the uninterrupted run, and again', () => {
  const dir = join(root, 'finished');
  mkdirSync(dir);
  copyFileSync(join(whole, 'checkpoint.fsam'), join(dir, 'checkpoint.fsam'));
  for (let i = 0; i < 2; i++) {
    const r = run(['resume', '--checkpoint', join(dir, 'checkpoint.fsam')]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /the run finished all 4 epochs; writing its outputs/);
    assert.ok(weightsOf(dir).equals(weightsOf(whole)), 'final weights are bitwise equal');
    assert.equal(readFileSync(join(dir, 'model/model.json'), 'utf8'), readFileSync(join(whole, 'model/model.json'), 'utf8'));
    assert.equal(comparable(summaryOf(dir)), comparable(summaryOf(whole)));
    assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /<h2>Configuration<\/h2>/);
  }
  const fewer = run(['resume', '--checkpoint', join(dir, 'checkpoint.fsam'), '--epochs', '3']);
  assert.is(fewer.status, 2);
  assert.match(oneLine(fewer), /already trained 4 epochs; --epochs 3 would undo some/);
});

for (const signal of ['SIGINT', 'SIGKILL']) {
  s(`1: ${signal} right after the last epoch's line loses nothing: resume finishes the run`, async () => {
    const cut = join(root, `cut-${signal}`);
    let sent = false;
    const { done } = start(['personalize', ...TINY, '--epochs', '4', '--out', cut], (line, child) => {
      if (!sent && /epoch 4\/4/.test(line)) { sent = true; child.kill(signal); }
    });
    const r = await done;
    assert.ok(sent, 'the last epoch was reached');
    if (signal === 'SIGINT' && r.status !== 0) {
      assert.is(r.status, 130, r.stderr);
      assert.match(oneLine(r), /^fsam-edge: interrupted \(SIGINT\) (during epoch|while writing the outputs)/);
    }
    assert.not.ok(existsSync(join(cut, '.fsam-edge.lock')) && signal === 'SIGINT', 'Ctrl-C releases the lock');
    const c = run(['resume', '--checkpoint', join(cut, 'checkpoint.fsam')]);
    assert.is(c.status, 0, c.stderr);
    assert.ok(weightsOf(cut).equals(weightsOf(whole)), 'final weights are bitwise equal');
    assert.equal(comparable(summaryOf(cut)).runs, comparable(summaryOf(whole)).runs);
  });
}

// ---------------------------------------------------------------------------------
// 3. Resume from anywhere.

s('3: resume from another working directory, and with --data after the data moved', () => {
  const cwd = join(root, 'cwd');
  mkdirSync(cwd);
  copyFileSync(csv, join(cwd, 'mine.csv'));
  const args = ['personalize', '--model', modelPath, '--data', 'mine.csv', '--batch-size', '16', '--lr', '0.05', '--seed', '3', '--epochs', '4', '--stop-after', '2'];
  assert.is(run([...args, '--out', 'a'], { cwd }).status, 0);
  const elsewhere = run(['resume', '--checkpoint', join(cwd, 'a', 'checkpoint.fsam')], { cwd: tmpdir() });
  assert.is(elsewhere.status, 0, elsewhere.stderr);
  assert.ok(weightsOf(join(cwd, 'a')).equals(weightsOf(whole)), 'the same data, so the same run as the uninterrupted one');
  assert.is(run([...args, '--out', 'b'], { cwd }).status, 0);
  mkdirSync(join(root, 'moved'));
  renameSync(join(cwd, 'mine.csv'), join(root, 'moved', 'mine.csv'));
  const lost = run(['resume', '--checkpoint', join(cwd, 'b', 'checkpoint.fsam')], { cwd: tmpdir() });
  assert.is(lost.status, 2);
  assert.match(oneLine(lost), /mine\.csv is not there any more; give its new place with resume --data PATH/);
  const found = run(['resume', '--checkpoint', join(cwd, 'b', 'checkpoint.fsam'), '--data', join(root, 'moved', 'mine.csv')], { cwd: tmpdir() });
  assert.is(found.status, 0, found.stderr);
  assert.ok(weightsOf(join(cwd, 'b')).equals(weightsOf(whole)));
  writeFileSync(join(root, 'other.csv'), csvOf(blobs(150, 8)));
  const wrong = run(['resume', '--checkpoint', join(split, 'checkpoint.fsam'), '--data', join(root, 'other.csv'), '--out', join(root, 'wrong')]);
  assert.is(wrong.status, 2);
  assert.match(oneLine(wrong), /changed since the checkpoint was written \(SHA-256 differs\)/);
});

// ---------------------------------------------------------------------------------
// 4. One run per --out.

s('4: a second run on the same --out is refused, naming the first; a lock left by kill -9 is taken over', async () => {
  const out = join(root, 'locked');
  let second;
  const { child, done } = start(['personalize', ...TINY, '--epochs', '5000', '--out', out], (line, c) => {
    if (!second && /epoch +1\/5000/.test(line)) {
      second = run(['personalize', ...TINY, '--epochs', '1', '--out', out]);
      c.kill('SIGKILL');
    }
  });
  const first = await done;
  assert.ok(second, `the first run trained: ${first.stderr}`);
  assert.is(second.status, 2);
  assert.match(oneLine(second), new RegExp(`--out .*locked is in use by process ${child.pid} \\(fsam-edge personalize, started `));
  assert.is(second.stdout, '', 'nothing was trained');
  assert.ok(existsSync(join(out, '.fsam-edge.lock')), 'kill -9 leaves its lock');
  const third = run(['personalize', ...TINY, '--epochs', '1', '--out', out]);
  assert.is(third.status, 0, third.stderr);
  assert.not.ok(existsSync(join(out, '.fsam-edge.lock')), 'released at the end');
});

// ---------------------------------------------------------------------------------
// 5. Outputs describe one run, fully.

s('5: compare into an --out with an older model/ removes it; summary.json and report.html record the configuration', () => {
  const out = join(root, 'compare-over');
  assert.is(run(['personalize', ...TINY, '--epochs', '1', '--out', out]).status, 0);
  assert.ok(existsSync(join(out, 'model/model.json')));
  const removes = (more) => {
    const r = run(['compare', ...TINY, '--optimizers', 'sgd,fsam', '--epochs', '2', '--rho', '0.1', '--lambda', '0.5', '--out', out]);
    assert.is(r.status, 0, r.stderr);
    more();
  };
  // Beside the model: an orphan shard, an older layout's weights.bin and a file of the user's.
  writeFileSync(join(out, 'model/weights.0123456789abcdef.bin'), 'orphan');
  writeFileSync(join(out, 'model/weights.bin'), 'older');
  writeFileSync(join(out, 'model/notes.txt'), 'mine');
  removes(() => assert.equal(readdirSync(join(out, 'model')), ['notes.txt'], "fsam-edge's model files go, nothing else"));
  rmSync(join(out, 'model/notes.txt'));
  assert.is(run(['personalize', ...TINY, '--epochs', '1', '--out', out]).status, 0);
  removes(() => assert.not.ok(existsSync(join(out, 'model')), 'no model of another run beside the comparison'));
  const { config, versions } = summaryOf(out);
  assert.equal([config.seed, config.epochs, config.batchSize, config.maxMemory], [3, 2, 16, null]);
  assert.is(config.model, modelPath);
  assert.equal([config.data.kind, config.data.path], ['file', csv]);
  assert.equal(config.optimizers.map((o) => [o.name, o.learningRate, o.rho, o.sigma, o.lambda]), [['sgd', 0.05, 0.1, 1, 0.5], ['fsam', 0.05, 0.1, 1, 0.5]]);
  assert.equal(Object.keys(versions), ['fsam-edge', 'tfjs-core', 'tfjs-layers', 'tfjs-backend-wasm', 'node']);
  assert.is(versions['fsam-edge'], JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  const html = readFileSync(join(out, 'report.html'), 'utf8');
  for (const text of ['<h2>Configuration</h2>', csv, 'seed</td>', 'learningRate=0.05', 'lambda=0.5', 'tfjs-core 4.22.0']) assert.ok(html.includes(text), text);
});

// ---------------------------------------------------------------------------------
// 6, 7, 8. Untrusted model files and checkpoints, and --out: one line, exit 2, --out untouched.

const guarded = join(root, 'guarded');
cpSync(whole, guarded, { recursive: true });
const manifest = JSON.parse(readFileSync(modelPath, 'utf8'));
const shardPath = shardOf(join(root, 'tiny')), shardName = shardPath.slice(shardPath.lastIndexOf('/') + 1);
const shardBytes = readFileSync(shardPath);
const [firstWeight] = manifest.weightsManifest[0].weights;

/** A model folder under root/models/<name>: model.json from `edit(manifest copy)`, shards as given. */
function modelVariant(name, edit, shards = { [shardName]: shardBytes }) {
  const dir = join(root, 'models', name);
  mkdirSync(dir, { recursive: true });
  const m = structuredClone(manifest);
  edit(m);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(m));
  for (const [f, bytes] of Object.entries(shards)) writeFileSync(join(dir, f), bytes);
  return join(dir, 'model.json');
}
writeFileSync(join(root, 'secret.bin'), shardBytes);
const linked = modelVariant('symlink', () => {}, {});
symlinkSync(join(root, 'secret.bin'), join(root, 'models', 'symlink', shardName));
const nan = Buffer.from(shardBytes);
nan.writeFloatLE(NaN, 4 * 5);
const flipped = Buffer.from(shardBytes);
flipped[100] ^= 0x01;
/** The manifest naming its shard weights.bin, as tfjs-node does: a name without a checksum, so the bytes reach the value checks. */
const legacyName = (m) => { m.weightsManifest[0].paths = ['weights.bin']; };

const MODEL_CASES = [
  ['a shard path to /dev/zero', modelVariant('devzero', (m) => { m.weightsManifest[0].paths = ['/dev/zero']; }), /weights path "\/dev\/zero" is not relative to the model's folder/],
  ['a shard path out of the folder', modelVariant('escape', (m) => { m.weightsManifest[0].paths = ['../../secret.bin']; }), /weights path "\.\.\/\.\.\/secret\.bin" leads outside the model's folder/],
  ['a shard that is a symbolic link out of the folder', linked, /leads outside the model's folder \(through a symbolic link\)/],
  ['extra bytes in a shard', modelVariant('extra', () => {}, { [shardName]: Buffer.concat([shardBytes, Buffer.alloc(4)]) }), /weightsManifest\[0\]'s shard files hold 272 bytes \(weights\.[0-9a-f]{16}\.bin 272\) but its weights need exactly 268/],
  ['a short shard', modelVariant('short', () => {}, { [shardName]: shardBytes.subarray(0, 200) }), /hold 200 bytes .* need exactly 268/],
  ['weightsManifest [{}]', modelVariant('empty-group', (m) => { m.weightsManifest = [{}]; }), /weightsManifest\[0\]\.paths is undefined, not a list of file names/],
  ['weightsManifest [null]', modelVariant('null-group', (m) => { m.weightsManifest = [null]; }), /weightsManifest\[0\] is null, not a weight group/],
  ['weights: null', modelVariant('null-weights', (m) => { m.weightsManifest[0].weights = null; }), /weightsManifest\[0\]\.weights is null, not a list of weight entries/],
  ['paths: [7]', modelVariant('number-path', (m) => { m.weightsManifest[0].paths = [7]; }), /weightsManifest\[0\]\.paths\[0\] is 7, not a file name/],
  ['a weight of negative size', modelVariant('negative', (m) => { m.weightsManifest[0].weights[0].shape = [-4, 8]; }), /shape \[-4,8\] has a size that is not an integer >= 0/],
  ['a shard with one byte flipped', modelVariant('flipped', () => {}, { [shardName]: flipped }),
    new RegExp(`weights file .*models/flipped/${shardName.replace(/\./g, '\\.')} does not match the checksum in its name: damaged or edited`)],
  ['a NaN weight', modelVariant('nan', legacyName, { 'weights.bin': nan }),
    new RegExp(`weight '${firstWeight.name}' \\(layer ${firstWeight.name.split('/')[0]}\\) is NaN at index 5 \\(\\[0, 5\\]\\)`)],
  ['a missing shard', modelVariant('missing', () => {}, {}), /cannot read weights file .*weights\.[0-9a-f]{16}\.bin.*: no such file/],
  ['/dev/zero as model.json', '/dev/zero', /model \/dev\/zero is not a regular file/],
];

for (const [what, model, message] of MODEL_CASES) {
  s(`6: ${what}: one line, exit 2, --out untouched`, () => {
    const before = snapshot(guarded);
    const r = run(['personalize', '--model', model, '--data', csv, '--epochs', '1', '--out', guarded], { timeout: 60_000 });
    assert.is(r.status, 2, `exit status (stderr: ${r.stderr})`);
    assert.match(oneLine(r), message);
    assert.equal(snapshot(guarded), before);
  });
}

const ckPath = join(split, 'checkpoint.fsam');
/** The split run's checkpoint with its header edited, re-checksummed, as a file in its own folder. */
function editedCheckpoint(name, edit, editBlobs = () => {}) {
  const { header, blob } = cli.checkpoint.decodeCheckpoint(readFileSync(ckPath), ckPath);
  const { blobs: refs, ...rest } = header;
  const blobsOut = Object.fromEntries(Object.keys(refs).map((k) => [k, Uint8Array.from(blob(k))]));
  edit(rest);
  editBlobs(blobsOut);
  const dir = join(root, 'checkpoints', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'checkpoint.fsam'), cli.checkpoint.encodeCheckpoint(rest, blobsOut));
  return join(dir, 'checkpoint.fsam');
}

const CHECKPOINT_CASES = [
  ['an unknown optimizer', (h) => { h.config.optimizer.name = 'adam'; }, /config\.optimizer\.name is "adam"; expected one of fsam, sam, sgd, adamw/],
  ['a config that is not an object', (h) => { h.config = 'fast'; }, /config is "fast"; expected an object/],
  ['a bad hyperparameter', (h) => { h.config.optimizer.lambda = 1; }, /config\.optimizer: lambda must be in \[0, 1\), got 1/],
  ['history: null', (h) => { h.progress.history = null; }, /progress\.history is null; expected a list of 2 epoch records/],
  ['epochsDone: -5', (h) => { h.progress.epochsDone = -5; }, /progress\.epochsDone is -5; expected an integer in 1\.\.4/],
  ['batchSize: 0', (h) => { h.config.batchSize = 0; }, /config\.batchSize is 0; expected an integer in 1\.\.1048576/],
  ['more micro-batches than examples in a batch', (h) => { h.config.accumulate = 17; }, /config\.accumulate is 17; expected an integer in 1\.\.16/],
  ['a data spec of unknown kind', (h) => { h.config.data.kind = 'url'; }, /config\.data\.kind is "url"/],
  ['model weight specs that do not match the bytes', (h) => { h.model.weightSpecs[0].shape = [4, 9]; }, /model\.weightSpecs need 284 bytes but the checkpoint holds 268/],
  ['optimizer specs that are not a list', (h) => { h.optimizer.specs = { a: 1 }; }, /optimizer\.specs is \{"a":1\}, not a list of weight entries/],
  ['a NaN in the model weights', () => {}, /weight '.*' \(layer .*\) is NaN at index 0/, (b) => { new DataView(b.modelWeights.buffer).setFloat32(0, NaN, true); }],
];

for (const [what, edit, message, editBlobs] of CHECKPOINT_CASES) {
  s(`7: a re-checksummed checkpoint with ${what}: one line, exit 2, nothing written`, () => {
    const path = editedCheckpoint(what.replace(/\W+/g, '-'), edit, editBlobs);
    const before = snapshot(join(path, '..'));
    const r = run(['resume', '--checkpoint', path]);
    assert.is(r.status, 2, `exit status (stderr: ${r.stderr})`);
    assert.match(oneLine(r), message);
    assert.equal(snapshot(join(path, '..')), before);
  });
}

writeFileSync(join(root, 'a-file'), 'not a directory');
const OUT_CASES = [
  ['under a file', join(root, 'a-file', 'sub'), /--out .*a-file\/sub cannot be created: a part of the path is a file, not a directory/],
  ['in /proc', '/proc/fsam-edge-xyz', /--out \/proc\/fsam-edge-xyz cannot be created/],
];
for (const [what, out, message] of OUT_CASES) {
  s(`8: --out ${what}: one line, exit 2, before any training`, () => {
    const r = run(['personalize', ...TINY, '--epochs', '1', '--out', out], { timeout: 60_000 });
    assert.is(r.status, 2, `exit status (stderr: ${r.stderr})`);
    assert.match(oneLine(r), message);
    assert.not.match(r.stdout, /epoch/);
  });
}

s('8: a read-only --out (an unprivileged user): one line, exit 2, before any training', () => {
  const out = join(root, 'read-only');
  mkdirSync(out, { mode: 0o555 });
  chmodSync(out, 0o555);
  // As root every folder is writable: run as "nobody" then (the repository must be readable by all).
  const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const r = spawnSync(process.execPath, [BIN, 'personalize', ...TINY, '--epochs', '1', '--out', out],
    { encoding: 'utf8', env: { ...process.env, FSAM_EDGE_CACHE: cache }, timeout: 60_000, cwd: root, ...asUser });
  assert.is(r.status, 2, `exit status (stderr: ${r.stderr})`);
  assert.match(oneLine(r), /--out .*read-only is not writable: permission denied/);
  assert.not.match(r.stdout, /epoch/);
});

// ---------------------------------------------------------------------------------
// 9. Minor cases.

s('9: SIGINT before the first epoch: status 130 and one line saying nothing was written', async () => {
  let sent = false;
  const { done } = start(['personalize', '--epochs', '1', '--out', join(root, 'early')], (line, child) => {
    if (!sent && /training the base CNN/.test(line)) { sent = true; child.kill('SIGINT'); }
  }, { env: { FSAM_EDGE_CACHE: join(root, 'fresh-cache') } });
  const r = await done;
  assert.ok(sent);
  assert.is(r.status, 130, `status ${r.status}, signal ${r.signal}`);
  assert.is(oneLine(r), 'fsam-edge: interrupted (SIGINT) before the first epoch finished; no checkpoint was written');
  assert.not.ok(existsSync(join(root, 'early')), 'the --out it created is removed again');
});

s('9: error texts: no repeated command name, a positive learning rate said as such', () => {
  const cases = [
    [['personalize', '--bogus'], 'fsam-edge personalize: unknown flag --bogus (see fsam-edge personalize --help)'],
    [['personalize', '--lr', '0'], 'fsam-edge personalize: --lr must be > 0, got 0'],
    [['resume', 'x'], "fsam-edge resume: unexpected argument 'x' (flags start with --; see fsam-edge resume --help)"],
  ];
  for (const [args, line] of cases) {
    const r = run(args);
    assert.is(r.status, 2);
    assert.is(oneLine(r), line);
  }
});

s('9: loading a CSV takes about its float32 data in memory, not several times the file', () => {
  // 60,000 rows of 100 features: 48 MiB of text, 23 MiB as float32.
  const d = 100, rows = 60_000;
  const path = join(root, 'big.csv');
  const row = (i) => Array.from({ length: d }, (_, j) => ((i * 31 + j * 17) % 1000 / 1000 + 0.0001).toFixed(5)).join(',') + `,${i % 3}\n`;
  const parts = [];
  for (let i = 0; i < rows; i++) parts.push(row(i));
  writeFileSync(path, parts.join(''));
  const script = `
    const { data } = await import(${JSON.stringify(new URL('../dist/cli.js', import.meta.url).href)});
    const base = process.memoryUsage().rss;
    const { set } = data.readDataset(${JSON.stringify(path)}, { shape: [${d}], numClasses: 3 });
    console.log(JSON.stringify({ rows: set.labels.length, base, peak: process.resourceUsage().maxRSS * 1024 }));
  `;
  // The loader's peak is the same every run; what else the process does meanwhile only adds
  // to it (once, in a fresh clone on a loaded machine, 78 MiB instead of the usual 31–33):
  // the least growth of three runs, each in a fresh process.
  const growths = [];
  for (let k = 0; k < 3; k++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    assert.is(r.status, 0, r.stderr);
    const { rows: n, base, peak } = JSON.parse(r.stdout);
    assert.is(n, rows);
    growths.push(peak - base);
  }
  const dataBytes = rows * (d + 1) * 4;
  const grew = Math.min(...growths);
  console.log(`    CSV of ${(readFileSync(path).length / 2 ** 20).toFixed(0)} MiB, ${(dataBytes / 2 ** 20).toFixed(0)} MiB as float32: peak RSS grew ${(grew / 2 ** 20).toFixed(0)} MiB while loading (least of ${growths.map((g) => (g / 2 ** 20).toFixed(0)).join(', ')})`);
  assert.ok(grew < dataBytes + 48 * 2 ** 20, `peak RSS grew ${grew} bytes for ${dataBytes} bytes of data`);
});

s.after(() => {
  try { chmodSync(join(root, 'read-only'), 0o755); } catch { /* not made */ }
  rmSync(root, { recursive: true, force: true });
});
s.run();

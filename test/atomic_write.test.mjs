// The order of an atomic write's system calls, through a recording fs: the data is
// written and fsynced before the close, the rename comes after the close, and the
// directory is fsynced after the rename. kill -9 cannot test this (the page cache keeps
// written data), so without this test dropping an fsync would pass every other test.
// Both faces of src/io/atomic_write.ts: the CLI's synchronous writes (node:fs), and the
// file:// model handler's asynchronous ones (node:fs/promises), driven by model.save().
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { shardOf, weightFilesOf } from './support/model_folder.mjs';

const { ready, checkpoint, tf, layers, fileSystem } = await import('../dist/cli.js');
await ready();
const root = mkdtempSync(join(tmpdir(), 'fsam-edge-atomic-'));
const s = suite('atomic writes');

/** node:fs, with every call recorded as [call, path]; an fd is named by the path it was opened on. */
function recordingFs(failOn) {
  const calls = [], fdPath = new Map();
  const name = (p) => (p.startsWith(root) ? p.slice(root.length + 1) || '.' : p).replace(/\.tmp-.*$/, '.tmp');
  const fail = (call) => { if (failOn === call) throw Object.assign(new Error(`${call}: ENOSPC (injected)`), { code: 'ENOSPC' }); };
  const rec = {
    openSync(p, flags, mode) { const fd = fs.openSync(p, flags, mode); fdPath.set(fd, name(p)); calls.push(['open', name(p)]); return fd; },
    writeSync(fd, b, o, l) { calls.push(['write', fdPath.get(fd)]); fail('write'); return fs.writeSync(fd, b, o, Math.min(l, 1000)); },
    fsyncSync(fd) { calls.push(['fsync', fdPath.get(fd)]); fail('fsync'); fs.fsyncSync(fd); },
    closeSync(fd) { calls.push(['close', fdPath.get(fd)]); fs.closeSync(fd); },
    renameSync(a, b) { calls.push(['rename', `${name(a)} -> ${name(b)}`]); fail('rename'); fs.renameSync(a, b); },
    unlinkSync(p) { calls.push(['unlink', name(p)]); fs.unlinkSync(p); },
    readdirSync(p) { calls.push(['readdir', name(p)]); return fs.readdirSync(p); },
    mkdirSync(p, o) { calls.push(['mkdir', name(p)]); return fs.mkdirSync(p, o); },
  };
  return { fs: rec, calls };
}

s('write, fsync the file, close, rename, fsync the directory — in that order', () => {
  const path = join(root, 'a', 'checkpoint.fsam');
  const bytes = Uint8Array.from({ length: 2500 }, (_, i) => i % 256);
  const { fs: rec, calls } = recordingFs();
  checkpoint.writeFileAtomic(path, bytes, rec);
  assert.equal(readFileSync(path), Buffer.from(bytes));
  const tmp = 'a/checkpoint.fsam.tmp';
  assert.equal(calls, [
    ['mkdir', 'a'], ['readdir', 'a'],
    ['open', tmp], ['write', tmp], ['write', tmp], ['write', tmp], ['fsync', tmp], ['close', tmp],
    ['rename', `${tmp} -> a/checkpoint.fsam`],
    ['open', 'a'], ['fsync', 'a'], ['close', 'a'],
  ]);
});

for (const failOn of ['write', 'fsync', 'rename']) {
  s(`a failed ${failOn} leaves the old file and no temporary`, () => {
    const path = join(root, `b-${failOn}`, 'summary.json');
    fs.mkdirSync(join(root, `b-${failOn}`));
    writeFileSync(path, 'old');
    const { fs: rec, calls } = recordingFs(failOn);
    assert.throws(() => checkpoint.writeFileAtomic(path, new Uint8Array(10), rec), /ENOSPC/);
    assert.is(readFileSync(path, 'utf8'), 'old');
    assert.equal(readdirSync(join(root, `b-${failOn}`)), ['summary.json']);
    if (failOn !== 'rename') assert.not.ok(calls.some(([c]) => c === 'rename'), 'no rename after a failed write');
    assert.equal(calls.slice(-2).map(([c]) => c), [failOn === 'rename' ? 'rename' : 'close', 'unlink']);
  });
}

s('temporaries of a writer that died are removed by the next write', () => {
  const dir = join(root, 'c');
  fs.mkdirSync(dir);
  writeFileSync(join(dir, 'model.json.tmp-123-abc'), 'half');
  checkpoint.writeFileAtomic(join(dir, 'model.json'), new TextEncoder().encode('{}'));
  assert.equal(readdirSync(dir).map((n) => basename(n)), ['model.json']);
});


/** node:fs/promises, with every call (and every call on a file it opened) recorded as [call, path]. */
function recordingFsPromises(failOn) {
  const calls = [];
  const name = (p) => (p.startsWith(root) ? p.slice(root.length + 1) || '.' : p).replace(/\.tmp-.*$/, '.tmp');
  const fail = (call, p) => { if (failOn?.call === call && name(p).replace(/\.tmp$/, '').endsWith(failOn.file)) throw Object.assign(new Error(`${call}: ENOSPC (injected)`), { code: 'ENOSPC' }); };
  const rec = {
    async realpath(p) { calls.push(['realpath', name(p)]); return fsp.realpath(p); },
    async stat(p) { calls.push(['stat', name(p)]); return fsp.stat(p); },
    async readFile(p) { calls.push(['readFile', name(p)]); return fsp.readFile(p); },
    async mkdir(p) { calls.push(['mkdir', name(p)]); return fsp.mkdir(p); },
    async readdir(p) { calls.push(['readdir', name(p)]); return fsp.readdir(p); },
    async rename(a, b) { calls.push(['rename', `${name(a)} -> ${name(b)}`]); fail('rename', b); return fsp.rename(a, b); },
    async unlink(p) { calls.push(['unlink', name(p)]); return fsp.unlink(p); },
    async open(p, flags, mode) {
      const file = await fsp.open(p, flags, mode), at = name(p);
      calls.push(['open', at]);
      return {
        async write(b, o, l) { calls.push(['write', at]); fail('write', at); return file.write(b, o, Math.min(l, 1000)); },
        async sync() { calls.push(['fsync', at]); fail('fsync', at); return file.sync(); },
        async close() { calls.push(['close', at]); return file.close(); },
      };
    },
  };
  return { fs: rec, calls };
}

/** A small model whose weights are 4·(3·700 + 700) = 11,200 bytes, set from `seed`. */
function model(seed) {
  const m = layers.sequential({ name: 'm', layers: [layers.layers.dense({ name: 'd', inputShape: [3], units: 700 })] }); // fixed names: the same seed, the same model.json
  const values = m.getWeights().map((w, i) => tf.fill(w.shape, seed + i));
  m.setWeights(values);
  tf.dispose(values);
  return m;
}

const atomicCalls = (dir, file, writes) => [
  ['readdir', dir],
  ['open', `${dir}/${file}.tmp`], ...Array(writes).fill(['write', `${dir}/${file}.tmp`]), ['fsync', `${dir}/${file}.tmp`], ['close', `${dir}/${file}.tmp`],
  ['rename', `${dir}/${file}.tmp -> ${dir}/${file}`],
  ['open', dir], ['fsync', dir], ['close', dir],
];

/** The name fsam-edge gives weight bytes, from node:crypto (an independent SHA-256). */
const checksumName = (bytes) => `weights.${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.bin`;
/** The bytes of a model's weights, as model.save() writes them. */
const bytesOf = (m) => Buffer.concat(m.getWeights().map((w) => Buffer.from(w.dataSync().buffer)));
/** The weights of the model the folder loads, as arrays (for assert.equal). */
async function loadedWeights(dir) {
  const back = await layers.loadLayersModel(fileSystem(dir));
  const w = back.getWeights().map((t) => Array.from(t.dataSync()));
  back.dispose();
  return w;
}
const weightsOfSeed = (seed) => { const m = model(seed); const w = m.getWeights().map((t) => Array.from(t.dataSync())); m.dispose(); return w; };
const OLD = weightsOfSeed(1), NEW = weightsOfSeed(5);
async function saveSeed(dir, seed, opts) {
  const m = model(seed);
  try { return await m.save(fileSystem(dir, opts)); } finally { m.dispose(); }
}

s("model.save('file://…'): the weights under their checksum's name, then model.json naming them — each written, fsynced, closed, renamed, then the folder fsynced", async () => {
  const { fs: rec, calls } = recordingFsPromises();
  const m = model(1), shard = checksumName(bytesOf(m));
  await m.save(fileSystem(join(root, 'm'), { fs: rec }));
  m.dispose();
  assert.equal(calls, [
    ['stat', 'm'], // save: is it a folder?
    ['stat', 'm'], ['stat', '.'], ['mkdir', 'm'], // mkdir -p
    ...atomicCalls('m', shard, 12), // 11,200 bytes, at most 1000 per write
    ...atomicCalls('m', 'model.json', 1), // the commit
    ['readdir', 'm'], ['readFile', 'm/model.json'], // stale weight files (what model.json names now is kept): none
    ['stat', `m/${shard}`], // still there (a concurrent save's clean-up did not take it)
  ]);
  assert.equal(readdirSync(join(root, 'm')).sort(), ['model.json', shard]);
  assert.equal(weightFilesOf(join(root, 'm')), [shard]);
  assert.equal(await loadedWeights(join(root, 'm')), OLD);
});

s('model.save over a saved model: the new weights beside the old, model.json, then the old weights removed; the same bytes again remove nothing', async () => {
  const dir = join(root, 'over');
  await saveSeed(dir, 1);
  const oldShard = checksumName(readFileSync(shardOf(dir)));
  const { fs: rec, calls } = recordingFsPromises();
  const m = model(5), shard = checksumName(bytesOf(m));
  await m.save(fileSystem(dir, { fs: rec }));
  assert.equal(calls, [
    ['stat', 'over'], ['stat', 'over'],
    ...atomicCalls('over', shard, 12),
    ...atomicCalls('over', 'model.json', 1),
    ['readdir', 'over'], ['readFile', 'over/model.json'], ['unlink', `over/${oldShard}`],
    ['stat', `over/${shard}`],
  ]);
  assert.equal(readdirSync(dir).sort(), ['model.json', shard]);
  const again = recordingFsPromises();
  await m.save(fileSystem(dir, { fs: again.fs }));
  m.dispose();
  assert.not.ok(again.calls.some(([c]) => c === 'unlink'), 'nothing removed');
  assert.equal(readdirSync(dir).sort(), ['model.json', shard]);
  assert.equal(await loadedWeights(dir), NEW);
});

/**
 * node:fs/promises whose call number `failAt` fails (ENOSPC) and the rest run, or whose
 * calls from number `crashAt` on never happen (the process died there): nothing after
 * it is done, not even cleanup. Files it opened and never closed are closed by `end()`.
 */
function steppingFs({ failAt = -1, crashAt = Infinity } = {}) {
  let n = 0;
  const open = new Set();
  const step = () => {
    const k = n++;
    if (k >= crashAt) throw Object.assign(new Error('crashed (injected)'), { code: 'ECRASH' });
    if (k === failAt) throw Object.assign(new Error(`ENOSPC (injected at step ${k})`), { code: 'ENOSPC' });
  };
  const fs = {
    async realpath(p) { step(); return fsp.realpath(p); },
    async stat(p) { step(); return fsp.stat(p); },
    async readFile(p) { step(); return fsp.readFile(p); },
    async mkdir(p) { step(); return fsp.mkdir(p); },
    async readdir(p) { step(); return fsp.readdir(p); },
    async rename(a, b) { step(); return fsp.rename(a, b); },
    async unlink(p) { step(); return fsp.unlink(p); },
    async open(p, flags, mode) {
      step();
      const file = await fsp.open(p, flags, mode);
      open.add(file);
      return {
        async write(b, o, l) { step(); return file.write(b, o, Math.min(l, 1000)); },
        async sync() { step(); return file.sync(); },
        async close() { step(); open.delete(file); return file.close(); },
      };
    },
  };
  return { fs, steps: () => n, end: () => Promise.all([...open].map((f) => f.close())) };
}

/** The two layouts a save may replace: fsam-edge's (weights.<checksum>.bin) and the older weights.bin (tfjs-node's too). */
const LAYOUTS = {
  checksummed: async (dir) => { await saveSeed(dir, 1); },
  'weights.bin': async (dir) => {
    await saveSeed(dir, 1);
    const shard = shardOf(dir), json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['weights.bin'];
    fs.renameSync(shard, join(dir, 'weights.bin'));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  },
};

for (const [layout, saveOld] of Object.entries(LAYOUTS)) {
  s(`model.save over a model (${layout}) that fails at, or dies before, every step: the folder loads the old model or the new, whole; the next save leaves only the new`, async () => {
    const ref = join(root, `pair-${layout}-ref`);
    await saveOld(ref);
    const clean = steppingFs();
    await saveSeed(ref, 5, { fs: clean.fs });
    const steps = clean.steps(), newJson = readFileSync(join(ref, 'model.json')), newShard = basename(shardOf(ref));
    assert.ok(steps > 30, `${steps} steps`);
    let seenOld = 0, seenNew = 0;
    for (const mode of ['fail', 'crash']) {
      for (let k = 0; k < steps; k++) {
        const dir = join(root, `pair-${layout}-${mode}-${k}`);
        await saveOld(dir);
        const oldJson = readFileSync(join(dir, 'model.json')), oldShard = weightFilesOf(dir)[0];
        const stepping = steppingFs(mode === 'fail' ? { failAt: k } : { crashAt: k });
        const outcome = await saveSeed(dir, 5, { fs: stepping.fs }).then(() => 'saved', (err) => err);
        await stepping.end();
        const at = `${mode} at step ${k} of ${steps}`;
        if (mode === 'fail' && outcome !== 'saved') assert.match(outcome.message, /^cannot save a model into .*: ENOSPC \(injected at step \d+\)$/, at);
        const json = readFileSync(join(dir, 'model.json'));
        const isNew = json.equals(newJson);
        assert.ok(isNew || json.equals(oldJson), `${at}: model.json is the old one or the new one`);
        assert.equal(await loadedWeights(dir), isNew ? NEW : OLD, `${at}: the weights loaded are the ones saved with this (${isNew ? 'new' : 'old'}) model.json`);
        if (mode === 'fail') assert.is(isNew, outcome === 'saved', `${at}: a save that rejected left the old model, one that resolved the new`);
        isNew ? seenNew++ : seenOld++;
        const left = readdirSync(dir).filter((n) => !['model.json', oldShard, newShard].includes(n));
        if (mode === 'fail') assert.equal(left, [], `${at}: no temporary left`);
        // The next save (of the same model) removes whatever the interrupted one left.
        await saveSeed(dir, 5);
        assert.equal(readdirSync(dir).sort(), ['model.json', newShard], `${at}: the next save leaves the new pair only`);
        assert.equal(readFileSync(join(dir, 'model.json')), newJson);
        assert.equal(await loadedWeights(dir), NEW);
        rmSync(dir, { recursive: true });
      }
    }
    assert.ok(seenOld > 0 && seenNew > 0, `both outcomes seen: old ${seenOld}, new ${seenNew}`);
  });
}

s('saves into one folder at once, in this process: each runs whole, one after another; the folder loads the last, whole, and holds only its pair', async () => {
  for (let round = 0; round < 10; round++) {
    const dir = join(root, `together-${round}`);
    await saveSeed(dir, 1);
    const seeds = [5, 6, 7];
    const outcomes = await Promise.allSettled(seeds.map((seed) => saveSeed(dir, seed)));
    assert.ok(outcomes.every((o) => o.status === 'fulfilled'), `round ${round}: every save resolved`);
    // One after another, in the order they were asked for: the last one's model is the folder's.
    assert.equal(await loadedWeights(dir), weightsOfSeed(7), `round ${round}`);
    assert.equal(readdirSync(dir).sort(), ['model.json', basename(shardOf(dir))].sort(), `round ${round}: the last pair only`);
  }
});

/** node:fs/promises that runs `hook(call, path)` after each call has been made (for another process's moves in between). */
function hookedFs(hook) {
  const after = (call, p, result) => hook(call, p).then(() => result);
  return {
    realpath: (p) => fsp.realpath(p), stat: (p) => fsp.stat(p), readFile: (p) => fsp.readFile(p), mkdir: (p) => fsp.mkdir(p),
    readdir: (p) => fsp.readdir(p), unlink: (p) => fsp.unlink(p), open: (p, f, m) => fsp.open(p, f, m),
    rename: async (a, b) => after('rename', b, await fsp.rename(a, b)),
  };
}

s("another process's save that commits between this save's commit and its clean-up keeps its weights: the folder loads its model", async () => {
  const dir = join(root, 'interleaved-commit');
  await saveSeed(dir, 1);
  // What the other process commits: seed 6's pair, made in a folder of its own.
  const other = join(root, 'interleaved-commit-other');
  await saveSeed(other, 6);
  const otherShard = basename(shardOf(other)), otherJson = readFileSync(join(other, 'model.json'));
  let done = false;
  const fs6 = hookedFs(async (call, p) => {
    if (done || basename(p) !== 'model.json') return;
    done = true; // right after this save's commit: the other save's weights, then its commit
    fs.copyFileSync(join(other, otherShard), join(dir, otherShard));
    writeFileSync(join(dir, 'model.json'), otherJson);
  });
  await saveSeed(dir, 5, { fs: fs6 });
  assert.ok(done);
  assert.equal(await loadedWeights(dir), weightsOfSeed(6), 'the last commit is the folder\'s model, whole');
  assert.ok(readdirSync(dir).includes(otherShard), 'its weights were kept');
});

s("another process's clean-up that removes this save's weights before its commit: the save puts them back, and the folder loads it", async () => {
  const dir = join(root, 'weights-taken');
  await saveSeed(dir, 1);
  const shard = checksumName(bytesOf(model(5)));
  let taken = false;
  const fs5 = hookedFs(async (call, p) => {
    if (taken || basename(p) !== shard) return;
    taken = true; // right after this save's weights land: another save's clean-up (which read the old model.json) removes them
    fs.unlinkSync(join(dir, shard));
  });
  await saveSeed(dir, 5, { fs: fs5 });
  assert.ok(taken);
  assert.equal(await loadedWeights(dir), NEW);
  assert.equal(readdirSync(dir).sort(), ['model.json', shard]);
});

s('model.save removes only weight files of its own naming: an orphan and weights.bin go; other tools\' shards and the user\'s files stay', async () => {
  const dir = join(root, 'mixed');
  fs.mkdirSync(dir);
  const others = ['group1-shard1of1.bin', 'notes.txt', 'weights.0123.bin', 'weights.0123456789ABCDEF.bin', 'weights.0123456789abcdef.bin.bak', 'my-weights.bin'];
  for (const n of [...others, 'weights.bin', 'weights.0123456789abcdef.bin']) writeFileSync(join(dir, n), 'x');
  await saveSeed(dir, 2);
  assert.equal(readdirSync(dir).sort(), ['model.json', basename(shardOf(dir)), ...others].sort());
});

s('model.save removes the temporaries of a save that died', async () => {
  const dir = join(root, 'stale');
  fs.mkdirSync(dir);
  const shard = checksumName(bytesOf(model(2)));
  writeFileSync(join(dir, `${shard}.tmp-123-abc`), 'half');
  writeFileSync(join(dir, 'model.json.tmp-456-def'), 'half');
  await saveSeed(dir, 2);
  assert.equal(readdirSync(dir).sort(), ['model.json', shard]);
});

s('loading: a weights file whose bytes do not match the checksum in its name is refused, naming it, in one line', async () => {
  const dir = join(root, 'damaged');
  await saveSeed(dir, 3);
  const shard = shardOf(dir), bytes = readFileSync(shard);
  bytes[5000] ^= 0x10; // one bit of one weight: still a finite float, the size unchanged
  writeFileSync(shard, bytes);
  try {
    await layers.loadLayersModel(fileSystem(dir));
    assert.unreachable('loaded');
  } catch (err) {
    assert.is(err.name, 'ModelFileError');
    assert.is(err.message, `weights file ${shard} does not match the checksum in its name: damaged or edited`);
  }
});

s("loading: other tools' names (weights.bin, group1-shard1of1.bin) carry no checksum and load as before; a save over them replaces the pair", async () => {
  for (const name of ['weights.bin', 'group1-shard1of1.bin']) {
    const dir = join(root, `named-${name}`);
    await saveSeed(dir, 4);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    fs.renameSync(shardOf(dir), join(dir, name));
    json.weightsManifest[0].paths = [name];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    assert.equal(await loadedWeights(dir), weightsOfSeed(4), name);
    await saveSeed(dir, 5);
    assert.equal(await loadedWeights(dir), NEW, `${name}: replaced`);
    const kept = name === 'weights.bin' ? [] : [name]; // another tool's naming is never removed
    assert.equal(readdirSync(dir).sort(), ['model.json', basename(shardOf(dir)), ...kept].sort(), name);
  }
});

s.after(() => rmSync(root, { recursive: true, force: true }));
s.run();

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
import { basename, join } from 'node:path';

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

/** A small model whose weights.bin is 4·(3·700 + 700) = 11,200 bytes, with its weights set from `seed`. */
function model(seed) {
  const m = layers.sequential({ layers: [layers.layers.dense({ inputShape: [3], units: 700 })] });
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

s("model.save('file://…'): each file written, fsynced, closed, renamed, then the folder fsynced — the weights first", async () => {
  const { fs: rec, calls } = recordingFsPromises();
  const m = model(1);
  await m.save(fileSystem(join(root, 'm'), { fs: rec }));
  m.dispose();
  assert.equal(calls, [
    ['stat', 'm'], // save: is it a folder?
    ['stat', 'm'], ['stat', '.'], ['mkdir', 'm'], // mkdir -p
    ...atomicCalls('m', 'weights.bin', 12), // 11,200 bytes, at most 1000 per write
    ...atomicCalls('m', 'model.json', 1),
  ]);
  assert.equal(readdirSync(join(root, 'm')).sort(), ['model.json', 'weights.bin']);
  const back = await layers.loadLayersModel(fileSystem(join(root, 'm')));
  assert.equal(Array.from(back.getWeights()[1].dataSync().slice(0, 2)), [2, 2]);
  back.dispose();
});

for (const file of ['weights.bin', 'model.json']) {
  for (const call of ['write', 'fsync', 'rename']) {
    s(`model.save: a failed ${call} of ${file} rejects, leaves the old ${file} and no temporary`, async () => {
      const dir = join(root, `save-${file}-${call}`);
      const old = model(1);
      await old.save(fileSystem(dir));
      old.dispose();
      const before = Object.fromEntries(['model.json', 'weights.bin'].map((f) => [f, readFileSync(join(dir, f))]));
      const { fs: rec, calls } = recordingFsPromises({ call, file });
      const m = model(5);
      try {
        await m.save(fileSystem(dir, { fs: rec }));
        assert.unreachable('save resolved');
      } catch (err) {
        assert.instance(err, Error);
        assert.match(err.message, /cannot save a model into .*ENOSPC \(injected\)/);
      } finally {
        m.dispose();
      }
      assert.equal(readdirSync(dir).sort(), ['model.json', 'weights.bin'], 'no temporary left');
      assert.equal(readFileSync(join(dir, file)), before[file], `the old ${file}`);
      if (file === 'weights.bin') assert.equal(readFileSync(join(dir, 'model.json')), before['model.json'], 'model.json is not written after the weights failed');
      assert.equal(calls.at(-1), ['unlink', `save-${file}-${call}/${file}.tmp`]);
    });
  }
}

s('model.save removes the temporaries of a save that died', async () => {
  const dir = join(root, 'stale');
  fs.mkdirSync(dir);
  writeFileSync(join(dir, 'weights.bin.tmp-123-abc'), 'half');
  writeFileSync(join(dir, 'model.json.tmp-456-def'), 'half');
  const m = model(2);
  await m.save(fileSystem(dir));
  m.dispose();
  assert.equal(readdirSync(dir).sort(), ['model.json', 'weights.bin']);
});

s.after(() => rmSync(root, { recursive: true, force: true }));
s.run();

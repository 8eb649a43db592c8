// The order of an atomic write's system calls, through a recording fs: the data is
// written and fsynced before the close, the rename comes after the close, and the
// directory is fsynced after the rename. kill -9 cannot test this (the page cache keeps
// written data), so without this test dropping an fsync would pass every other test.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const { checkpoint } = await import('../dist/cli.js');
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
    renameSync(a, b) { calls.push(['rename', `${name(a)} -> ${name(b)}`]); fs.renameSync(a, b); },
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

for (const failOn of ['write', 'fsync']) {
  s(`a failed ${failOn} leaves the old file and no temporary`, () => {
    const path = join(root, `b-${failOn}`, 'summary.json');
    fs.mkdirSync(join(root, `b-${failOn}`));
    writeFileSync(path, 'old');
    const { fs: rec, calls } = recordingFs(failOn);
    assert.throws(() => checkpoint.writeFileAtomic(path, new Uint8Array(10), rec), /ENOSPC/);
    assert.is(readFileSync(path, 'utf8'), 'old');
    assert.equal(readdirSync(join(root, `b-${failOn}`)), ['summary.json']);
    assert.not.ok(calls.some(([c]) => c === 'rename'), 'no rename after a failed write');
    assert.equal(calls.slice(-2).map(([c]) => c), ['close', 'unlink']);
  });
}

s('temporaries of a writer that died are removed by the next write', () => {
  const dir = join(root, 'c');
  fs.mkdirSync(dir);
  writeFileSync(join(dir, 'model.json.tmp-123-abc'), 'half');
  checkpoint.writeFileAtomic(join(dir, 'model.json'), new TextEncoder().encode('{}'));
  assert.equal(readdirSync(dir).map((n) => basename(n)), ['model.json']);
});

s.after(() => rmSync(root, { recursive: true, force: true }));
s.run();

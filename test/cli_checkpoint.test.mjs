// Checkpoints: the format refuses every defect by name, and kill -9 at random points of
// a stream of checkpoint writes, 50 times, never leaves a checkpoint that does not load:
// after each kill the file is the last checkpoint fully written or the one being written,
// whole and consistent (its header, model weights and optimizer state from one save).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { rmSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI_URL = new URL('../dist/cli.js', import.meta.url).href;
const cli = await import(CLI_URL);
await cli.ready();
const { tf } = cli;
const { encodeCheckpoint, decodeCheckpoint, loadCheckpoint, CheckpointError, FORMAT_VERSION } = cli.checkpoint;

const root = mkdtempSync(join(tmpdir(), 'fsam-edge-ckpt-'));
const s = suite('cli checkpoint');

s('the format: a round trip, then each defect refused with its own message', () => {
  const blob = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
  const bytes = encodeCheckpoint({ kind: 'test', n: 7 }, { a: blob, b: new Uint8Array(3) });
  const d = decodeCheckpoint(bytes, 'x.fsam');
  assert.is(d.header.n, 7);
  assert.equal(d.blob('a'), blob);
  assert.is(new DataView(bytes.buffer).getUint32(8, true), FORMAT_VERSION);
  const refuse = (b, re) => assert.throws(() => decodeCheckpoint(b, 'x.fsam'), (e) => e instanceof CheckpointError && re.test(e.message));
  refuse(bytes.subarray(0, 20), /x\.fsam: truncated checkpoint/);
  refuse(bytes.subarray(0, bytes.length - 1), /truncated checkpoint \(\d+ bytes, expected \d+\)/);
  refuse(new Uint8Array([...bytes, 0]), /1 unexpected trailing bytes/);
  refuse(new TextEncoder().encode('PK\u0003\u0004 a zip file, not a checkpoint at all........................'), /not an fsam-edge checkpoint/);
  for (const at of [30, 60, 500, bytes.length - 1]) {
    const c = Uint8Array.from(bytes); c[at] ^= 1;
    refuse(c, /corrupt checkpoint \(SHA-256 mismatch\)/);
  }
  const v = Uint8Array.from(bytes); new DataView(v.buffer).setUint32(8, FORMAT_VERSION + 1, true);
  refuse(v, /format version 2 is not supported/);
});

// The writer: saves checkpoint after checkpoint, each stamped k in its config, its
// model weights (≈1.1 MB) and its optimizer state, so a mix of two saves is detectable.
const WRITER = `
const cli = await import(${JSON.stringify(CLI_URL)});
await cli.ready();
const { tf, layers } = cli;
const [path, start] = process.argv.slice(-2);
const model = layers.sequential({ layers: [
  layers.layers.dense({ inputShape: [256], units: 1024, useBias: false }),
  layers.layers.dense({ units: 16, useBias: false }),
] });
process.stdout.write('ready\\n');
for (let k = Number(start); ; k++) {
  model.setWeights(model.getWeights().map((w) => tf.fill(w.shape, k)));
  const optimizerWeights = [{ name: 'iter', tensor: tf.scalar(k, 'int32') }, { name: 'state', tensor: tf.fill([4096], -k) }];
  process.stdout.write('begin ' + k + '\\n');
  await cli.checkpoint.saveCheckpoint(path, { config: { k }, progress: { k }, model, optimizerWeights });
  process.stdout.write('saved ' + k + '\\n');
}
`;

function writer(path, start) {
  return spawn(process.execPath, ['--input-type=module', '-e', WRITER, '--', path, String(start)], { stdio: ['ignore', 'pipe', 'inherit'] });
}

async function checkLoads(path) {
  const ck = await loadCheckpoint(path);
  const k = ck.config.k;
  assert.is(ck.progress.k, k);
  for (const w of ck.model.getWeights()) {
    const v = w.dataSync();
    assert.ok(v.every((x) => x === k), `model weights of checkpoint ${k} are all ${k}`);
  }
  const [iter, state] = ck.optimizerWeights;
  assert.is(iter.tensor.dataSync()[0], k);
  assert.ok(state.tensor.dataSync().every((x) => x === -k));
  tf.dispose(ck.optimizerWeights.map((w) => w.tensor));
  ck.model.dispose();
  return k;
}

s('kill -9 at random points during checkpoint writes, 50 times: the checkpoint always loads', async () => {
  const dir = join(root, 'kill');
  const path = join(dir, 'checkpoint.fsam');
  // A first checkpoint, written whole.
  await new Promise((resolve) => {
    const w = writer(path, 1);
    let buf = '';
    w.stdout.on('data', (c) => { buf += c; if (buf.includes('saved 1')) w.kill('SIGKILL'); });
    w.on('exit', resolve);
  });
  let last = await checkLoads(path);
  let midWrite = 0;
  let seed = 12345;
  const rand = () => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed / 2 ** 32; };
  for (let round = 0; round < 50; round++) {
    let lastBegun = last, lastSaved = last, tail = '';
    await new Promise((resolve) => {
      const w = writer(path, last + 1);
      let buf = '';
      w.stdout.on('data', (c) => {
        buf += c;
        if (buf.startsWith('ready') && !w.armed) {
          w.armed = true;
          setTimeout(() => w.kill('SIGKILL'), rand() * 250);
        }
      });
      w.on('exit', () => {
        for (const line of buf.trim().split('\n')) {
          const [what, k] = line.split(' ');
          if (what === 'begin') lastBegun = Number(k);
          if (what === 'saved') lastSaved = Number(k);
          tail = what;
        }
        resolve();
      });
    });
    if (tail === 'begin') midWrite++;
    const k = await checkLoads(path);
    assert.ok(k === lastSaved || k === lastBegun, `round ${round}: loaded checkpoint ${k}; last saved ${lastSaved}, last begun ${lastBegun}`);
    assert.ok(k >= last, `round ${round}: checkpoints never go back (${k} after ${last})`);
    const temporaries = readdirSync(dir).filter((n) => n !== 'checkpoint.fsam');
    assert.ok(temporaries.length <= 1, `at most the killed writer's temporary file is left: ${temporaries}`);
    last = k;
  }
  console.log(`    kill -9: 50 rounds, ${midWrite} killed between 'begin' and 'saved' of a write, last checkpoint ${last}`);
  assert.ok(midWrite >= 20, `most kills should land inside a write (${midWrite} of 50)`);
});

s('a file that is not a training checkpoint is refused by loadCheckpoint, by name', async () => {
  const p = join(root, 'other.fsam');
  writeFileSync(p, encodeCheckpoint({ kind: 'something-else' }, {}));
  const err = await loadCheckpoint(p).catch((e) => e);
  assert.instance(err, CheckpointError);
  assert.match(err.message, /not a training checkpoint \(kind "something-else"\)/);
  assert.ok(readFileSync(p).length > 0);
});

s.after(() => rmSync(root, { recursive: true, force: true }));
s.run();

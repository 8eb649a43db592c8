// Two processes that find the same stale lock on --out (its owner died) race to take it
// over: exactly one wins each round, the other is refused. Before the takeover was made
// safe, both unlinked the lock and both acquired it (one removed the other's fresh lock).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const { LOCK_NAME, claimOutDir } = await import('../dist/cli.js');
const CHILD = fileURLToPath(new URL('./support/claim_rounds.mjs', import.meta.url));
const ROUNDS = 400, PERIOD = 10;
const root = mkdtempSync(join(tmpdir(), 'fsam-edge-lock-race-'));
const s = suite('--out lock: racing takeovers of a stale lock');

function child(args) {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { err += d; });
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(out.trim().split('\n')) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

s(`${ROUNDS} rounds, two processes claiming the same stale lock at the same instant: exactly one wins each`, async () => {
  // The stale lock: this host, written before "the last reboot" (a boot id that is not this one's).
  const stale = JSON.stringify({ pid: 1, host: hostname(), boot: 'an-earlier-boot', command: 'personalize', started: '2020-01-01T00:00:00.000Z' });
  for (let r = 0; r < ROUNDS; r++) {
    mkdirSync(join(root, `round-${r}`));
    writeFileSync(join(root, `round-${r}`, LOCK_NAME), stale + '\n');
  }
  const start = Date.now() + 1500; // both children loaded by then
  const [a, b] = await Promise.all([child([root, ROUNDS, start, PERIOD]), child([root, ROUNDS, start, PERIOD])]);
  assert.is(a.length, ROUNDS); assert.is(b.length, ROUNDS);
  const both = [], neither = [];
  for (let r = 0; r < ROUNDS; r++) {
    const wins = [a[r], b[r]].filter((l) => l === 'won').length;
    if (wins === 2) both.push(r);
    if (wins === 0) neither.push(`${r}: ${a[r]} | ${b[r]}`);
  }
  assert.equal(both, [], `rounds where both processes hold the lock: ${both.length} of ${ROUNDS}`);
  assert.equal(neither, [], 'rounds where nobody won');
  for (const l of [...a, ...b]) if (l !== 'won') assert.match(l, /--out .*round-\d+ (is in use by process \d+|is being claimed by another process)/);
});

s('a takeover in progress (its marker is fresh) refuses a second taker; one abandoned by a dead process (marker 10 s old) does not block', () => {
  const stale = JSON.stringify({ pid: 1, host: hostname(), boot: 'an-earlier-boot', command: 'personalize', started: '2020-01-01T00:00:00.000Z' });
  for (const [name, age, wins] of [['fresh', 0, false], ['abandoned', 11, true]]) {
    const dir = join(root, `marker-${name}`), lock = join(dir, LOCK_NAME);
    mkdirSync(dir);
    writeFileSync(lock, stale + '\n');
    const id = statSync(lock, { bigint: true });
    const marker = `${lock}.takeover-${id.dev}-${id.ino}-${id.mtimeNs}`;
    writeFileSync(marker, '');
    const then = (Date.now() - age * 1000) / 1000;
    utimesSync(marker, then, then);
    if (!wins) {
      assert.throws(() => claimOutDir(dir, 'test'), /is being claimed by another process \(it is taking over the stale lock/);
      assert.ok(existsSync(lock), 'the stale lock is left to its taker');
      continue;
    }
    const claim = claimOutDir(dir, 'test');
    assert.match(JSON.parse(readFileSync(lock, 'utf8')).command, 'test');
    claim.release();
    assert.equal(readdirSync(dir), [], 'no lock, no marker left');
  }
});

s.after(() => rmSync(root, { recursive: true, force: true }));
s.run();

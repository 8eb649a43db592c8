// --max-memory is the whole run's budget, held from outside: each run here has tfjs-wasm's
// memory capped at its budget the way bench/memory_footprint.mjs caps it (the binary's
// memory maximum rewritten, malloc failing past it: test/support/wasm_heap_hook.mjs), so
// a run the CLI lets through must complete under that cap, and a run it refuses must
// stop before training. On the default task: --max-memory 24MB; both sides of the
// boundary `fsam-edge plan` gives (the bytes needed, and one byte less); --batch-size
// auto; and --accumulate taking a batch the budget refuses whole.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN } from './support/cli_fixture.mjs';

const HOOK = fileURLToPath(new URL('./support/wasm_heap_hook.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'fsam-edge-cli-memory-'));
const cache = join(root, 'cache');
const s = suite('cli memory budget');

/** fsam-edge with tfjs-wasm's memory capped at `cap` bytes (if given); the heap's high water from the hook. */
function run(args, cap) {
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], {
    encoding: 'utf8', timeout: 300_000,
    env: { ...process.env, FSAM_EDGE_CACHE: cache, ...(cap ? { FSAM_EDGE_TEST_WASM_CAP: String(cap) } : {}) },
  });
  const line = r.stderr.split('\n').find((l) => l.startsWith('wasm-heap '));
  const stderr = r.stderr.split('\n').filter((l) => !l.startsWith('wasm-heap ')).join('\n').trim();
  return { status: r.status, stdout: r.stdout, stderr, heap: line ? JSON.parse(line.slice('wasm-heap '.length)) : null };
}

function planned(args) {
  const r = run(['plan', '--json', ...args]);
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const MB24 = 24 * 2 ** 20;

s('the default task with --max-memory 24MB completes under a 24 MB cap on wasm memory, as planned', () => {
  const plan = planned(['--max-memory', '24MB']);
  const r = run(['personalize', '--epochs', '1', '--max-memory', '24MB', '--out', join(root, 'mb24')], MB24);
  assert.is(r.status, 0, r.stderr);
  assert.ok(r.heap.highWater <= MB24 && r.heap.memoryBytes <= MB24, JSON.stringify(r.heap));
  // The plan (made before the base model was cached, so it counts its training too) covers what the run used.
  assert.ok(r.heap.highWater <= plan.memory.peakBytes * 1.05, `high water ${r.heap.highWater}, planned ${plan.memory.peakBytes}`);
  assert.match(r.stdout, /memory plan: wasm heap peaks at .* — budget 24\.00 MiB/);
});

s('on both sides of the boundary: the bytes the plan needs complete under that cap, one byte less is refused before training', () => {
  const { memory } = planned([]);
  const needed = memory.requiredBytes;
  assert.ok(needed % 65536 === 0 && needed >= memory.peakBytes * 1.05, JSON.stringify(memory));
  const fits = run(['personalize', '--epochs', '1', '--max-memory', String(needed), '--out', join(root, 'exact')], needed);
  assert.is(fits.status, 0, fits.stderr);
  assert.ok(fits.heap.highWater <= needed && fits.heap.memoryBytes <= needed, JSON.stringify(fits.heap));
  const out = join(root, 'short');
  const short = run(['personalize', '--epochs', '1', '--max-memory', String(needed - 1), '--out', out], needed - 1);
  assert.is(short.status, 2, short.stderr);
  assert.equal(short.stderr.split('\n').length, 1, short.stderr);
  assert.match(short.stderr, `fsam-edge personalize: --max-memory ${needed - 1} bytes is too small: the run needs ${needed} bytes of wasm memory`);
  assert.not.match(short.stdout, /epoch 1/, 'nothing trained');
  assert.not.ok(existsSync(join(out, 'checkpoint.fsam')), 'nothing written');
});

s('--batch-size auto takes the largest batch that fits, and that run completes under the cap', () => {
  const budget = 12 * 2 ** 20;
  const plan = planned(['--max-memory', String(budget), '--batch-size', 'auto']);
  assert.ok(plan.batchSize > 32 && plan.memory.requiredBytes <= budget, JSON.stringify(plan.memory));
  const bigger = run(['plan', '--json', '--max-memory', String(budget), '--batch-size', String(plan.batchSize + 1)]);
  assert.is(bigger.status, 2, 'one more example per batch does not fit');
  const r = run(['personalize', '--epochs', '1', '--max-memory', String(budget), '--batch-size', 'auto', '--out', join(root, 'auto')], budget);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`batch ${plan.batchSize}, seed`));
  assert.ok(r.heap.highWater <= budget, JSON.stringify(r.heap));
});

s('--accumulate: a batch of 400 the budget refuses whole trains in 8 micro-batches under it', () => {
  const budget = 6 * 2 ** 20;
  const whole = run(['personalize', '--epochs', '1', '--batch-size', '400', '--max-memory', String(budget), '--out', join(root, 'whole400')]);
  assert.is(whole.status, 2);
  assert.match(whole.stderr, /--max-memory 6291456 bytes is too small/);
  const r = run(['personalize', '--epochs', '1', '--batch-size', '400', '--accumulate', '8', '--max-memory', String(budget), '--out', join(root, 'micro400')], budget);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /batch 400 in 8 micro-batches/);
  assert.ok(r.heap.highWater <= budget, JSON.stringify(r.heap));
});

s.run();

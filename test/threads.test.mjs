// ready({ threads }) in Node: tfjs-backend-wasm's threaded build started by fsam-edge, and
// fsam-edge's kernels split over the threads (src/backend/threads.ts, kernel_pool.ts,
// src/kernels/split.ts). Each scenario runs in a child process (ready() configures threads
// once per process): every split kernel gives the bits of the whole call; what ready()
// reports; a process with threads exits by itself; a missing threads module falls back to
// one thread and says why; a reset backend starts its threads again. Bad options are
// errors that name the value. The conformance scenario at 2 threads in Node, Deno and
// Chromium, and a page without COOP/COEP: test/runtimes.test.mjs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ready } from '../dist/fsam-edge.js';

const child = (script, ...args) => {
  const started = Date.now();
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(`./support/${script}`, import.meta.url)), ...args],
    { encoding: 'utf8', timeout: 120_000 });
  assert.is(r.status, 0, `${script} ${args.join(' ')} exited ${r.status} (signal ${r.signal}) after ${Date.now() - started} ms: ${r.stderr}`);
  assert.is(r.stderr, '', `${script} ${args.join(' ')} wrote to stderr`);
  return { ...JSON.parse(r.stdout.trim().split('\n').pop()), ms: Date.now() - started };
};

const s = suite('threads');

for (const threads of [2, 3]) {
  s(`${threads} threads: every kernel fsam-edge splits gives the whole call's bits (random configurations)`, () => {
    const r = child('threads_kernels.mjs', String(threads));
    assert.is(r.threads, threads);
    assert.ok(r.configurations > 250, `${r.configurations} configurations`);
    assert.ok(r.splitCalls > 200, `only ${r.splitCalls} calls were split`);
    assert.equal(r.mismatches, []);
  });
}

s('ready({ threads: 2 }) reports the threaded build, trains as on one thread, splits kernel calls, and the process exits by itself', () => {
  const one = child('threads_child.mjs', 'report', '1');
  const two = child('threads_child.mjs', 'report', '2');
  assert.equal(one.report.wasm, { threads: 1, requested: 1, binary: 'tfjs-backend-wasm-simd.wasm', splitKernelCalls: 0, chunks: { here: 0, elsewhere: 0 } });
  assert.equal(two.report.wasm, { threads: 2, requested: 2, binary: 'tfjs-backend-wasm-threaded-simd.wasm', splitKernelCalls: 0, chunks: { here: 0, elsewhere: 0 } });
  assert.is(two.report.backend, 'wasm');
  assert.ok(two.after.splitKernelCalls > 0, 'no kernel call was split');
  assert.equal(two.training, one.training, 'the same losses and weight bits on 1 and 2 threads');
  assert.ok(two.training.last < two.training.first, 'the loss went down');
  assert.ok(two.ms < 60_000, `the process took ${two.ms} ms`);
});

s("ready({ threads: 'auto' }) takes the logical processors here, at most 8", () => {
  const r = child('threads_child.mjs', 'report', 'auto');
  const want = Math.min(8, availableParallelism());
  assert.is(r.report.wasm.requested, want);
  assert.is(r.report.wasm.threads, want);
});

s('a threads module that is not there: one thread, and ready() says why', () => {
  const r = child('threads_child.mjs', 'missing');
  assert.is(r.report.wasm.threads, 1);
  assert.is(r.report.wasm.requested, 2);
  assert.is(r.report.wasm.binary, 'tfjs-backend-wasm-simd.wasm');
  assert.match(r.report.wasm.reason, /fsam-edge-threads\.js could not be loaded from file:.*no-such-folder/);
  assert.ok(r.training.last < r.training.first);
});

s('engine.reset() disposes the threaded backend (its workers stopped); ready() starts new threads, with the same results', () => {
  const r = child('threads_child.mjs', 'reset');
  assert.is(r.first.wasm.threads, 2);
  assert.is(r.second.wasm.threads, 2);
  assert.equal(r.after, r.before);
});

s('bad threads options are TypeErrors that name the value', async () => {
  for (const [options, message] of [
    [{ threads: 0 }, /threads must be an integer from 1 to 8 or 'auto', got 0/],
    [{ threads: 9 }, /got 9/],
    [{ threads: 1.5 }, /got 1\.5/],
    [{ threads: 'many' }, /got "many"/],
    [{ threads: 2, threadsTimeoutMs: -1 }, /threadsTimeoutMs must be a number of milliseconds above 0.*got -1/],
    [{ threads: 2, threadsUrl: 5 }, /threadsUrl must be a URL or a string, got 5/],
  ]) {
    try {
      await ready(options);
      assert.unreachable(`ready(${JSON.stringify(options)}) resolved`);
    } catch (err) {
      assert.instance(err, TypeError, JSON.stringify(options));
      assert.match(err.message, message);
    }
  }
});

s.run();

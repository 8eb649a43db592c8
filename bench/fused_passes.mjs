// Issue 17's fused memory passes: the study CNN's two conv blocks (conv 3×3 → 8, bias,
// ReLU, pool 2×2, conv 3×3 → 16, bias, ReLU, pool; batch 128), forward and backward, as
// one recorded pass (test/support/recorded_passes.mjs) replayed op by op through each
// kernel's kernelFunc — unfused (Conv2D, Add, Relu, MaxPool; MaxPoolGrad, FsamReluGrad,
// Sum, the conv gradients) against the same pass rewritten by
// src/replay/fuse_memory_passes.ts (FsamConv2DBiasRelu, FsamMaxPoolReluGrad) — at 1 and
// 2 threads (each in its own process: ready() takes threads once), in interleaved rounds:
// within a process the two passes alternate, and the 1- and 2-thread processes alternate
// in order round by round. Reports p10 and median per pass, the time per kernel name, the
// ms saved per F-SAM step (two gradient passes a step); the whole step's times at 1 and 2
// threads are bench/threads.mjs's. Load with every round.
// Writes bench/results/fused_passes.{json,md}.
// Usage: node bench/fused_passes.mjs [--quick] [--rounds N]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { machine, load, writeResults } from './support.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const arg = (name, fallback) => { const i = argv.indexOf(name); return i >= 0 ? Number(argv[i + 1]) : fallback; };
const ROUNDS = arg('--rounds', quick ? 2 : 5), REPS = quick ? 8 : 30;
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) * q)]; };

if (argv[0] === '--child') {
  // One process: `threads` threads, REPS alternating passes of each kind; one JSON line.
  const threads = Number(argv[1]);
  const { ready, tf } = await import('../dist/fsam-edge.js');
  const { bundleTest } = await import('../test/tfjs-core-ops/bundle.mjs');
  const { studyChainPass, feedsFor } = await import('../test/support/recorded_passes.mjs');
  const report = await ready({ threads });
  const { fuseMemoryPasses } = await import(await bundleTest(`fused_passes_bench_${threads}`,
    "export { fuseMemoryPasses } from './src/replay/fuse_memory_passes.ts';"));
  const { pass } = studyChainPass({ B: 128, H: 28, W: 28, CI: 1, C1: 8, C2: 16 });
  const passes = { unfused: pass, fused: fuseMemoryPasses(pass) };
  const backend = tf.findBackend('wasm');
  const feeds = feedsFor(pass, 1);
  const externals = new Map([...pass.external].map((s) => [s, tf.tensor(feeds.get(s), pass.infos[s].shape)]));
  const kernels = new Map();
  /** One replay of `p`: time per op's kernel name added to `perKernel`; returns the wall ms. */
  function replay(p, perKernel) {
    const live = new Map([...externals].map(([s, t]) => [s, { dataId: t.dataId, shape: t.shape, dtype: t.dtype }]));
    const made = [];
    const t0 = performance.now();
    for (const op of p.ops) {
      let k = kernels.get(op.kernelName);
      if (!k) kernels.set(op.kernelName, k = tf.getKernel(op.kernelName, 'wasm').kernelFunc);
      const inputs = {};
      for (const name in op.inputs) inputs[name] = live.get(op.inputs[name]);
      const a = performance.now();
      const out = k({ inputs, attrs: op.attrs, backend });
      if (perKernel) perKernel[op.kernelName] = (perKernel[op.kernelName] ?? 0) + performance.now() - a;
      const outs = Array.isArray(out) ? out : [out];
      op.outputs.forEach((s, i) => { live.set(s, outs[i]); made.push(outs[i]); });
    }
    const ms = performance.now() - t0;
    for (const info of made) backend.disposeData(info.dataId);
    return ms;
  }
  for (let i = 0; i < 3; i++) { replay(passes.unfused); replay(passes.fused); }
  const times = { unfused: [], fused: [] }, perKernel = { unfused: [], fused: [] };
  for (let i = 0; i < REPS; i++) {
    for (const kind of i % 2 ? ['fused', 'unfused'] : ['unfused', 'fused']) {
      const pk = {};
      times[kind].push(replay(passes[kind], pk));
      perKernel[kind].push(pk);
    }
  }
  // Per kernel name: the median over the replays.
  const kernelMs = Object.fromEntries(Object.entries(perKernel).map(([kind, list]) =>
    [kind, Object.fromEntries(Object.keys(list[0]).map((n) => [n, quantile(list.map((pk) => pk[n]), 0.5)]))]));
  console.log(JSON.stringify({ threads: report.wasm.threads, ops: { unfused: pass.ops.length, fused: passes.fused.ops.length }, times, kernelMs }));
  process.exit(0);
}

const here = fileURLToPath(import.meta.url);
const rounds = [];
for (let r = 0; r < ROUNDS; r++) {
  const round = { load: load() };
  for (const threads of r % 2 ? [2, 1] : [1, 2]) {
    round[threads] = JSON.parse(execFileSync(process.execPath, [here, '--child', String(threads), ...(quick ? ['--quick'] : [])],
      { encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n').pop());
  }
  round.loadAfter = load();
  const f = (t, kind) => quantile(round[t].times[kind], 0.1).toFixed(2);
  console.error(`round ${r + 1}: 1 thread ${f(1, 'unfused')} → ${f(1, 'fused')} ms, 2 threads ${f(2, 'unfused')} → ${f(2, 'fused')} ms (p10), load ${round.load[0]} → ${round.loadAfter[0]}`);
  rounds.push(round);
}

const summary = {};
for (const t of [1, 2]) {
  const all = (kind) => rounds.flatMap((r) => r[t].times[kind]);
  const s = { threads: rounds[0][t].threads };
  for (const kind of ['unfused', 'fused']) s[kind] = { p10: quantile(all(kind), 0.1), median: quantile(all(kind), 0.5) };
  s.ratioP10 = s.unfused.p10 / s.fused.p10;
  s.ratioMedian = s.unfused.median / s.fused.median;
  // Per round p10 ratios (the same round, the same process).
  s.perRound = rounds.map((r) => quantile(r[t].times.unfused, 0.1) / quantile(r[t].times.fused, 0.1));
  s.savedPerPassMs = s.unfused.p10 - s.fused.p10;
  s.savedPerFsamStepMs = 2 * s.savedPerPassMs; // F-SAM: two gradient passes per step
  s.kernelMs = rounds[rounds.length - 1][t].kernelMs;
  summary[t] = s;
}
const f2 = (v) => v.toFixed(2);
const kernelRows = (t) => {
  const k = summary[t].kernelMs, names = [...new Set([...Object.keys(k.unfused), ...Object.keys(k.fused)])]
    .filter((n) => !['Identity', 'Reshape'].includes(n));
  return names.map((n) => `| ${t} | ${n} | ${k.unfused[n] != null ? f2(k.unfused[n]) : ''} | ${k.fused[n] != null ? f2(k.fused[n]) : ''} |`);
};
const table = [
  `_fused_passes: ${new Date().toISOString()}, ${machine()}; ${ROUNDS} interleaved rounds × ${REPS} replays of each pass per thread count; load (1 min) per round: ${rounds.map((r) => `${r.load[0]}→${r.loadAfter[0]}`).join(', ')}._`,
  '',
  'The study CNN\'s two conv blocks, forward and backward (batch 128), one recorded pass replayed through kernelFunc:',
  '',
  '| threads | unfused ms (p10 / median) | fused ms (p10 / median) | unfused ÷ fused p10 (median) | per round (p10) | saved per F-SAM step (2 passes, p10) |',
  '|---:|---:|---:|---:|---|---:|',
  ...[1, 2].map((t) => { const s = summary[t]; return `| ${s.threads} | ${f2(s.unfused.p10)} / ${f2(s.unfused.median)} | ${f2(s.fused.p10)} / ${f2(s.fused.median)} | **${s.ratioP10.toFixed(3)}×** (${s.ratioMedian.toFixed(3)}×) | ${s.perRound.map((x) => x.toFixed(2)).join(', ')} | ${f2(s.savedPerFsamStepMs)} ms |`; }),
  '',
  'What that does to the whole F-SAM step at 1 and 2 threads is measured, not modelled, by `node bench/threads.mjs`.',
  '',
  'Time per kernel (median over the last round\'s replays; Identity and Reshape, which share data, left out):',
  '',
  '| threads | kernel | unfused ms | fused ms |',
  '|---:|---|---:|---:|',
  ...kernelRows(1), ...kernelRows(2),
].join('\n');
const result = { benchmark: 'fused_passes', date: new Date().toISOString(), machine: machine(), command: `node bench/fused_passes.mjs${argv.length ? ' ' + argv.join(' ') : ''}`,
  rounds: ROUNDS, reps: REPS, ops: rounds[0][1].ops, summary, loads: rounds.map((r) => ({ before: r.load, after: r.loadAfter })) };
console.log(JSON.stringify(result));
console.log(table);
writeResults('fused_passes', result, table);

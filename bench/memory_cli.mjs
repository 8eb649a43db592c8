// Benchmark: the CLI's memory plan against its runs. For the default task (the built-in
// digits, the base CNN) at several batch sizes and optimizers, `fsam-edge plan --json`
// predicts the run's wasm heap peak and peak RSS; then `fsam-edge personalize` runs it
// (2 epochs) with tfjs-wasm's heap watched from outside (test/support/wasm_heap_hook.mjs):
// its high water and the process's peak RSS. The first row starts from an empty cache,
// so its run trains the base model too (planned as a phase of the run). Last, the run
// the issue names: --max-memory 24MB under an enforced 24 MiB cap.
// Writes bench/results/memory_cli.{json,md}. Usage: node bench/memory_cli.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, load, writeResults } from './support.mjs';

const BIN = fileURLToPath(new URL('../bin/fsam-edge.mjs', import.meta.url));
const HOOK = fileURLToPath(new URL('../test/support/wasm_heap_hook.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'fsam-edge-bench-cli-'));
const cache = join(root, 'cache');

const CASES = [
  { label: 'default (base model not cached: trained first)', args: [] },
  { label: 'default', args: [] },
  { label: 'batch 8', args: ['--batch-size', '8'] },
  { label: 'batch 128', args: ['--batch-size', '128'] },
  { label: 'batch 400', args: ['--batch-size', '400'] },
  { label: 'batch 400 in 8 micro-batches', args: ['--batch-size', '400', '--accumulate', '8'] },
  { label: '--low-memory, batch 64', args: ['--low-memory', '--batch-size', '64'] },
  { label: 'SGD, batch 32', args: ['--optimizer', 'sgd'] },
  { label: 'AdamW, batch 32', args: ['--optimizer', 'adamw'] },
];

function cli(args, cap) {
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], {
    encoding: 'utf8', timeout: 600_000, env: { ...process.env, FSAM_EDGE_CACHE: cache, ...(cap ? { FSAM_EDGE_TEST_WASM_CAP: String(cap) } : {}) },
  });
  const line = r.stderr.split('\n').find((l) => l.startsWith('wasm-heap '));
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, heap: line ? JSON.parse(line.slice(10)) : null };
}

const loadBefore = load();
const rows = [];
for (const c of CASES) {
  const plan = cli(['plan', '--json', ...c.args]);
  if (plan.status !== 0) { rows.push({ ...c, ok: false, error: plan.stderr.slice(-300) }); continue; }
  const { memory, batchSize } = JSON.parse(plan.stdout);
  const out = join(root, `run-${rows.length}`);
  const r = cli(['personalize', '--epochs', '2', '--out', out, ...c.args]);
  rmSync(out, { recursive: true, force: true });
  rows.push({ ...c, ok: r.status === 0, error: r.status === 0 ? undefined : r.stderr.slice(-300), batchSize, memory, measured: r.heap });
  console.error(JSON.stringify(rows.at(-1)));
}
const capped = cli(['personalize', '--epochs', '2', '--max-memory', '24MB', '--out', join(root, 'mb24')], 24 * 2 ** 20);
const capRow = { status: capped.status, heap: capped.heap, plan: capped.stdout.split('\n').find((l) => l.startsWith('memory plan')) };
rmSync(root, { recursive: true, force: true });

const mib = (b) => (b / 2 ** 20).toFixed(2);
const pct = (p, m) => `${(100 * (p / m - 1)).toFixed(1)}%`;
const ok = rows.filter((r) => r.ok);
const md = [
  '**The CLI\'s memory plan against its runs** (the default task, `fsam-edge personalize --epochs 2`): `fsam-edge plan --json` before, the run\'s wasm heap high water and peak RSS measured from outside (test/support/wasm_heap_hook.mjs).', '',
  '| run | batch | heap planned MiB (phase) | heap measured MiB | error | a cap must allow MiB | RSS planned MiB | RSS measured MiB | error |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => (r.ok
    ? `| ${r.label} | ${r.batchSize} | ${mib(r.memory.peakBytes)} (${r.memory.phase}) | ${mib(r.measured.highWater)} | ${pct(r.memory.peakBytes, r.measured.highWater)} | ${mib(r.memory.requiredBytes)} | ${mib(r.memory.rssBytes)} | ${mib(r.measured.maxRSS)} | ${pct(r.memory.rssBytes, r.measured.maxRSS)} |`
    : `| ${r.label} | failed: ${r.error} ||||||||`)), '',
  `Largest error: heap ${(100 * Math.max(...ok.map((r) => Math.abs(r.memory.peakBytes / r.measured.highWater - 1)))).toFixed(1)}%, RSS ${(100 * Math.max(...ok.map((r) => Math.abs(r.memory.rssBytes / r.measured.maxRSS - 1)))).toFixed(1)}%.`, '',
  `\`fsam-edge personalize --max-memory 24MB\` with tfjs-wasm's memory capped at 24 MiB: exit ${capRow.status}, heap high water ${capRow.heap ? mib(capRow.heap.highWater) : '?'} MiB, memory ${capRow.heap ? mib(capRow.heap.memoryBytes) : '?'} MiB (${capRow.plan}).`,
].join('\n');
const result = { benchmark: 'memory_cli', machine: machine(), date: new Date().toISOString(), command: 'node bench/memory_cli.mjs', loadavg: { before: loadBefore, after: load() }, rows, capped24MB: capRow };
console.log(JSON.stringify(result));
console.log(`\n${md}\n`);
writeResults('memory_cli', result, `${result.machine}\n\n${md}`);

// Where the F-SAM step's time goes: each of its five passes alone (repeated, so its own
// arrays stay in cache) against the STREAM triad in the same module, at N floats, and
// the whole step over all six arrays; then the low-memory mode's passes. A pass's bandwidth is the bytes it moves per
// parameter over its time; the sum of the passes against the whole step shows what the
// larger working set costs. Writes bench/results/optimizer_passes.{json,md}.
//   node bench/optimizer_passes.mjs [--quick]
import { loadOptimizerKernels } from '../dist/core.js';
import { machine, load, time as timeBudget, writeResults } from './support.mjs';

const quick = process.argv.includes('--quick');
const N = 1e6;
const time = (fn) => timeBudget(fn, quick ? 150 : 600);
const bytes = N * 4;
const memory = new WebAssembly.Memory({ initial: Math.ceil((7 * (bytes + 64) + 1024) / 65536) + 1 });
const k = await loadOptimizerKernels(memory);
const [w, wold, g, m, g2, b, t] = Array.from({ length: 7 }, (_, i) => 1024 + i * (bytes + 64));
const f = new Float32Array(memory.buffer);
for (let i = 0; i < f.length; i++) f[i] = Math.sin(i) * 0.01;

// Bytes per parameter, as in bench/optimizer_step.mjs.
const PASSES = [
  { name: 'Σd² (reads g, m)', bytes: 8, run: () => k.f32_fsam_sumsq(g, m, w, N, 1, false) },
  { name: 'perturb (w, g, m → w_old, w)', bytes: 20, run: () => k.f32_fsam_perturb(w, wold, g, m, N, 1, 0.01, false) },
  { name: 'finiteness of g₂ (reads g₂)', bytes: 4, run: () => k.f32_first_nonfinite(g2, N) },
  { name: 'EMA (m, g → m)', bytes: 12, run: () => k.f32_fsam_ema(m, g, N, 0.6, 0.4) },
  { name: 'update (w_old, g₂, b → b, w)', bytes: 20, run: () => k.f32_sgd_update(w, wold, g2, b, N, 0.01, 5e-4, 0.9, k.SGD_MOMENTUM, false) },
  { name: 'triad (b, c → a)', bytes: 12, run: () => k.f32_triad(t, g, m, N, 0.5) },
];
const whole = () => { for (const p of PASSES.slice(0, 5)) p.run(); };
// The low-memory mode's passes: m and b in bf16 (2 bytes), no w_old; m and b start as
// the bf16 rounding of ordinary values (raw bits would hold denormals, which are slow),
// written into the triad's output array once the triad has run.
const [m16, b16] = [t, t + bytes / 2 + 64];
const LOW_PASSES = [
  { name: 'Σd² (reads g, m₁₆)', bytes: 6, run: () => k.f32_fsam_sumsq_bf16m(g, m16, N, 1) },
  { name: 'perturb in place (w, g, m₁₆ → w)', bytes: 14, run: () => k.f32_fsam_perturb_bf16m(w, g, m16, N, 1, 0.01) },
  { name: 'finiteness of g₂ (reads g₂)', bytes: 4, run: () => k.f32_first_nonfinite(g2, N) },
  { name: 'w − ε (w, g, m₁₆ → w)', bytes: 14, run: () => k.f32_fsam_unperturb_bf16m(w, g, m16, N, 1, 0.01) },
  { name: 'EMA (m₁₆, g → m₁₆)', bytes: 8, run: () => k.f32_fsam_ema_bf16m(m16, g, N, 0.6, 0.4) },
  { name: 'update (w, g₂, b₁₆ → b₁₆, w)', bytes: 16, run: () => k.f32_sgd_update_bf16b(w, g2, b16, N, 0.01, 5e-4, 0.9, k.SGD_MOMENTUM, false) },
];

const loadBefore = load();
const rows = PASSES.map((p) => {
  const ms = time(p.run);
  return { pass: p.name, bytesPerParameter: p.bytes, ms, gbPerS: (p.bytes * N) / ms / 1e6 };
});
k.f32_to_bf16(m16, g, N); k.f32_to_bf16(b16, g2, N);
const lowRows = LOW_PASSES.map((p) => {
  const ms = time(p.run);
  return { pass: p.name, bytesPerParameter: p.bytes, ms, gbPerS: (p.bytes * N) / ms / 1e6 };
});
const wholeMs = time(whole);
const sumMs = rows.slice(0, 5).reduce((a, r) => a + r.ms, 0);
const result = { benchmark: 'optimizer_passes', machine: machine(), date: new Date().toISOString(), command: 'npm run bench', n: N,
  loadavg: { before: loadBefore, after: load() }, rows, lowMemoryRows: lowRows, wholeStepMs: wholeMs, sumOfPassesMs: sumMs, wholeGbPerS: (64 * N) / wholeMs / 1e6 };
const md = [`${result.machine}; load ${loadBefore.join(' ')}`, '',
  `F-SAM step passes at N = ${N.toExponential(0)}, each alone (its arrays cached):`, '',
  '| pass | bytes/param | ms | GB/s |', '|---|---:|---:|---:|',
  ...rows.map((r) => `| ${r.pass} | ${r.bytesPerParameter} | ${r.ms.toFixed(4)} | ${r.gbPerS.toFixed(1)} |`),
  `| the five passes, summed | 64 | ${sumMs.toFixed(4)} | ${((64 * N) / sumMs / 1e6).toFixed(1)} |`,
  `| the whole step, one after another over 6 arrays | 64 | ${wholeMs.toFixed(4)} | ${result.wholeGbPerS.toFixed(1)} |`, '',
  'The low-memory mode\'s passes (m and the momentum b in bf16, no w_old), each alone:', '',
  '| pass | bytes/param | ms | GB/s |', '|---|---:|---:|---:|',
  ...lowRows.map((r) => `| ${r.pass} | ${r.bytesPerParameter} | ${r.ms.toFixed(4)} | ${r.gbPerS.toFixed(1)} |`)].join('\n');
console.log(JSON.stringify(result));
console.log(`\n${md}\n`);
if (!quick) writeResults('optimizer_passes', result, md);
